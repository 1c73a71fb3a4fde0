/**
 * Every family of bounded fields (schemas/field-limits.ts) refused one past its bound with a 400
 * naming the field, the refused call leaving the master's state as it was; the three inputs that
 * used to reach the store and fail there (SQLITE_TOOBIG, a 500); and LAUNCH commands carrying only
 * the part of the framework's info the agent uses.
 */
import { describe, expect, it } from "vitest";
import { errorResponse } from "../../../master-worker/src/edge/http-error.ts";
import {
  MAX_DATA_LENGTH,
  MAX_FRAMEWORK_INFO_BYTES,
  MAX_HOSTNAME_LENGTH,
  MAX_ID_LENGTH,
  MAX_LIST_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
} from "../../../schemas/field-limits.ts";
import { type AgentCommand, parseMessage, SchedulerCall } from "../../../schemas/index.ts";
import { setup } from "../../support/core-fixture.ts";
import { INTERVAL } from "../../support/lifecycle.ts";
import { MasterHarness, TEST_OPERATOR, taskJson } from "../../support/master-harness.ts";
import { operator } from "../../support/operator-call.ts";
import { orThrow } from "../../support/refused.ts";

type Fixture = ReturnType<typeof setup>;

/** What the client gets for `fn`'s fault or refusal, as the edge answers it (null: none). */
async function answer(fn: () => unknown): Promise<{ status: number; text: string } | null> {
  try {
    fn();
    return null;
  } catch (e) {
    const res = errorResponse(e);
    return { status: res.status, text: (await res.text()).trim() };
  }
}

/** Everything the master holds: its store, what it sent, the commands it queued. */
const stateOf = (h: MasterHarness) => JSON.stringify({ store: h.store.load(), sent: h.outbox.sent.length, commands: [...h.core.commands] });

const subscribeWith = (h: MasterHarness, info: Record<string, unknown>) => {
  const call = parseMessage(SchedulerCall, { type: "SUBSCRIBE", subscribe: { framework_info: { user: "root", name: "big", ...info } } });
  if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
  orThrow(h.core.subscribe(call, undefined, h.now));
};
const launchWith = (s: Fixture, task: Record<string, unknown>) =>
  s.h.call(s.fid, {
    type: "ACCEPT",
    accept: {
      offer_ids: [{ value: s.offer.id.value }],
      operations: [{ type: "LAUNCH", launch: { task_infos: [{ ...taskJson({ taskId: "t1", agentId: s.agent }), ...task }] } }],
    },
  });
const TASK = "accept.operations[0].launch.task_infos[0]";
const chars = (n: number) => "x".repeat(n);
/** Labels each within its bounds, together over `bytes`. */
const bigLabels = (bytes: number) =>
  Array.from({ length: Math.ceil(bytes / MAX_TEXT_LENGTH) + 1 }, (_, i) => ({ key: `k${i}`, value: chars(MAX_TEXT_LENGTH) }));
const window = (machine: Record<string, unknown>) => ({
  type: "UPDATE_MAINTENANCE_SCHEDULE",
  update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [machine], unavailability: { start: { nanoseconds: 0 } } }] } },
});

/** One field one past its bound: the call that carries it and the path the refusal names. */
interface Case {
  family: string;
  path: string;
  call: (s: Fixture) => unknown;
}

