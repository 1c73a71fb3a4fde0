/**
 * schemas/agent-wire.ts spells the agent's answers again in `zod/mini` (to keep classic zod out
 * of the agent binary). These tests hold it to the reference schemas of agent.ts and mesos.ts:
 * on fixed and on randomly mutated answers, the same parsed value or the same error (field
 * path and message). Constants, `stripNulls` and `parseMessage` are shared, not copied. Its output types are checked at compile time in
 * agent-wire.ts itself.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpMasterClient, MasterError } from "../../../agent-bun/src/core/master-client.ts";
import { mulberry32 } from "../../../master-worker/src/allocator/index.ts";
import * as ref from "../../../schemas/agent.ts";
import * as wire from "../../../schemas/agent-wire.ts";
import {
  MAX_DATA_LENGTH,
  MAX_HOSTNAME_LENGTH,
  MAX_ID_LENGTH,
  MAX_LIST_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
} from "../../../schemas/field-limits.ts";
import { parseMessage } from "../../../schemas/parse.ts";

/** What parsing gave: the value, or the error's message. */
function outcome(parse: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: parse() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const pairs = {
  RegisterResponse: [ref.RegisterResponse, wire.RegisterResponse],
  PollResponse: [ref.PollResponse, wire.PollResponse],
  StatusResponse: [ref.StatusResponse, wire.StatusResponse],
} as const;
type Name = keyof typeof pairs;

function expectSame(name: Name, input: unknown, change = ""): void {
  const [reference, light] = pairs[name];
  const expected = outcome(() => parseMessage(reference, input, "response"));
  const actual = outcome(() => parseMessage(light, input, "response"));
  expect(actual, `${name}${change}`).toEqual(expected);
}

const changeText = (path: Array<string | number>, replacement: unknown) =>
  ` with ${path.join(".") || "(all)"} = ${replacement === undefined ? "(removed)" : JSON.stringify(replacement)}`;

const task = {
  name: "web",
  task_id: { value: "t1" },
  agent_id: { value: "a1" },
  resources: [
    { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "*", allocation_info: { role: "web" } },
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: "31005" }] } },
    { name: "disks", type: "SET", set: { item: ["ssd"] } },
    { name: "gpus", type: "RANGES", ranges: {} },
  ],
  command: {
    shell: false,
    value: "/bin/echo",
    arguments: ["echo", "hi"],
    user: "nobody",
    environment: {
      variables: [
        { name: "A", value: "1" },
        { name: "B", type: "SECRET" },
      ],
    },
    uris: [{ value: "http://x/y.tgz", extract: true, executable: false, cache: true, output_file: "y" }],
  },
  container: { type: "DOCKER", docker: { image: "busybox", network: "HOST", privileged: true }, volumes: [] },
  health_check: {
    type: "HTTP",
    delay_seconds: 1.5,
    interval_seconds: 2,
    timeout_seconds: 3,
    consecutive_failures: 4,
    grace_period_seconds: 0,
    command: { value: "true", shell: true },
    http: { protocol: "IPv4", scheme: "http", port: 80, path: "/health", statuses: [200] },
    tcp: { protocol: "IPv6", port: 81 },
  },
  kill_policy: { grace_period: { nanoseconds: "2000000000" } },
  labels: { labels: [{ key: "tier", value: "web" }, { key: "x" }] },
  data: "aGk=",
};

