/**
 * Read-side authorization: each `view_*` ACL filters the operator read calls and the classic
 * endpoints (Mesos filters what a principal may not view instead of refusing the request), and
 * `view_flags` refuses GET_FLAGS and `/flags` outright.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { serveRead } from "../../../master-worker/src/edge/read-routes.ts";
import type { MasterHarness } from "../../support/master-harness.ts";
import { busyCluster, INTERVAL, op, readJson } from "../../support/operator-fixture.ts";

/** ACLs where `ann` may view only what `rules` allow for `action` (everyone else: everything). */
// ann and ops are both operators (busyCluster names them): the view ACLs filter what an operator sees.
const OPERATORS = { STRATA_OPERATORS: "ops,ann" };
const onlyFor = (action: string, field: string, values: string[]) =>
  JSON.stringify({
    permissive: true,
    [action]: [
      { principals: { values: ["ann"] }, [field]: { values } },
      { principals: { values: ["ann"] }, [field]: { type: "NONE" } },
    ],
  });

const read = async (h: MasterHarness, path: string, principal?: string, query = "") =>
  readJson(serveRead(h.core, path, new URLSearchParams(query), principal, h.now)!);

const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id).sort();

function expectForbidden(fn: () => unknown, what: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HttpError);
  expect((caught as HttpError).status).toBe(403);
  expect((caught as HttpError).message).toMatch(what);
}

