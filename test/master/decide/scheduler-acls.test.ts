/**
 * The ACLs the scheduler side checks (scheduler-acls.ts, operator/agent-calls.ts):
 * register_frameworks at SUBSCRIBE and UPDATE_FRAMEWORK, run_tasks at ACCEPT, and
 * teardown_frameworks at the operator's TEARDOWN. Each denial, and that the allowed case passes.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { INTERVAL, lastStatusOf } from "../../support/lifecycle.ts";
import { MasterHarness } from "../../support/master-harness.ts";
import { caughtOrRefused, orThrow } from "../../support/refused.ts";

/** What `fn` is refused with (thrown, or a refusal returned, as the edge answers it). */
function httpError(fn: () => unknown): HttpError {
  const caught = caughtOrRefused(fn);
  expect(caught).toBeInstanceOf(HttpError);
  return caught as HttpError;
}

const acls = (doc: Record<string, unknown>) => ({ STRATA_ACLS: JSON.stringify(doc) });

describe("register_frameworks", () => {
  const env = acls({
    register_frameworks: [
      { principals: { values: ["alice"] }, roles: { values: ["eng"] } },
      { principals: { type: "NONE" }, roles: { values: ["eng"] } },
    ],
  });

  it("SUBSCRIBE with a role the principal may not use is refused (403) naming the role; nothing is registered", () => {
    const h = new MasterHarness(env);
    const err = httpError(() => h.subscribe("bobs", "bob", { role: "eng" }));
    expect(err.status).toBe(403);
    expect(err.message).toBe("subscribe.framework_info.roles[0]: principal 'bob' is not authorized to register frameworks for 'eng'");
    expect(h.core.frameworks.size).toBe(0);
    expect(h.subscribe("alices", "alice", { role: "eng" }).frameworkId).toBeTruthy();
    expect(h.subscribe("bobs", "bob", { role: "web" }).frameworkId).toBeTruthy();
  });

  it("UPDATE_FRAMEWORK to a role the principal may not use is refused (403) and changes nothing", () => {
    const h = new MasterHarness(env);
    const { frameworkId: fid } = h.subscribe("bobs", "bob", { role: "web" });
    const info = { ...h.core.frameworks.get(fid)!.info, roles: ["web", "eng"] };
    const err = httpError(() => h.call(fid, { type: "UPDATE_FRAMEWORK", update_framework: { framework_info: info } }));
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/^update_framework\.framework_info\.roles\[1\]: principal 'bob' .* for 'eng'$/);
    expect(h.core.frameworks.get(fid)!.info.roles).toEqual(["web"]);
  });
});

describe("run_tasks", () => {
  it("a task to run as a user the principal may not use is answered TASK_ERROR / REASON_TASK_UNAUTHORIZED; the others launch", () => {
    const h = new MasterHarness(
      acls({
        run_tasks: [
          { principals: { values: ["alice"] }, users: { values: ["tester"] } },
          { principals: { type: "ANY" }, users: { type: "NONE" } },
        ],
      }),
    );
    const agent = h.addAgent("cpus:4;mem:4096");
    const { frameworkId: fid } = h.subscribe("alices", "alice");
    h.advance(INTERVAL);
    const [offer] = h.offersFor(fid);
    h.accept(
      fid,
      [offer!.id.value],
      [
        { taskId: "as-framework-user", agentId: agent }, // framework_info.user: tester
        { taskId: "as-root", agentId: agent, command: { value: "id", user: "root" } },
      ],
    );
    expect(lastStatusOf(h, fid, "as-root")).toMatchObject({ state: "TASK_ERROR", reason: "REASON_TASK_UNAUTHORIZED", source: "SOURCE_MASTER" });
    expect(lastStatusOf(h, fid, "as-root")!.message).toMatch(/task_infos\[1\]: principal 'alice' is not authorized to run tasks as user 'root'/);
    expect(h.core.tasks.has(`${fid}/as-root`)).toBe(false);
    const launched = h.pollCommands(agent).flatMap((c) => (c.type === "LAUNCH" ? [c.task.task_id.value] : []));
    expect(launched).toEqual(["as-framework-user"]);
  });
});

describe("teardown_frameworks", () => {
  it("the operator's TEARDOWN needs the ACL on the framework's principal", () => {
    const h = new MasterHarness(
      acls({
        teardown_frameworks: [
          { principals: { values: ["ops"] }, framework_principals: { type: "ANY" } },
          { principals: { type: "ANY" }, framework_principals: { type: "NONE" } },
        ],
      }),
    );
    const { frameworkId: fid } = h.subscribe("alices", "alice");
    const call = parseOperatorCall({ type: "TEARDOWN", teardown: { framework_id: { value: fid } } });
    const err = httpError(() => operatorCall(h.core, call, { now: h.now, principal: "intern" }));
    expect(err.status).toBe(403);
    expect(err.message).toBe("teardown.framework_id: principal 'intern' is not authorized to teardown frameworks for 'alice'");
    expect(h.core.frameworks.get(fid)!.removed).toBe(false);
    orThrow(operatorCall(h.core, call, { now: h.now, principal: "ops" }));
    expect(h.core.frameworks.get(fid)!.removed).toBe(true);
  });
});