/** Answers that exercise every field of the agent's schemas. */
const fixtures: Array<[Name, unknown]> = [
  [
    "RegisterResponse",
    {
      agent_id: { value: "a1" },
      agent_token: "tok",
      poll_hold_seconds: 25,
      master_info: { id: "m", ip: 0, port: 8787, pid: "master@x", hostname: "h", version: "1", address: { hostname: "h", ip: "127.0.0.1", port: 8787 } },
    },
  ],
  ["RegisterResponse", { agent_id: { value: "a1" }, agent_token: "tok", poll_hold_seconds: 25, master_info: { id: "m", ip: 0, port: 1 }, extra: 1 }],
  [
    "PollResponse",
    {
      commands: [
        {
          seq: 1,
          type: "LAUNCH",
          framework_id: { value: "f" },
          task,
          framework_info: {
            user: "u",
            name: "n",
            id: { value: "f" },
            failover_timeout: 60,
            checkpoint: true,
            role: "r",
            roles: ["r"],
            hostname: "h",
            principal: "p",
            webui_url: "http://ui",
            capabilities: [{ type: "MULTI_ROLE" }],
            labels: { labels: [] },
          },
        },
        { seq: 2, type: "KILL", framework_id: { value: "f" }, task_id: { value: "t1" }, kill_policy: { grace_period: { nanoseconds: 5 } } },
        { seq: 3, type: "SHUTDOWN_FRAMEWORK", framework_id: { value: "f" } },
        { seq: 4, type: "LAUNCH", framework_id: { value: "f" }, task: { name: "min", task_id: { value: "t2" }, agent_id: { value: "a1" } } },
        {
          seq: 5,
          type: "DESTROY_VOLUMES",
          volumes: [
            {
              name: "disk",
              type: "SCALAR",
              scalar: { value: 10 },
              role: "eng",
              reservations: [{ type: "DYNAMIC", role: "eng", principal: "p" }],
              disk: { persistence: { id: "v1", principal: "p" }, volume: { container_path: "data", mode: "RW" } },
            },
          ],
        },
      ],
      acks: [{ task_id: { value: "t1" }, uuid: "u1" }],
      reregister: false,
      master_id: "m2",
    },
  ],
  ["PollResponse", { commands: [], acks: [], reregister: null }],
  ["StatusResponse", { acknowledged: ["u1", "u2"] }],
];

/** Every path to a value inside `value` (objects and arrays included). */
function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...paths(v, [...at, i]));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

const REPLACEMENTS: unknown[] = [
  null,
  undefined,
  "",
  "x",
  "12",
  "-3",
  "1.5",
  0,
  -1,
  1.5,
  70000,
  true,
  [],
  [null],
  {},
  { value: "" },
  { value: 3 },
  "LAUNCH",
  "KILL",
  "SCALAR",
  "RANGES",
  "DOCKER",
  "TASK_RUNNING",
  Number.NaN,
];

/** `value` with the thing at `path` replaced (or, for `undefined`, removed). */
function mutate(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: unknown = structuredClone(value);
  let at = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(at)) at.splice(last as number, 1);
    else delete at[last];
  } else {
    at[last] = replacement;
  }
  return copy;
}

