/**
 * Builders for the reservation and volume tests: Mesos JSON of reserved resources and volumes
 * as frameworks and operators send them, ACCEPT operations, and a SUBSCRIBE with capabilities
 * (the harness' own subscribe names none but MULTI_ROLE).
 */
import type { Resource } from "../../schemas/index.ts";
import { parseMessage, SchedulerCall } from "../../schemas/index.ts";
import type { MasterHarness } from "./master-harness.ts";
import { orThrow } from "./refused.ts";

/** A scalar reserved dynamically for `role` by `principal`, pre-refinement spelling. */
export const reservedScalar = (name: string, value: number, role: string, principal?: string): Resource => ({
  name,
  type: "SCALAR",
  scalar: { value },
  role,
  reservation: principal !== undefined ? { principal } : {},
});

/** A persistent volume on disk reserved for `role` (pre-refinement spelling). */
export const volume = (id: string, mb: number, role: string, principal?: string, containerPath = "data"): Resource => ({
  ...reservedScalar("disk", mb, role, principal),
  disk: { persistence: { id, ...(principal !== undefined ? { principal } : {}) }, volume: { container_path: containerPath, mode: "RW" } },
});

/** ACCEPT operations. */
export const reserveOp = (resources: Resource[]) => ({ type: "RESERVE", reserve: { resources } });
export const unreserveOp = (resources: Resource[]) => ({ type: "UNRESERVE", unreserve: { resources } });
export const createOp = (volumes: Resource[]) => ({ type: "CREATE", create: { volumes } });
export const destroyOp = (volumes: Resource[]) => ({ type: "DESTROY", destroy: { volumes } });
export const launchOp = (tasks: Array<Record<string, unknown>>) => ({ type: "LAUNCH", launch: { task_infos: tasks } });

/** A TaskInfo using exactly `resources`, as a framework sends it. */
export const taskUsing = (taskId: string, agentId: string, resources: Resource[], command = "true") => ({
  name: taskId,
  task_id: { value: taskId },
  agent_id: { value: agentId },
  resources,
  command: { value: command },
});

/** ACCEPT of one offer with `operations` (refuse_seconds 0, so the rest is offered again at once). */
export function acceptOps(h: MasterHarness, fid: string, offerId: string, operations: unknown[], principal?: string): void {
  h.call(
    fid,
    { type: "ACCEPT", accept: { offer_ids: [{ value: offerId }], operations, filters: { refuse_seconds: 0 } } },
    principal !== undefined ? { principal } : {},
  );
}

/** Subscribes a framework of `role` with `capabilities` (MULTI_ROLE is added), as the harness does. */
export function subscribeWith(h: MasterHarness, name: string, role: string, principal: string | undefined, capabilities: string[]): string {
  const call = parseMessage(SchedulerCall, {
    type: "SUBSCRIBE",
    subscribe: {
      framework_info: {
        user: "tester",
        name,
        roles: [role],
        failover_timeout: 3600,
        ...(principal ? { principal } : {}),
        capabilities: ["MULTI_ROLE", ...capabilities].map((type) => ({ type })),
      },
    },
  });
  if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
  const result = orThrow(h.core.subscribe(call, principal, h.now));
  h.outbox.open.set(result.frameworkId, result.streamId);
  for (const e of result.events) h.outbox.sent.push({ fid: result.frameworkId, streamId: result.streamId, event: e });
  return result.frameworkId;
}