const CASES: Case[] = [
  { family: "id", path: `${TASK}.task_id.value`, call: (s) => launchWith(s, { task_id: { value: chars(MAX_ID_LENGTH + 1) } }) },
  { family: "id", path: "kill.task_id.value", call: (s) => s.h.call(s.fid, { type: "KILL", kill: { task_id: { value: chars(MAX_ID_LENGTH + 1) } } }) },
  { family: "name", path: `${TASK}.name`, call: (s) => launchWith(s, { name: chars(MAX_NAME_LENGTH + 1) }) },
  { family: "name", path: "subscribe.framework_info.name", call: (s) => subscribeWith(s.h, { name: chars(MAX_NAME_LENGTH + 1) }) },
  {
    family: "name",
    path: "update_weights.weight_infos[0].role",
    call: (s) => operator(s.h, { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: chars(MAX_NAME_LENGTH + 1), weight: 2 }] } }),
  },
  { family: "hostname", path: "subscribe.framework_info.hostname", call: (s) => subscribeWith(s.h, { hostname: chars(MAX_HOSTNAME_LENGTH + 1) }) },
  {
    family: "hostname",
    path: "update_maintenance_schedule.schedule.windows[0].machine_ids[0].ip",
    call: (s) => operator(s.h, window({ ip: chars(MAX_HOSTNAME_LENGTH + 1) })),
  },
  {
    family: "hostname",
    path: "hostname",
    call: (s) => s.h.register({ hostname: chars(MAX_HOSTNAME_LENGTH + 1), resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }] }),
  },
  { family: "text", path: `${TASK}.command.value`, call: (s) => launchWith(s, { command: { value: chars(MAX_TEXT_LENGTH + 1) } }) },
  {
    family: "text",
    path: `${TASK}.command.environment.variables[0].value`,
    call: (s) => launchWith(s, { command: { value: "true", environment: { variables: [{ name: "A", value: chars(MAX_TEXT_LENGTH + 1) }] } } }),
  },
  {
    family: "text",
    path: `${TASK}.labels.labels[0].value`,
    call: (s) => launchWith(s, { labels: { labels: [{ key: "k", value: chars(MAX_TEXT_LENGTH + 1) }] } }),
  },
  { family: "data", path: `${TASK}.data`, call: (s) => launchWith(s, { data: chars(MAX_DATA_LENGTH + 1) }) },
  {
    family: "list",
    path: `${TASK}.command.arguments`,
    call: (s) => launchWith(s, { command: { shell: false, value: "echo", arguments: Array(MAX_LIST_LENGTH + 1).fill("a") } }),
  },
  {
    family: "list",
    path: "subscribe.framework_info.roles",
    call: (s) => subscribeWith(s.h, { roles: Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => `r${i}`) }),
  },
  {
    family: "list",
    path: "decline.offer_ids",
    call: (s) => s.h.call(s.fid, { type: "DECLINE", decline: { offer_ids: Array(MAX_LIST_LENGTH + 1).fill({ value: s.offer.id.value }) } }),
  },
  {
    family: "map",
    path: "update_quota.quota_configs[0].guarantees",
    call: (s) =>
      operator(s.h, {
        type: "UPDATE_QUOTA",
        update_quota: {
          quota_configs: [{ role: "dev", guarantees: Object.fromEntries(Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => [`r${i}`, { value: 1 }])) }],
        },
      }),
  },
  {
    family: "message",
    path: TASK,
    // Each label within its bounds, the task as a whole not.
    call: (s) =>
      launchWith(s, {
        labels: {
          labels: Array.from({ length: Math.ceil(MAX_MESSAGE_BYTES / MAX_TEXT_LENGTH) + 1 }, (_, i) => ({ key: `k${i}`, value: chars(MAX_TEXT_LENGTH) })),
        },
      }),
  },
  {
    family: "message",
    path: "subscribe.framework_info",
    call: (s) => subscribeWith(s.h, { labels: { labels: [1, 2].map((i) => ({ key: `k${i}`, value: chars(MAX_FRAMEWORK_INFO_BYTES / 2) })) } }),
  },
  {
    family: "message",
    path: "reserve_resources.resources",
    call: (s) =>
      operator(s.h, {
        type: "RESERVE_RESOURCES",
        reserve_resources: {
          agent_id: { value: s.agent },
          resources: [
            {
              name: "cpus",
              type: "SCALAR",
              scalar: { value: 1 },
              reservations: [{ type: "DYNAMIC", role: "dev", labels: { labels: bigLabels(MAX_MESSAGE_BYTES) } }],
            },
          ],
        },
      }),
  },
  {
    family: "message",
    path: "resources",
    call: (s) =>
      s.h.register({
        hostname: "big.test",
        resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }],
        attributes: bigLabels(MAX_MESSAGE_BYTES).map(({ key, value }) => ({ name: key, type: "TEXT", text: { value } })),
      }),
  },
  {
    family: "message",
    path: "update_maintenance_schedule.schedule",
    call: (s) => {
      const machines = (w: number) => Array.from({ length: MAX_LIST_LENGTH }, (_, i) => ({ hostname: `${chars(200)}-${w}-${i}` }));
      const windows = [0, 1, 2].map((w) => ({ machine_ids: machines(w), unavailability: { start: { nanoseconds: 0 } } }));
      return operator(s.h, { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: { windows } } });
    },
  },
];