describe("agent-wire (zod/mini) matches the reference schemas", () => {
  it("parses every field of the fixtures to the same values", () => {
    for (const [name, input] of fixtures) {
      expectSame(name, input);
      expect(outcome(() => parseMessage(pairs[name][1], input))).toHaveProperty("ok");
    }
  });

  it("accepts and rejects the same answers with any one field changed, with the same field path and message", () => {
    let rejected = 0;
    for (const [name, input] of fixtures) {
      for (const path of paths(input)) {
        for (const replacement of REPLACEMENTS) {
          const mutated = mutate(input, path, replacement);
          expectSame(name, mutated, changeText(path, replacement));
          if ("error" in outcome(() => parseMessage(pairs[name][1], mutated))) rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(2000); // the changes do reach the validation
  });

  it("and with two fields changed at random", () => {
    const random = mulberry32(20261121);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    for (const [name, input] of fixtures) {
      for (let i = 0; i < 300; i++) {
        const once = mutate(input, pick(paths(input)), pick(REPLACEMENTS));
        expectSame(name, mutate(once, pick(paths(once)), pick(REPLACEMENTS)));
      }
    }
  });

  it("names the field at fault", () => {
    const bad = structuredClone(fixtures[2]![1]) as { commands: Array<{ task?: { resources: Array<{ scalar?: unknown }> } }> };
    bad.commands[0]!.task!.resources[0]!.scalar = { value: -1 };
    expect(() => parseMessage(wire.PollResponse, bad, "response")).toThrow("commands[0].task.resources[0].scalar.value: Too small: expected number to be >=0");
    expect(() => parseMessage(wire.StatusResponse, "nope", "response")).toThrow(/^response: Invalid input: expected object/);
  });

  it("refuses a field one past its bound (schemas/field-limits.ts) as the reference does, naming it", () => {
    const chars = (n: number) => "x".repeat(n);
    const launch = (change: Record<string, unknown>, info?: Record<string, unknown>) => ({
      commands: [
        {
          seq: 1,
          type: "LAUNCH",
          framework_id: { value: "f" },
          task: { ...task, ...change },
          ...(info ? { framework_info: { user: "u", name: "n", ...info } } : {}),
        },
      ],
      acks: [],
    });
    const cases: Array<[Name, unknown, string]> = [
      ["PollResponse", launch({ task_id: { value: chars(MAX_ID_LENGTH + 1) } }), "commands[0].task.task_id.value"],
      ["PollResponse", launch({ name: chars(MAX_NAME_LENGTH + 1) }), "commands[0].task.name"],
      ["PollResponse", launch({ command: { value: chars(MAX_TEXT_LENGTH + 1) } }), "commands[0].task.command.value"],
      ["PollResponse", launch({ data: chars(MAX_DATA_LENGTH + 1) }), "commands[0].task.data"],
      ["PollResponse", launch({ container: { type: "DOCKER", hostname: chars(MAX_HOSTNAME_LENGTH + 1) } }), "commands[0].task.container.hostname"],
      ["PollResponse", launch({ labels: { labels: Array(MAX_LIST_LENGTH + 1).fill({ key: "k" }) } }), "commands[0].task.labels.labels"],
      [
        "PollResponse",
        launch({
          labels: { labels: Array.from({ length: Math.ceil(MAX_MESSAGE_BYTES / MAX_TEXT_LENGTH) + 1 }, () => ({ key: "k", value: chars(MAX_TEXT_LENGTH) })) },
        }),
        "commands[0].task",
      ],
      ["PollResponse", launch({}, { capabilities: Array.from({ length: 100 }, () => ({ type: chars(MAX_NAME_LENGTH) })) }), "commands[0].framework_info"],
      ["PollResponse", { commands: [], acks: [{ task_id: { value: "t" }, uuid: chars(MAX_ID_LENGTH + 1) }] }, "acks[0].uuid"],
      ["StatusResponse", { acknowledged: [chars(MAX_ID_LENGTH + 1)] }, "acknowledged[0]"],
      [
        "RegisterResponse",
        {
          agent_id: { value: "a" },
          agent_token: "t",
          poll_hold_seconds: 1,
          master_info: { id: "m", ip: 0, port: 1, hostname: chars(MAX_HOSTNAME_LENGTH + 1) },
        },
        "master_info.hostname",
      ],
    ];
    for (const [name, input, path] of cases) {
      expectSame(name, input, ` (${path})`);
      expect(() => parseMessage(pairs[name][1], input, "response"), path).toThrow(`${path}: `);
    }
  });
});

describe("HttpMasterClient validates the master's answers", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A master answering every request with `body` (JSON). */
  async function masterAnswering(body: unknown): Promise<HttpMasterClient> {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return new HttpMasterClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "jt");
  }

  it("turns a bad answer into a MasterError naming the field, not a crash", async () => {
    const client = await masterAnswering({ commands: [{ seq: 1, type: "KILL", framework_id: { value: "f" } }], acks: [] });
    const poll = client.poll({ agent_id: { value: "a" }, ack_seq: 0, acked_uuids: [], wait_seconds: 0 });
    await expect(poll).rejects.toBeInstanceOf(MasterError);
    await expect(poll).rejects.toThrow("POST /agent/v1/poll: bad response: commands[0].task_id: Invalid input: expected object, received undefined");
  });

  it("takes a poll answer with one malformed file request: the others and the commands arrive, the bad one is named", async () => {
    const request = (id: string, offset: number) => ({ request_id: id, op: "READ", framework_id: { value: "f" }, task_id: { value: "t" }, path: "p", offset });
    const client = await masterAnswering({
      commands: [{ seq: 1, type: "SHUTDOWN_FRAMEWORK", framework_id: { value: "f" } }],
      acks: [],
      file_requests: [request("a", 0), request("big", 2 ** 53), request("b", 5)],
    });
    const res = await client.poll({ agent_id: { value: "a" }, ack_seq: 0, acked_uuids: [], wait_seconds: 0 });
    expect(res.commands).toHaveLength(1);
    expect(res.file_requests!.map((r) => r.request_id)).toEqual(["a", "b"]);
    expect(res.refused_file_requests).toEqual([{ request_id: "big", message: "file_requests[1].offset: expected an integer from 0 to 9007199254740991" }]);
  });

  it("returns a good answer parsed (nulls dropped, defaults filled)", async () => {
    const client = await masterAnswering({
      commands: [{ seq: 1, type: "LAUNCH", framework_id: { value: "f" }, task: { name: "t", task_id: { value: "t" }, agent_id: { value: "a" }, data: null } }],
      acks: [],
    });
    const res = await client.poll({ agent_id: { value: "a" }, ack_seq: 0, acked_uuids: [], wait_seconds: 0 });
    expect(res.commands[0]).toEqual({
      seq: 1,
      type: "LAUNCH",
      framework_id: { value: "f" },
      task: { name: "t", task_id: { value: "t" }, agent_id: { value: "a" }, resources: [] },
    });
  });
});
