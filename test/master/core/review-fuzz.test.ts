/**
 * Invalid input to every mutating operator call and to the scheduler calls is refused with a 4xx
 * naming a field, never a crash: each leaf (and each object) of a valid body is replaced in turn
 * by values of the wrong type, empty, negative, huge or unknown, and the call is run through the
 * same parsing the Worker does.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { parseMessage, SchedulerCall as SchedulerCallSchema } from "../../../schemas/index.ts";
import { ValidationError } from "../../../schemas/parse.ts";
import { MasterHarness, T0 } from "../../support/master-harness.ts";
import { operator } from "../../support/operator-call.ts";
import { orThrow } from "../../support/refused.ts";

type Json = unknown;
const BAD: Json[] = [null, 0, -1, 1e308, 2 ** 64, "", "x", "a/../b", {}, [], [{}], true, { value: "" }, { value: "unknown-id" }];

/** Every body made by replacing one node (path) of `json` with one of `BAD`, or removing it. */
function* mutations(json: Json, path: string[] = []): Generator<{ where: string; body: Json }> {
  const at = path.join(".");
  if (path.length > 1) {
    for (const bad of BAD) yield { where: `${at}=${JSON.stringify(bad)}`, body: bad };
    yield { where: `${at} removed`, body: undefined };
  }
  if (json && typeof json === "object") {
    const entries = Array.isArray(json) ? json.map((v, i) => [String(i), v] as const) : Object.entries(json);
    for (const [k, v] of entries) {
      for (const m of mutations(v, [...path, k])) {
        const copy: any = Array.isArray(json) ? [...json] : { ...json };
        if (m.body === undefined) {
          if (Array.isArray(copy)) copy.splice(Number(k), 1);
          else delete copy[k];
        } else copy[k] = m.body;
        yield { where: m.where, body: copy };
      }
    }
  }
}

/** Runs `fn`; a thrown error (a refusal as the edge answers it, refused.ts) must be an HttpError with a 4xx status. */
function refusedCleanly(fn: () => unknown, where: string): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return; // answered 400 by errorResponse (http-error.ts)
    if (!(e instanceof HttpError) || e.status >= 500) {
      throw new Error(`${where}: ${e instanceof HttpError ? `${e.status} ${e.message}` : ((e as Error)?.stack ?? String(e))}`);
    }
  }
}

function cluster() {
  const h = new MasterHarness({ STRATA_AGENT_PING_TIMEOUT_SECONDS: "3600" });
  const agent = h.addAgent("cpus:4;mem:4096;disk:1000");
  const { frameworkId: fid } = h.subscribe("fw", undefined, { role: "web" });
  h.advance(1000);
  return { h, agent, fid };
}

const unavailability = { start: { nanoseconds: (T0 + 3600_000) * 1e6 }, duration: { nanoseconds: 3600e9 } };
const reserved = (name: string, value: number) => ({ name, type: "SCALAR", scalar: { value }, reservations: [{ type: "DYNAMIC", role: "web" }] });

function operatorBodies(agent: string, fid: string): Record<string, unknown>[] {
  const machine = { hostname: "host-1.test" };
  return [
    { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [machine], unavailability }] } } },
    { type: "START_MAINTENANCE", start_maintenance: { machines: [machine] } },
    { type: "STOP_MAINTENANCE", stop_maintenance: { machines: [machine] } },
    { type: "DRAIN_AGENT", drain_agent: { agent_id: { value: agent }, max_grace_period: { nanoseconds: 1e9 }, mark_gone: false } },
    { type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: agent } } },
    { type: "REACTIVATE_AGENT", reactivate_agent: { agent_id: { value: agent } } },
    { type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } },
    { type: "TEARDOWN", teardown: { framework_id: { value: fid } } },
    { type: "RESERVE_RESOURCES", reserve_resources: { agent_id: { value: agent }, resources: [reserved("cpus", 1)] } },
    { type: "UNRESERVE_RESOURCES", unreserve_resources: { agent_id: { value: agent }, resources: [reserved("cpus", 1)] } },
    {
      type: "CREATE_VOLUMES",
      create_volumes: {
        agent_id: { value: agent },
        volumes: [{ ...reserved("disk", 10), disk: { persistence: { id: "v1" }, volume: { mode: "RW", container_path: "data" } } }],
      },
    },
    {
      type: "DESTROY_VOLUMES",
      destroy_volumes: {
        agent_id: { value: agent },
        volumes: [{ ...reserved("disk", 10), disk: { persistence: { id: "v1" }, volume: { mode: "RW", container_path: "data" } } }],
      },
    },
    {
      type: "UPDATE_QUOTA",
      update_quota: { force: true, quota_configs: [{ role: "web", guarantees: { cpus: { value: 1 } }, limits: { cpus: { value: 2 } } }] },
    },
    { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "web", weight: 2 }] } },
  ];
}