describe("field bounds", () => {
  it.each(CASES.map((c) => [c.family, c.path, c] as const))(
    "%s: one past the bound of %s is a 400 naming it, and changes nothing",
    async (_family, path, c) => {
      const s = setup();
      const before = stateOf(s.h);
      const got = await answer(() => c.call(s));
      expect(got).toEqual({ status: 400, text: expect.stringMatching(new RegExp(`^Failed to validate call: ${path.replace(/[[\].]/g, "\\$&")}: `)) });
      expect(stateOf(s.h)).toBe(before);
    },
  );

  it("takes every bounded field at its bound", () => {
    const s = setup();
    launchWith(s, {
      name: chars(MAX_NAME_LENGTH),
      task_id: { value: chars(MAX_ID_LENGTH) },
      command: { value: chars(MAX_TEXT_LENGTH) },
      data: chars(MAX_DATA_LENGTH),
    });
    expect(s.h.pollCommands(s.agent).map((c) => c.type)).toEqual(["LAUNCH"]);
  });
});

describe("settings that add up over calls in one row", () => {
  /** Roles of long names, `count` from `from`, each call within its bounds. */
  const roles = (from: number, count: number) => Array.from({ length: count }, (_, i) => `${chars(MAX_NAME_LENGTH - 10)}${from + i}`);
  const calls: Array<[string, string, (names: string[]) => Record<string, unknown>]> = [
    [
      "weights",
      "update_weights.weight_infos",
      (names) => ({ type: "UPDATE_WEIGHTS", update_weights: { weight_infos: names.map((role) => ({ role, weight: 2 })) } }),
    ],
    [
      "quota",
      "update_quota.quota_configs",
      (names) => ({ type: "UPDATE_QUOTA", update_quota: { force: true, quota_configs: names.map((role) => ({ role, limits: { cpus: { value: 1 } } })) } }),
    ],
  ];
  it("reservations: refused (400 naming reserve_resources.resources) once the agent's resources would pass the row's bound, nothing changed", async () => {
    const s = setup();
    const reserve = (n: number) =>
      operator(s.h, {
        type: "RESERVE_RESOURCES",
        reserve_resources: {
          agent_id: { value: s.agent },
          resources: [
            {
              name: "cpus",
              type: "SCALAR",
              scalar: { value: 0.5 },
              reservations: [{ type: "DYNAMIC", role: `dev${n}`, principal: TEST_OPERATOR, labels: { labels: bigLabels(MAX_MESSAGE_BYTES / 2).slice(1) } }],
            },
          ],
        },
      });
    expect(await answer(() => reserve(0))).toBeNull();
    const before = stateOf(s.h);
    const got = await answer(() => reserve(1));
    expect(got).toEqual({
      status: 400,
      text: expect.stringMatching(new RegExp(`^reserve_resources\\.resources: the agent's resources .* must be at most ${MAX_MESSAGE_BYTES} bytes as JSON$`)),
    });
    expect(stateOf(s.h)).toBe(before);
  });

  it.each(calls)("%s: refused (400 naming %s) once all roles together would pass the row's bound, nothing changed", async (_what, path, call) => {
    const s = setup();
    const perCall = 200; // ~200 KB a call
    let refusedAt: number | undefined;
    let before = stateOf(s.h);
    for (let n = 0; n < 10 && refusedAt === undefined; n++) {
      before = stateOf(s.h);
      const got = await answer(() => operator(s.h, call(roles(n * perCall, perCall))));
      if (got) {
        expect(got).toEqual({
          status: 400,
          text: expect.stringMatching(
            new RegExp(`^${path.replace(/[[\].]/g, "\\$&")}: the .* of all roles .* must be at most ${MAX_MESSAGE_BYTES} bytes as JSON$`),
          ),
        });
        refusedAt = n;
      }
    }
    expect(refusedAt).toBe(Math.floor(MAX_MESSAGE_BYTES / (perCall * MAX_NAME_LENGTH)));
    expect(stateOf(s.h)).toBe(before);
  });
});

