/**
 * The cost model's inputs, measured: rows written per task over a whole lifecycle (ACCEPT,
 * LAUNCH taken, STARTING/RUNNING/FINISHED reported, acknowledged, forgotten) through the real
 * `MasterCore` with a store that counts rows, and the requests an idle agent makes per hour.
 * From them, the monthly Cloudflare bill for 1,000 and 10,000 agents (BENCHMARKS.md).
 */

import { MasterCore, type Outbox } from "../master-worker/src/core/master-core.ts";
import { readConfig } from "../master-worker/src/model/config.ts";
import { isRejection, type Rejection, rejectionText } from "../master-worker/src/model/rejection.ts";
import { MemoryStore } from "../master-worker/src/store/memory-store.ts";
import type { Change } from "../master-worker/src/store/records.ts";
import { MAX_POLL_HOLD_SECONDS } from "../schemas/agent.ts";
import { type PollRequest, parseMessage, RegisterRequest, SchedulerCall, type SchedulerEvent, type StatusRequest } from "../schemas/index.ts";
import { parseResources } from "../sdk/src/resources.ts";

/** The core's answer, or the benchmark stops with the refusal's text. */
const ok = <T>(result: T | Rejection): T => {
  if (isRejection(result)) throw new Error(rejectionText(result));
  return result;
};

import type { Benchmark, Figure } from "./result.ts";

/** Published prices (Workers Paid; Durable Objects with SQLite storage), USD. */
export const PRICES = {
  base: 5, // per month, includes the allowances below
  workerRequestsPerMillion: 0.3,
  workerRequestsIncluded: 10e6,
  doRequestsPerMillion: 0.15,
  doRequestsIncluded: 1e6,
  doGbSecondsPerMillion: 12.5,
  doGbSecondsIncluded: 400_000,
  rowsWrittenPerMillion: 1.0,
  rowsWrittenIncluded: 50e6,
};

class CountingStore extends MemoryStore {
  rows = 0;
  override commit(changes: readonly Change[]): void {
    this.rows += changes.length;
    super.commit(changes);
  }
}

/** Rows written per task when `tasks` tasks go through their whole life on one agent. */
export function rowsPerTask(tasks: number): number {
  const store = new CountingStore();
  const events: Array<[string, SchedulerEvent]> = [];
  const outbox: Outbox = { send: (f, e) => events.push([f, e]), close() {}, wakeAgent() {} };
  let n = 0,
    t = 1_700_000_000_000;
  const core = new MasterCore({
    store,
    config: readConfig({ STRATA_ALLOCATION_INTERVAL_MS: "0" }),
    outbox,
    now: t,
    entropy: { uuid: () => `u${++n}`, bytes16: () => btoa(`m${++n}`.padEnd(16, "-")) },
    masterInfo: { id: "cost", ip: 0, port: 0 },
  });
  const auth = { issued: { token: "tok", hash: "h" } };
  const agentId = ok(core.register(parseMessage(RegisterRequest, { hostname: "a", resources: parseResources(`cpus:${tasks};mem:${tasks * 32}`) }), t, auth))
    .agent_id.value;
  const poll = (ack: number, acked: string[] = []) => core.poll({ agent_id: { value: agentId }, ack_seq: ack, acked_uuids: acked } as PollRequest, ++t, "h");
  poll(0);
  const sub = ok(
    core.subscribe(parseMessage(SchedulerCall, { type: "SUBSCRIBE", subscribe: { framework_info: { user: "u", name: "cost" } } }) as never, undefined, t),
  );
  const fid = sub.frameworkId;
  const call = (json: object) => core.call(parseMessage(SchedulerCall, { framework_id: { value: fid }, ...json }) as never, undefined, sub.streamId, ++t);
  core.tick(++t);
  const offer = events.flatMap(([, e]) => (e.type === "OFFERS" ? e.offers.offers : []))[0]!;
  const before = store.rows;
  call({
    type: "ACCEPT",
    accept: {
      offer_ids: [offer.id],
      operations: [
        {
          type: "LAUNCH",
          launch: {
            task_infos: Array.from({ length: tasks }, (_, i) => ({
              name: `t${i}`,
              task_id: { value: `t${i}` },
              agent_id: { value: agentId },
              resources: parseResources("cpus:1;mem:32"),
              command: { value: "true" },
            })),
          },
        },
      ],
    },
  });
  const seq = Math.max(...core.pending(agentId, 0).commands.map((c) => c.seq));
  poll(seq);
  const uuids: string[] = [];
  for (const state of ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"] as const) {
    const updates = Array.from({ length: tasks }, (_, i) => ({
      framework_id: { value: fid },
      status: { task_id: { value: `t${i}` }, state, uuid: `${state}-${i}` },
    }));
    core.status({ agent_id: { value: agentId }, updates } as StatusRequest, ++t, "h");
    for (const u of updates) {
      call({ type: "ACKNOWLEDGE", acknowledge: { agent_id: { value: agentId }, task_id: u.status.task_id, uuid: u.status.uuid } });
      uuids.push(u.status.uuid);
    }
  }
  poll(seq, uuids);
  if (core.updates.size !== 0) throw new Error("cost model: updates left over");
  return (store.rows - before) / tasks;
}