describe("operator calls: invalid bodies are 4xx, never a crash", () => {
  const probe = cluster();
  for (const valid of operatorBodies(probe.agent, probe.fid)) {
    it(String(valid.type), () => {
      let n = 0;
      for (const m of mutations(valid)) {
        const { h } = cluster(); // fresh master each time: ids are the same (counting entropy)
        refusedCleanly(() => operator(h, m.body as Record<string, unknown>), `${valid.type} ${m.where}`);
        // the master still works after it
        refusedCleanly(() => {
          h.advance(1000);
          operator(h, { type: "GET_STATE" });
        }, `${valid.type} ${m.where} (after)`);
        n++;
      }
      expect(n).toBeGreaterThan(0);
    });
  }
});

describe("scheduler calls: invalid bodies are 4xx, never a crash", () => {
  function bodies(h: MasterHarness, agent: string, fid: string): Record<string, unknown>[] {
    const offer = h.offersFor(fid)[0]!.id.value;
    const task = {
      name: "t",
      task_id: { value: "t1" },
      agent_id: { value: agent },
      resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }],
      command: { value: "true" },
    };
    return [
      {
        type: "ACCEPT",
        accept: {
          offer_ids: [{ value: offer }],
          operations: [
            { type: "LAUNCH", launch: { task_infos: [task] } },
            { type: "RESERVE", reserve: { resources: [reserved("cpus", 1)] } },
          ],
          filters: { refuse_seconds: 5 },
        },
      },
      { type: "DECLINE", decline: { offer_ids: [{ value: offer }], filters: { refuse_seconds: 5 } } },
      { type: "KILL", kill: { task_id: { value: "t1" }, agent_id: { value: agent } } },
      { type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: { value: agent } }] } },
      { type: "SUPPRESS", suppress: { roles: ["web"] } },
      { type: "REVIVE", revive: { roles: ["web"] } },
      { type: "ACKNOWLEDGE", acknowledge: { agent_id: { value: agent }, task_id: { value: "t1" }, uuid: "QQAAAAAAAAAAAAAAAAAAAQ==" } },
      { type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: [{ value: "x" }], filters: { refuse_seconds: 5 } } },
      { type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: { inverse_offer_ids: [{ value: "x" }], filters: { refuse_seconds: 5 } } },
      {
        type: "UPDATE_FRAMEWORK",
        update_framework: {
          framework_info: { user: "tester", name: "fw", id: { value: fid }, roles: ["web"], capabilities: [{ type: "MULTI_ROLE" }], failover_timeout: 3600 },
          suppressed_roles: [],
        },
      },
    ];
  }
  const probe = cluster();
  for (const valid of bodies(probe.h, probe.agent, probe.fid)) {
    it(String(valid.type), () => {
      for (const m of mutations(valid)) {
        const { h, fid } = cluster();
        refusedCleanly(() => {
          const call = parseMessage(SchedulerCallSchema, { framework_id: { value: fid }, ...(m.body as object) });
          if (call.type === "SUBSCRIBE") return;
          orThrow(h.core.call(call as any, undefined, h.streamOf(fid), h.now));
        }, `${valid.type} ${m.where}`);
        refusedCleanly(() => {
          h.advance(1000);
          operator(h, { type: "GET_STATE" });
        }, `${valid.type} ${m.where} (after)`);
      }
    });
  }
});

describe("Int64 fields outside the int64 range", () => {
  const huge = `1${"0".repeat(400)}`; // Number(huge) is Infinity, which JSON stores as null
  it.each([
    ["a string past 2^63", huge],
    ["a number past 2^63", 1e308],
  ])("are refused: %s", (_what, nanoseconds) => {
    const { h } = cluster();
    const body = {
      type: "UPDATE_MAINTENANCE_SCHEDULE",
      update_maintenance_schedule: {
        schedule: {
          windows: [
            {
              machine_ids: [{ hostname: "host-1.test" }],
              unavailability: { start: { nanoseconds } },
            },
          ],
        },
      },
    };
    let caught: unknown;
    try {
      operator(h, body);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toMatch(/unavailability\.start\.nanoseconds/);
  });
});
