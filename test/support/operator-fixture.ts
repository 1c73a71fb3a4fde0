/**
 * Fixtures for the operator read tests: a harness cluster with frameworks run by named users,
 * a running task, and helpers to call the operator API and read streamed documents.
 */
import { expect } from "vitest";
import { checkOperatorCall } from "../../master-worker/src/model/operator-access.ts";
import { operatorCall } from "../../master-worker/src/operator/index.ts";
import { parseMessage, SchedulerCall } from "../../schemas/index.ts";
import { MasterHarness, TEST_OPERATOR } from "./master-harness.ts";
import { orThrow } from "./refused.ts";

/** The harness' STRATA_ALLOCATION_INTERVAL_MS. */
export const INTERVAL = 1000;

/** Subscribes a framework `name` run by `user` (optionally multi-role `role`). */
export function subscribeAs(h: MasterHarness, name: string, user: string, role?: string): string {
  const json = h.subscribeJson(name, role ? { role } : {});
  (json.subscribe as { framework_info: { user: string } }).framework_info.user = user;
  const call = parseMessage(SchedulerCall, json);
  if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
  const res = orThrow(h.core.subscribe(call, undefined, h.now));
  h.outbox.open.set(res.frameworkId, res.streamId);
  for (const e of res.events) h.outbox.sent.push({ fid: res.frameworkId, streamId: res.streamId, event: e });
  return res.frameworkId;
}

/** Launches `taskId` on the framework's first outstanding offer and lets the agent report it running. */
export function launchRunning(h: MasterHarness, fid: string, agent: string, taskId: string, resources = "cpus:1;mem:128"): void {
  h.advance(INTERVAL);
  const offer = h.offersFor(fid)[0];
  expect(offer, `an offer for ${fid}`).toBeDefined();
  h.accept(fid, [offer!.id.value], [{ taskId, agentId: agent, resources }]);
  h.pollCommands(agent);
  h.agentReport(agent, fid, taskId, "TASK_RUNNING");
}

/** Two agents; framework "alpha" (user alice, role eng) and "beta" (user bob) with a running task each. */
export function busyCluster(env: Record<string, string> = {}) {
  const h = new MasterHarness(env);
  const a1 = h.addAgent("cpus:4;mem:4096;ports:[31000-32000]");
  const a2 = h.addAgent("cpus:2;mem:2048");
  const alpha = subscribeAs(h, "alpha", "alice", "eng");
  const beta = subscribeAs(h, "beta", "bob");
  h.advance(INTERVAL);
  const offerA = h.offersFor(alpha)[0]!,
    offerB = h.offersFor(beta)[0]!;
  h.accept(alpha, [offerA.id.value], [{ taskId: "ta", agentId: offerA.agent_id.value, resources: "cpus:1;mem:128" }]);
  h.accept(beta, [offerB.id.value], [{ taskId: "tb", agentId: offerB.agent_id.value, resources: "cpus:0.5;mem:64" }]);
  for (const a of [a1, a2]) h.pollCommands(a);
  h.agentReport(offerA.agent_id.value, alpha, "ta", "TASK_RUNNING");
  h.agentReport(offerB.agent_id.value, beta, "tb", "TASK_RUNNING");
  return { h, a1, a2, alpha, beta, agentOfA: offerA.agent_id.value, agentOfB: offerB.agent_id.value };
}

/** Calls the operator API as `principal` (the harness' operator unless given; `null`: anonymous), as the Worker does. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function op(h: MasterHarness, body: Record<string, unknown>, principal: string | null = TEST_OPERATOR): any {
  const who = principal ?? undefined;
  orThrow(checkOperatorCall(h.core.acls, h.core.access, who, (body as { type: string }).type));
  return orThrow(operatorCall(h.core, body, { now: h.now, ...(who !== undefined ? { principal: who } : {}) }));
}

/** Reads a streamed response body whole and parses it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(res: Response): Promise<any> {
  return JSON.parse(await res.text());
}