/** Monthly bill for `agents` agents, each idle-polling every `holdSeconds`, running `tasksPerMonth` tasks. */
export function monthlyCost(agents: number, tasksPerMonth: number, rowsPerTaskValue: number, requestsPerTask: number, holdSeconds = MAX_POLL_HOLD_SECONDS) {
  const month = 30 * 24 * 3600;
  const requests = agents * (month / holdSeconds) + tasksPerMonth * requestsPerTask;
  const over = (used: number, included: number, perMillion: number) => (Math.max(0, used - included) / 1e6) * perMillion;
  const workers = over(requests, PRICES.workerRequestsIncluded, PRICES.workerRequestsPerMillion);
  const doRequests = over(requests, PRICES.doRequestsIncluded, PRICES.doRequestsPerMillion);
  const duration = over(month * 0.128, PRICES.doGbSecondsIncluded, PRICES.doGbSecondsPerMillion); // one master, always active, 128 MB
  const rows = over(tasksPerMonth * rowsPerTaskValue, PRICES.rowsWrittenIncluded, PRICES.rowsWrittenPerMillion);
  return { requests, total: PRICES.base + workers + doRequests + duration + rows, workers, doRequests, duration, rows };
}

export const costBenchmark: Benchmark = async () => {
  const rows = rowsPerTask(1000);
  const g = "cost model";
  const perAgentHour = 3600 / MAX_POLL_HOLD_SECONDS;
  // Requests per task, from the protocol: ACCEPT share, 3 status updates, 3 ACKNOWLEDGEs,
  // ~2 poll answers (the LAUNCH, the acks) — an upper bound; batching makes it smaller.
  const requestsPerTask = 8;
  const figures: Figure[] = [
    { group: g, name: "rows written per task (whole lifecycle)", value: rows, unit: "rows" },
    { group: g, name: "requests per idle agent per hour", value: perAgentHour, unit: "req/h" },
  ];
  for (const agents of [1_000, 10_000]) {
    const tasks = agents * 1000; // 1,000 tasks per agent per month
    const c = monthlyCost(agents, tasks, rows, requestsPerTask);
    figures.push({
      group: g,
      name: `monthly cost, ${agents} agents, ${tasks / 1e6}M tasks`,
      value: c.total,
      unit: "USD",
      note: `requests ${(c.requests / 1e6).toFixed(0)}M: workers $${c.workers.toFixed(0)}, DO $${c.doRequests.toFixed(0)}; rows $${c.rows.toFixed(0)}; duration $${c.duration.toFixed(0)}`,
    });
  }
  return figures;
};
