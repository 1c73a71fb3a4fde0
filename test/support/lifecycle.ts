/**
 * Helpers for the lifecycle tests (partitions, failover, reconciliation, ACLs, isolation) on top
 * of `MasterHarness`: subscribing with any FrameworkInfo fields (capabilities, failover_timeout),
 * breaking a framework's stream, and launching a task to TASK_RUNNING.
 */
import { expect } from "vitest";
import { parseMessage, SchedulerCall, type TaskStatus } from "../../schemas/index.ts";
import { MasterHarness, type TaskSpec } from "./master-harness.ts";
import { orThrow } from "./refused.ts";

/** Allocation interval of the harness (STRATA_ALLOCATION_INTERVAL_MS). */
export const INTERVAL = 1000;

/** SUBSCRIBE with `info` merged into the harness' FrameworkInfo; opens the stream as the DO does. */
export function subscribeWith(
  h: MasterHarness,
  name: string,
  info: Record<string, unknown> = {},
  opts: { frameworkId?: string; principal?: string; suppressedRoles?: string[] } = {},
) {
  const json = h.subscribeJson(name, opts) as { subscribe: { framework_info: Record<string, unknown> } };
  json.subscribe.framework_info = { ...json.subscribe.framework_info, ...info };
  const call = parseMessage(SchedulerCall, json);
  if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
  const result = orThrow(h.core.subscribe(call, opts.principal, h.now));
  h.outbox.open.set(result.frameworkId, result.streamId);
  for (const event of result.events) h.outbox.sent.push({ fid: result.frameworkId, streamId: result.streamId, event });
  return result;
}

/** A partition-aware framework. */
export const PARTITION_AWARE = { capabilities: [{ type: "PARTITION_AWARE" }] };

/** The framework's stream breaks (the DO calls `disconnected`). */
export function breakStream(h: MasterHarness, fid: string): void {
  const streamId = h.streamOf(fid);
  if (!streamId) throw new Error(`no stream open for ${fid}`);
  h.outbox.open.delete(fid);
  h.core.disconnected(fid, streamId, h.now);
}

/** Waits for an offer to `fid` on `agent`, launches `taskId` there and reports it TASK_RUNNING. */
export function launchRunning(h: MasterHarness, fid: string, agent: string, taskId: string, spec: Partial<TaskSpec> = {}): void {
  const find = () => h.offersFor(fid).find((o) => o.agent_id.value === agent);
  for (let i = 0; i < 20 && !find(); i++) {
    // The agent's resources may sit in another framework's offer: that framework declines them.
    for (const { offer } of [...h.core.offers.values()]) {
      if (offer.agent_id.value === agent && offer.framework_id.value !== fid) h.decline(offer.framework_id.value, [offer.id.value], 3);
    }
    h.advance(INTERVAL);
  }
  const offer = find();
  expect(offer, `an offer of ${agent} to ${fid}`).toBeDefined();
  h.accept(fid, [offer!.id.value], [{ taskId, agentId: agent, resources: "cpus:1;mem:128", ...spec }], { refuse_seconds: 0 });
  expect(h.pollCommands(agent).map((c) => c.type)).toContain("LAUNCH");
  h.agentReport(agent, fid, taskId, "TASK_RUNNING");
}

/** The last status `fid` got for `taskId`. */
export function lastStatusOf(h: MasterHarness, fid: string, taskId: string): TaskStatus | undefined {
  return h
    .updates(fid)
    .filter((s) => s.task_id.value === taskId)
    .at(-1);
}

/** The unreachable timeout `partitionCluster` sets (seconds). */
export const UNREACHABLE_S = 300;

/** An agent running one task of a partition-aware framework and one of a plain one. */
export function partitionCluster(env: Record<string, string> = {}) {
  const h = new MasterHarness({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: String(UNREACHABLE_S), ...env });
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: pa } = subscribeWith(h, "aware", PARTITION_AWARE);
  const { frameworkId: plain } = subscribeWith(h, "plain");
  launchRunning(h, pa, agent, "pa-1");
  launchRunning(h, plain, agent, "plain-1");
  return { h, agent, pa, plain };
}