describe("view ACLs", () => {
  it("view_frameworks: ann sees only frameworks run by alice, with their tasks; others see all", async () => {
    const { h, alpha, beta } = busyCluster({ ...OPERATORS, STRATA_ACLS: onlyFor("view_frameworks", "users", ["alice"]) });
    const names = (p?: string) =>
      op(h, { type: "GET_FRAMEWORKS" }, p)
        .get_frameworks.frameworks.map((f: { framework_info: { name: string } }) => f.framework_info.name)
        .sort();
    expect(names("ann")).toEqual(["alpha"]);
    expect(names("ops")).toEqual(["alpha", "beta"]);
    expect(op(h, { type: "GET_TASKS" }, "ann").get_tasks.tasks.map((t: { task_id: { value: string } }) => t.task_id.value)).toEqual(["ta"]);
    expect(ids((await read(h, "/state", "ann")).frameworks)).toEqual([alpha]);
    expect(ids((await read(h, "/frameworks", "ann")).frameworks)).toEqual([alpha]);
    expect(ids((await read(h, "/state", "ops")).frameworks)).toEqual([alpha, beta].sort());
    expect(ids((await read(h, "/tasks", "ann")).tasks)).toEqual(["ta"]);
  });

  it("view_tasks: ann sees alice's tasks only, whatever framework they belong to (a command's user wins)", async () => {
    const { h, alpha, a1, a2 } = busyCluster({ ...OPERATORS, STRATA_ACLS: onlyFor("view_tasks", "users", ["alice"]) });
    h.advance(INTERVAL);
    const offer = h.offersFor(alpha)[0]!;
    h.accept(
      alpha,
      [offer.id.value],
      [{ taskId: "as-bob", agentId: offer.agent_id.value, resources: "cpus:0.1;mem:16", command: { value: "true", user: "bob" } }],
    );
    for (const a of [a1, a2]) h.pollCommands(a);
    const tasks = (p?: string) =>
      op(h, { type: "GET_TASKS" }, p)
        .get_tasks.tasks.map((t: { task_id: { value: string } }) => t.task_id.value)
        .sort();
    expect(tasks("ann")).toEqual(["ta"]);
    expect(tasks("ops")).toEqual(["as-bob", "ta", "tb"]);
    // The frameworks stay visible (view_frameworks allows), without the hidden tasks.
    expect(op(h, { type: "GET_FRAMEWORKS" }, "ann").get_frameworks.frameworks).toHaveLength(2);
    const state = await read(h, "/state", "ann");
    expect(state.frameworks.flatMap((f: { tasks: Array<{ id: string }> }) => f.tasks.map((t) => t.id))).toEqual(["ta"]);
    expect(ids((await read(h, "/tasks", "ann")).tasks)).toEqual(["ta"]);
    // Used resources on agents still count every task (what the agent really has in use).
    const used = state.slaves.reduce((s: number, a: { used_resources: { cpus: number } }) => s + a.used_resources.cpus, 0);
    expect(used).toBeCloseTo(1.6);
  });

  it("view_roles: ann sees only role eng", async () => {
    const { h } = busyCluster({ ...OPERATORS, STRATA_ACLS: onlyFor("view_roles", "roles", ["eng"]) });
    const roles = (p?: string) =>
      op(h, { type: "GET_ROLES" }, p)
        .get_roles.roles.map((r: { name: string }) => r.name)
        .sort();
    expect(roles("ann")).toEqual(["eng"]);
    expect(roles("ops")).toEqual(["*", "eng"]);
    expect((await read(h, "/roles", "ann")).roles.map((r: { name: string }) => r.name)).toEqual(["eng"]);
  });

  it("view_agents (Strata's): ann sees only the agent on host-1.test", async () => {
    const { h, a1 } = busyCluster({ ...OPERATORS, STRATA_ACLS: onlyFor("view_agents", "agents", ["host-1.test"]) });
    expect(op(h, { type: "GET_AGENTS" }, "ann").get_agents.agents.map((a: { agent_info: { id: { value: string } } }) => a.agent_info.id.value)).toEqual([a1]);
    expect(op(h, { type: "GET_AGENTS" }, "ops").get_agents.agents).toHaveLength(2);
    expect(ids((await read(h, "/slaves", "ann")).slaves)).toEqual([a1]);
    expect(ids((await read(h, "/state", "ann")).slaves)).toEqual([a1]);
  });

  it("view_flags: GET_FLAGS and /flags are refused, /master/state leaves the flags out", async () => {
    const acls = JSON.stringify({
      permissive: true,
      view_flags: [
        { principals: { values: ["ann"] }, flags: { type: "NONE" } },
        { principals: { type: "ANY" }, flags: { type: "ANY" } },
      ],
    });
    const { h } = busyCluster({ ...OPERATORS, STRATA_ACLS: acls });
    expectForbidden(() => op(h, { type: "GET_FLAGS" }, "ann"), /flags: principal 'ann' is not authorized to view flags/);
    const refused = serveRead(h.core, "/flags", new URLSearchParams(), "ann", h.now)!;
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe("flags: principal 'ann' is not authorized to view flags\n");
    expect(op(h, { type: "GET_FLAGS" }, "ops").get_flags.flags.length).toBeGreaterThan(3);
    expect((await read(h, "/flags", "ops")).flags.cluster_name).toBe("strata");
    expect((await read(h, "/state", "ann")).flags).toBeUndefined();
    expect((await read(h, "/state", "ops")).flags).toBeDefined();
  });

  it("an anonymous caller matches only ANY subjects", async () => {
    const acls = JSON.stringify({
      permissive: false,
      register_frameworks: [{ principals: { type: "ANY" }, roles: { type: "ANY" } }],
      run_tasks: [{ principals: { type: "ANY" }, users: { type: "ANY" } }],
      view_frameworks: [{ principals: { type: "ANY" }, users: { values: ["bob"] } }],
      view_tasks: [{ principals: { type: "ANY" }, users: { type: "ANY" } }],
    });
    // Only open reads (STRATA_AUTHENTICATE_HTTP_READONLY=false) let an anonymous caller read.
    const { h, beta } = busyCluster({ STRATA_ACLS: acls, STRATA_AUTHENTICATE_HTTP_READONLY: "false" });
    expect(ids((await read(h, "/frameworks")).frameworks)).toEqual([beta]);
    expect(ids((await read(h, "/slaves")).slaves)).toEqual([]); // view_agents: no rule, not permissive
    expectForbidden(() => op(h, { type: "GET_FLAGS" }, null), /'\(anonymous\)'/);
  });
});