describe("inputs that used to fail in the store (SQLITE_TOOBIG, 500)", () => {
  it("SUBSCRIBE with a 2.2 MB framework name is a 400 naming it", async () => {
    const h = new MasterHarness();
    const before = stateOf(h);
    const got = await answer(() => subscribeWith(h, { name: chars(2_200_000) }));
    expect(got).toEqual({ status: 400, text: expect.stringMatching(/^Failed to validate call: subscribe\.framework_info\.name: /) });
    expect(stateOf(h)).toBe(before);
  });

  it("a LAUNCH of a task with a 1.2 MB label and 1.2 MB of data is a 400 naming the label", async () => {
    const s = setup();
    const before = stateOf(s.h);
    const got = await answer(() => launchWith(s, { labels: { labels: [{ key: "big", value: chars(1_200_000) }] }, data: chars(1_200_000) }));
    expect(got).toEqual({
      status: 400,
      text: expect.stringMatching(/^Failed to validate call: accept\.operations\[0\]\.launch\.task_infos\[0\]\.labels\.labels\[0\]\.value: /),
    });
    expect(stateOf(s.h)).toBe(before);
  });

  it("a maintenance schedule with a 5 MB hostname is a 400 naming it", async () => {
    const s = setup();
    const before = stateOf(s.h);
    const got = await answer(() => operator(s.h, window({ hostname: chars(5_000_000) })));
    expect(got).toEqual({
      status: 400,
      text: expect.stringMatching(/^Failed to validate call: update_maintenance_schedule\.schedule\.windows\[0\]\.machine_ids\[0\]\.hostname: /),
    });
    expect(stateOf(s.h)).toBe(before);
  });
});

describe("LAUNCH commands", () => {
  it("carry of the framework's info only its user, name, id and capabilities, not its labels or roles", () => {
    const h = new MasterHarness();
    const agent = h.addAgent();
    const call = parseMessage(SchedulerCall, {
      type: "SUBSCRIBE",
      subscribe: {
        framework_info: {
          user: "alice",
          name: "fw",
          roles: ["*"],
          webui_url: "http://fw.test",
          capabilities: [{ type: "TASK_KILLING_STATE" }, { type: "MULTI_ROLE" }],
          labels: { labels: [{ key: "team", value: chars(10_000) }] },
        },
      },
    });
    if (call.type !== "SUBSCRIBE") throw new Error("unreachable");
    const { frameworkId: fid, streamId } = orThrow(h.core.subscribe(call, undefined, h.now));
    h.outbox.open.set(fid, streamId);
    h.advance(INTERVAL);
    const [offer] = h.allOffersFor(fid);
    h.accept(fid, [offer!.id.value], [{ taskId: "t1", agentId: agent }]);
    const [launch] = h.pollCommands(agent) as Array<Extract<AgentCommand, { type: "LAUNCH" }>>;
    expect(launch!.framework_info).toEqual({
      user: "alice",
      name: "fw",
      id: { value: fid },
      capabilities: [{ type: "TASK_KILLING_STATE" }, { type: "MULTI_ROLE" }],
    });
  });
});
