/**
 * The wire schemas: Mesos v1 JSON (examples from the Mesos scheduler HTTP API docs) parses,
 * survives a JSON round trip unchanged, follows the protobuf JSON conventions (null = absent,
 * unknown fields ignored, enums as strings, int64 as strings), and every rejection names the
 * offending field's path. Also the master's settings (`readConfig`, `parseCredentials`).
 */
import { describe, expect, it } from "vitest";
import { parseCredentials, readConfig } from "../../master-worker/src/model/config.ts";
import {
  AgentCommand,
  Int64,
  isTerminal,
  Offer,
  PollRequest,
  parseMessage,
  RegisterRequest,
  SchedulerCall,
  SchedulerEvent,
  StatusRequest,
  stripNulls,
  TaskInfo,
  ValidationError,
} from "../../schemas/index.ts";

/** Parses, serialises, parses again: the second parse must equal the first. */
function roundTrip<S extends Parameters<typeof parseMessage>[0]>(schema: S, json: unknown) {
  const first = parseMessage(schema, json);
  const second = parseMessage(schema, JSON.parse(JSON.stringify(first)));
  expect(second).toEqual(first);
  return first as ReturnType<typeof parseMessage<S>>;
}

/** The ValidationError a parse throws (fails the test when it does not throw one). */
function rejection(schema: Parameters<typeof parseMessage>[0], json: unknown): ValidationError {
  try {
    parseMessage(schema, json);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error("expected a ValidationError, but the input was accepted");
}

// ---- examples from the Mesos v1 scheduler HTTP API documentation ----

const SUBSCRIBE = {
  type: "SUBSCRIBE",
  subscribe: {
    framework_info: {
      user: "foo",
      name: "Example HTTP Framework",
      roles: ["test"],
      capabilities: [{ type: "MULTI_ROLE" }],
    },
  },
};

const FID = { value: "12220-3440-12532-2345" };
const ACCEPT = {
  framework_id: FID,
  type: "ACCEPT",
  accept: {
    offer_ids: [{ value: "12220-3440-12532-O12" }, { value: "12220-3440-12532-O13" }],
    operations: [
      {
        type: "LAUNCH",
        launch: {
          task_infos: [
            {
              name: "My Task",
              task_id: { value: "12220-3440-12532-my-task" },
              agent_id: { value: "12220-3440-12532-S1233" },
              command: { shell: true, value: "sleep 1000", environment: { variables: [{ name: "FOO", value: "bar" }] } },
              resources: [
                { allocation_info: { role: "engineering" }, name: "cpus", role: "*", type: "SCALAR", scalar: { value: 1.0 } },
                { allocation_info: { role: "engineering" }, name: "mem", role: "*", type: "SCALAR", scalar: { value: 128.0 } },
                {
                  allocation_info: { role: "engineering" },
                  name: "ports",
                  role: "*",
                  type: "RANGES",
                  ranges: {
                    range: [
                      { begin: 31000, end: 31001 },
                      { begin: "31005", end: "31010" },
                    ],
                  },
                },
              ],
              kill_policy: { grace_period: { nanoseconds: "3000000000" } },
              labels: { labels: [{ key: "team", value: "infra" }] },
            },
          ],
        },
      },
    ],
    filters: { refuse_seconds: 5.0 },
  },
};

const DECLINE = {
  framework_id: FID,
  type: "DECLINE",
  decline: { offer_ids: [{ value: "12220-3440-12532-O12" }, { value: "12220-3440-12532-O13" }], filters: { refuse_seconds: 5.0 } },
};

const ACKNOWLEDGE = {
  framework_id: FID,
  type: "ACKNOWLEDGE",
  acknowledge: { agent_id: { value: "12214-23523-S235235" }, task_id: { value: "12344-my-task" }, uuid: "jhadf73jhakdlfha723adf" },
};

const RECONCILE = {
  framework_id: FID,
  type: "RECONCILE",
  reconcile: { tasks: [{ task_id: { value: "312325" }, agent_id: { value: "123535" } }] },
};

const OFFERS = {
  type: "OFFERS",
  offers: {
    offers: [
      {
        allocation_info: { role: "engineering" },
        id: { value: "12214-23523-O235235" },
        framework_id: { value: "12124-235325-32425" },
        agent_id: { value: "12325-23523-S23523" },
        hostname: "agent.host",
        url: { scheme: "http", address: { hostname: "agent.host", ip: "10.0.0.1", port: 5051 }, path: "/slave(1)" },
        resources: [
          { allocation_info: { role: "engineering" }, name: "cpus", role: "*", type: "SCALAR", scalar: { value: 2.5 } },
          { allocation_info: { role: "engineering" }, name: "ports", role: "*", type: "RANGES", ranges: { range: [{ begin: 31000, end: 32000 }] } },
        ],
        attributes: [
          { name: "rack", type: "TEXT", text: { value: "r1" } },
          { name: "zone", type: "SET", set: { item: ["a", "b"] } },
        ],
        executor_ids: [{ value: "ef-1" }],
      },
    ],
  },
};

const UPDATE = {
  type: "UPDATE",
  update: {
    status: {
      task_id: { value: "12344-my-task" },
      state: "TASK_RUNNING",
      source: "SOURCE_EXECUTOR",
      uuid: "adfadfadbhgvjayd23r2uahj",
      bytes: "uhdjfhuagdj63d7hadkf",
      agent_id: { value: "12325-23523-S23523" },
      timestamp: 1700000000.25,
      healthy: true,
    },
  },
};

describe("Mesos JSON examples round-trip", () => {
  it("SUBSCRIBE", () => {
    const call = roundTrip(SchedulerCall, SUBSCRIBE);
    expect(call.type).toBe("SUBSCRIBE");
    if (call.type !== "SUBSCRIBE") return;
    expect(call.framework_id).toBeUndefined();
    expect(call.subscribe.framework_info).toEqual({
      user: "foo",
      name: "Example HTTP Framework",
      roles: ["test"],
      capabilities: [{ type: "MULTI_ROLE" }],
    });
  });

  it("ACCEPT with a LAUNCH of a task with cpus, mem and port ranges (int64 given as strings)", () => {
    const call = roundTrip(SchedulerCall, ACCEPT);
    if (call.type !== "ACCEPT") throw new Error(call.type);
    expect(call.framework_id).toEqual(FID);
    expect(call.accept.offer_ids.map((o) => o.value)).toEqual(["12220-3440-12532-O12", "12220-3440-12532-O13"]);
    expect(call.accept.filters).toEqual({ refuse_seconds: 5 });
    const task = call.accept.operations[0]!.launch!.task_infos[0]!;
    expect(task.resources.map((r) => r.name)).toEqual(["cpus", "mem", "ports"]);
    expect(task.resources[2]!.ranges!.range).toEqual([
      { begin: 31000, end: 31001 },
      { begin: 31005, end: 31010 },
    ]);
    expect(task.resources[0]!.allocation_info).toEqual({ role: "engineering" });
    expect(task.kill_policy).toEqual({ grace_period: { nanoseconds: 3_000_000_000 } });
    expect(task.command).toEqual({ shell: true, value: "sleep 1000", environment: { variables: [{ name: "FOO", value: "bar" }] } });
    expect(task.labels).toEqual({ labels: [{ key: "team", value: "infra" }] });
  });

  it("DECLINE with filters", () => {
    const call = roundTrip(SchedulerCall, DECLINE);
    expect(call).toEqual(DECLINE);
  });

  it("ACKNOWLEDGE", () => {
    expect(roundTrip(SchedulerCall, ACKNOWLEDGE)).toEqual(ACKNOWLEDGE);
  });

  it("RECONCILE, explicit and implicit (reconcile omitted defaults to no tasks)", () => {
    expect(roundTrip(SchedulerCall, RECONCILE)).toEqual(RECONCILE);
    expect(roundTrip(SchedulerCall, { framework_id: FID, type: "RECONCILE" })).toEqual({ framework_id: FID, type: "RECONCILE", reconcile: { tasks: [] } });
    expect(roundTrip(SchedulerCall, { framework_id: FID, type: "RECONCILE", reconcile: {} })).toMatchObject({ reconcile: { tasks: [] } });
  });

  it("KILL, SUPPRESS, REVIVE, TEARDOWN", () => {
    const kill = {
      framework_id: FID,
      type: "KILL",
      kill: { task_id: { value: "t" }, agent_id: { value: "a" }, kill_policy: { grace_period: { nanoseconds: 1 } } },
    };
    expect(roundTrip(SchedulerCall, kill)).toEqual(kill);
    expect(roundTrip(SchedulerCall, { framework_id: FID, type: "SUPPRESS", suppress: { roles: ["r"] } })).toMatchObject({ suppress: { roles: ["r"] } });
    expect(roundTrip(SchedulerCall, { framework_id: FID, type: "REVIVE" })).toEqual({ framework_id: FID, type: "REVIVE" });
    expect(roundTrip(SchedulerCall, { framework_id: FID, type: "TEARDOWN" })).toEqual({ framework_id: FID, type: "TEARDOWN" });
  });

  it("OFFERS event", () => {
    const e = roundTrip(SchedulerEvent, OFFERS);
    if (e.type !== "OFFERS") throw new Error(e.type);
    const o = e.offers.offers[0]!;
    expect(o.id.value).toBe("12214-23523-O235235");
    expect(o.url?.address).toEqual({ hostname: "agent.host", ip: "10.0.0.1", port: 5051 });
    expect(o.attributes.map((a) => a.name)).toEqual(["rack", "zone"]);
    expect(o.attributes[0]!.text).toEqual({ value: "r1" });
    expect(o.executor_ids).toEqual([{ value: "ef-1" }]);
    expect(o.resources[1]!.ranges!.range).toEqual([{ begin: 31000, end: 32000 }]);
  });

  it("an offer without attributes/executor_ids gets empty lists", () => {
    const { attributes: _a, executor_ids: _e, ...bare } = OFFERS.offers.offers[0]!;
    const o = parseMessage(Offer, bare);
    expect(o.attributes).toEqual([]);
    expect(o.executor_ids).toEqual([]);
  });

  it("UPDATE event (unknown `bytes` dropped)", () => {
    const e = roundTrip(SchedulerEvent, UPDATE);
    if (e.type !== "UPDATE") throw new Error(e.type);
    expect(e.update.status).toEqual({
      task_id: { value: "12344-my-task" },
      state: "TASK_RUNNING",
      source: "SOURCE_EXECUTOR",
      uuid: "adfadfadbhgvjayd23r2uahj",
      agent_id: { value: "12325-23523-S23523" },
      timestamp: 1700000000.25,
      healthy: true,
    });
  });

  it("the other events: SUBSCRIBED, RESCIND, ERROR, HEARTBEAT, FAILURE", () => {
    const events = [
      {
        type: "SUBSCRIBED",
        subscribed: { framework_id: FID, heartbeat_interval_seconds: 15, master_info: { id: "m", ip: 16777343, port: 5050, hostname: "localhost" } },
      },
      { type: "RESCIND", rescind: { offer_id: { value: "o1" } } },
      { type: "ERROR", error: { message: "Framework failed over" } },
      { type: "HEARTBEAT" },
      { type: "FAILURE", failure: { agent_id: { value: "a" }, status: 1 } },
    ];
    for (const e of events) expect(roundTrip(SchedulerEvent, e)).toEqual(e);
  });
});

describe("protobuf JSON conventions", () => {
  it("null is treated as absent, also inside arrays and nested objects", () => {
    const call = parseMessage(SchedulerCall, {
      ...DECLINE,
      decline: { offer_ids: [null, { value: "o1" }, null], filters: null },
      extra: null,
    });
    expect(call).toEqual({ framework_id: FID, type: "DECLINE", decline: { offer_ids: [{ value: "o1" }] } });
    const sub = parseMessage(SchedulerCall, { ...SUBSCRIBE, framework_id: null });
    expect(sub.framework_id).toBeUndefined();
    expect(stripNulls({ a: null, b: [null, { c: null, d: 1 }] })).toEqual({ b: [{ d: 1 }] });
  });

  it("a required field given as null is missing, and named", () => {
    expect(rejection(SchedulerCall, { ...ACKNOWLEDGE, acknowledge: { ...ACKNOWLEDGE.acknowledge, uuid: null } }).message).toMatch(/^acknowledge\.uuid: /);
  });

  it("unknown fields are ignored (dropped)", () => {
    const call = parseMessage(SchedulerCall, {
      ...ACKNOWLEDGE,
      future_field: 1,
      acknowledge: { ...ACKNOWLEDGE.acknowledge, also_new: { x: 1 } },
    });
    expect(call).toEqual(ACKNOWLEDGE);
    const info = parseMessage(TaskInfo, { ...ACCEPT.accept.operations[0]!.launch.task_infos[0], executor: { executor_id: { value: "e" } } });
    expect(info).not.toHaveProperty("executor");
  });

  it("enums are strings: a bad one is rejected naming its path", () => {
    const bad = structuredClone(ACCEPT) as any;
    bad.accept.operations[0].type = "LAUNCH_EVERYTHING";
    const err = rejection(SchedulerCall, bad);
    expect(err.message.startsWith("accept.operations[0].type: ")).toBe(true);
    expect(err.field).toBe("accept.operations[0].type");

    const badState = structuredClone(UPDATE) as any;
    badState.update.status.state = "RUNNING";
    expect(rejection(SchedulerEvent, badState).field).toBe("update.status.state");

    const badRes = structuredClone(ACCEPT) as any;
    badRes.accept.operations[0].launch.task_infos[0].resources[1].type = "scalar";
    expect(rejection(SchedulerCall, badRes).field).toBe("accept.operations[0].launch.task_infos[0].resources[1].type");

    // Enum numbers (protobuf's other JSON spelling) are not accepted.
    expect(rejection(SchedulerEvent, { ...UPDATE, update: { status: { ...UPDATE.update.status, state: 1 } } }).field).toBe("update.status.state");
  });

  it("an unknown call or event type is rejected naming `type`", () => {
    expect(rejection(SchedulerCall, { type: "MESSAGE", framework_id: FID }).field).toBe("type");
    expect(rejection(SchedulerEvent, { type: "NOT_AN_EVENT" }).field).toBe("type");
    expect(rejection(SchedulerCall, { framework_id: FID }).field).toBe("type");
  });

  it("int64 as a decimal string is accepted and becomes a number; garbage is rejected", () => {
    expect(parseMessage(Int64, "5000000000")).toBe(5_000_000_000);
    expect(parseMessage(Int64, "-12")).toBe(-12);
    expect(parseMessage(Int64, 42)).toBe(42);
    expect(() => parseMessage(Int64, "12abc")).toThrow(ValidationError);
    expect(() => parseMessage(Int64, 1.5)).toThrow(ValidationError);
    // nanoseconds since the epoch are past 2^53 (Mesos docs write them as JSON numbers)
    expect(parseMessage(Int64, 1_700_000_000_000_000_000)).toBe(1.7e18);
    expect(parseMessage(Int64, "1700000000000000000")).toBe(1.7e18);
    const bad = structuredClone(ACCEPT) as any;
    bad.accept.operations[0].launch.task_infos[0].kill_policy.grace_period.nanoseconds = "3s";
    expect(rejection(SchedulerCall, bad).field).toBe("accept.operations[0].launch.task_infos[0].kill_policy.grace_period.nanoseconds");
  });

  it("missing required fields are rejected naming their path", () => {
    const cases: Array<[Parameters<typeof parseMessage>[0], unknown, string]> = [
      [SchedulerCall, { type: "ACCEPT", accept: { offer_ids: [{ value: "o" }] } }, "framework_id"],
      [SchedulerCall, { framework_id: FID, type: "ACCEPT", accept: {} }, "accept.offer_ids"],
      [SchedulerCall, { framework_id: FID, type: "ACCEPT", accept: { offer_ids: [] } }, "accept.offer_ids"],
      [SchedulerCall, { framework_id: FID, type: "ACCEPT" }, "accept"],
      [
        SchedulerCall,
        (() => {
          const c = structuredClone(ACCEPT) as any;
          delete c.accept.operations[0].launch.task_infos[0].task_id;
          return c;
        })(),
        "accept.operations[0].launch.task_infos[0].task_id",
      ],
      [
        SchedulerCall,
        (() => {
          const c = structuredClone(ACCEPT) as any;
          c.accept.operations[0].launch.task_infos[0].agent_id = { value: "" };
          return c;
        })(),
        "accept.operations[0].launch.task_infos[0].agent_id.value",
      ],
      [SchedulerCall, { type: "SUBSCRIBE", subscribe: { framework_info: { name: "x" } } }, "subscribe.framework_info.user"],
      [SchedulerCall, { framework_id: FID, type: "KILL", kill: {} }, "kill.task_id"],
      [
        SchedulerEvent,
        (() => {
          const e = structuredClone(OFFERS) as any;
          delete e.offers.offers[0].hostname;
          return e;
        })(),
        "offers.offers[0].hostname",
      ],
      [SchedulerEvent, { type: "UPDATE", update: { status: { state: "TASK_RUNNING" } } }, "update.status.task_id"],
    ];
    for (const [schema, json, path] of cases) {
      const err = rejection(schema, json);
      expect(err.field, JSON.stringify(json)).toBe(path);
      expect(err.message.startsWith(`${path}: `)).toBe(true);
    }
  });

  it("a non-object body is rejected under the name given for the whole message", () => {
    expect(rejection(SchedulerCall, "hello").message).toMatch(/^body: /);
    expect(() => parseMessage(SchedulerCall, 7, "call")).toThrow(/^call: /);
  });

  it("terminal states are those after which a task holds nothing", () => {
    expect(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE"].every((s) => isTerminal(s as never))).toBe(
      true,
    );
    expect(["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE", "TASK_UNKNOWN"].some((s) => isTerminal(s as never))).toBe(
      false,
    );
  });
});

describe("agent protocol", () => {
  const resources = [{ name: "cpus", type: "SCALAR", scalar: { value: 2 } }];

  it("RegisterRequest applies defaults and needs resources", () => {
    const r = parseMessage(RegisterRequest, { hostname: "h", resources });
    expect(r).toEqual({ hostname: "h", port: 5051, resources, attributes: [], tasks: [] });
    expect(rejection(RegisterRequest, { hostname: "h", resources: [] }).field).toBe("resources");
    expect(rejection(RegisterRequest, { hostname: "h", resources, port: 70000 }).field).toBe("port");
    expect(rejection(RegisterRequest, { hostname: "", resources }).field).toBe("hostname");
  });

  it("PollRequest defaults ack_seq to 0 and acked_uuids to []", () => {
    expect(parseMessage(PollRequest, { agent_id: { value: "a" } })).toEqual({ agent_id: { value: "a" }, ack_seq: 0, acked_uuids: [] });
    expect(rejection(PollRequest, { agent_id: { value: "a" }, ack_seq: -1 }).field).toBe("ack_seq");
  });

  it("StatusRequest needs a uuid on every update", () => {
    const ok = { agent_id: { value: "a" }, updates: [{ framework_id: FID, status: { task_id: { value: "t" }, state: "TASK_RUNNING", uuid: "u1" } }] };
    expect(roundTrip(StatusRequest, ok)).toEqual(ok);
    const noUuid = structuredClone(ok) as any;
    delete noUuid.updates[0].status.uuid;
    expect(rejection(StatusRequest, noUuid).field).toBe("updates[0].status.uuid");
    expect(rejection(StatusRequest, { ...ok, updates: [] }).field).toBe("updates");
  });

  it("AgentCommand is discriminated by type and carries a seq", () => {
    const launch = { seq: 1, type: "LAUNCH", framework_id: FID, task: ACCEPT.accept.operations[0]!.launch.task_infos[0] };
    const parsed = roundTrip(AgentCommand, launch);
    expect(parsed.type === "LAUNCH" && parsed.task.resources[2]!.ranges!.range[1]).toEqual({ begin: 31005, end: 31010 });
    expect(roundTrip(AgentCommand, { seq: 2, type: "SHUTDOWN_FRAMEWORK", framework_id: FID })).toEqual({
      seq: 2,
      type: "SHUTDOWN_FRAMEWORK",
      framework_id: FID,
    });
    expect(rejection(AgentCommand, { type: "KILL", framework_id: FID, task_id: { value: "t" } }).field).toBe("seq");
  });
});

describe("readConfig", () => {
  it("defaults", () => {
    const c = readConfig({});
    expect(c).toMatchObject({
      authenticateFrameworks: true,
      authenticateAgents: true,
      authenticateReadonly: true,
      heartbeatIntervalMs: 5_000,
      allocationIntervalMs: 1_000,
      agentPingTimeoutMs: 75_000,
      pollHoldMs: 25_000,
      offerTimeoutMs: 0,
      defaultRefuseMs: 5_000,
      clusterName: "strata",
    });
    expect(c.joinToken).toBeUndefined();
    expect(c.credentials.size).toBe(0);
  });

  it("reads the variables (as the strings an environment holds)", () => {
    const c = readConfig({
      STRATA_JOIN_TOKEN: "tok",
      STRATA_CREDENTIALS: "alice:s1,bob:s2",
      STRATA_AUTHENTICATE_FRAMEWORKS: "false",
      STRATA_AUTHENTICATE_AGENTS: "0",
      STRATA_AUTHENTICATE_HTTP_READONLY: "1",
      STRATA_HEARTBEAT_INTERVAL_SECONDS: "0.5",
      STRATA_ALLOCATION_INTERVAL_MS: "250",
      STRATA_AGENT_PING_TIMEOUT_SECONDS: "30",
      STRATA_POLL_HOLD_SECONDS: "60",
      STRATA_OFFER_TIMEOUT_SECONDS: "120",
      STRATA_DEFAULT_REFUSE_SECONDS: "2",
      STRATA_CLUSTER_NAME: "lab",
    });
    expect(c).toMatchObject({
      joinToken: "tok",
      authenticateFrameworks: false,
      authenticateAgents: false,
      authenticateReadonly: true,
      heartbeatIntervalMs: 500,
      allocationIntervalMs: 250,
      agentPingTimeoutMs: 30_000,
      pollHoldMs: 25_000, // capped: a held request must end before the platform cuts it
      offerTimeoutMs: 120_000,
      defaultRefuseMs: 2_000,
      clusterName: "lab",
    });
    expect([...c.credentials]).toEqual([
      ["alice", "s1"],
      ["bob", "s2"],
    ]);
  });

  it("an empty join token counts as none", () => {
    expect(readConfig({ STRATA_JOIN_TOKEN: "" }).joinToken).toBeUndefined();
  });

  it("errors name the variable", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ STRATA_ALLOCATION_INTERVAL_MS: "soon" }, "STRATA_ALLOCATION_INTERVAL_MS"],
      [{ STRATA_ALLOCATION_INTERVAL_MS: "-5" }, "STRATA_ALLOCATION_INTERVAL_MS"],
      [{ STRATA_AUTHENTICATE_FRAMEWORKS: "yes" }, "STRATA_AUTHENTICATE_FRAMEWORKS"],
      [{ STRATA_AUTHENTICATE_AGENTS: "TRUE" }, "STRATA_AUTHENTICATE_AGENTS"],
      [{ STRATA_HEARTBEAT_INTERVAL_SECONDS: "0" }, "STRATA_HEARTBEAT_INTERVAL_SECONDS"],
      [{ STRATA_AGENT_PING_TIMEOUT_SECONDS: "0.5" }, "STRATA_AGENT_PING_TIMEOUT_SECONDS"],
      [{ STRATA_OFFER_TIMEOUT_SECONDS: "ten" }, "STRATA_OFFER_TIMEOUT_SECONDS"],
      [{ STRATA_CREDENTIALS: "alice" }, "STRATA_CREDENTIALS[0]"],
    ];
    for (const [env, name] of cases) {
      expect(() => readConfig(env), JSON.stringify(env)).toThrow(new RegExp(`^${name.replace(/[[\]]/g, "\\$&")}: `));
    }
  });
});

describe("parseCredentials", () => {
  it("reads principal:secret pairs separated by commas or newlines, secrets may hold colons", () => {
    expect([...parseCredentials("alice:s1, bob:s:2\ncarol:x ")]).toEqual([
      ["alice", "s1"],
      ["bob", "s:2"],
      ["carol", "x"],
    ]);
    expect(parseCredentials(undefined).size).toBe(0);
    expect(parseCredentials(" , \n").size).toBe(0);
  });

  it("a bad entry is named by its position", () => {
    expect(() => parseCredentials("alice:s1,bob")).toThrow(/^STRATA_CREDENTIALS\[1\]: expected principal:secret/);
    expect(() => parseCredentials(":secret")).toThrow(/^STRATA_CREDENTIALS\[0\]/);
    expect(() => parseCredentials("alice:s1,bob:")).toThrow(/^STRATA_CREDENTIALS\[1\]/);
  });

  it("error messages do not echo the secrets", () => {
    try {
      parseCredentials("alice:topsecret,oops");
    } catch (e) {
      expect((e as Error).message).not.toContain("topsecret");
      return;
    }
    throw new Error("expected an error");
  });
});
