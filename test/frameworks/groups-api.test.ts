/** Marathon's `/v2/groups` (groups-api.ts, group-tree.ts) over the services framework's state. */
import { describe, expect, it } from "vitest";
import type { ServicesState } from "../../frameworks/services/service-records.ts";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { applyChanges } from "../../frameworks/services/services-store.ts";
import { apiRequest, instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };
const req = apiRequest;
function serve(state: ServicesState, r: ApiRequest, nowMs = ctx.nowMs) {
  const served = serveApi(state, r, { ...ctx, nowMs });
  if (served.changes) applyChanges(state, served.changes);
  return served;
}
const product = {
  id: "/product",
  dependencies: [],
  apps: [{ id: "web", cmd: "sleep 600", instances: 2, dependencies: ["db/store"] }],
  groups: [{ id: "db", apps: [{ id: "store", cmd: "sleep 600" }] }],
};

describe("/v2/groups", () => {
  it("POST creates a group with nested groups and apps: 201 with Location, version and deploymentId; the plan orders by dependencies", () => {
    const state = stateOf([]);
    const created = serve(state, req("POST", "/v2/groups", product));
    expect(created.answer).toMatchObject({
      status: 201,
      headers: { Location: "http://m:8787/v2/groups/product" },
      json: { version: "1970-01-01T00:00:50.000Z" },
    });
    const id = (created.answer.json as { deploymentId: string }).deploymentId;
    expect(created.answer.headers?.["Marathon-Deployment-Id"]).toBe(id);
    expect([...state.apps.keys()].sort()).toEqual(["/product/db/store", "/product/web"]);
    expect(state.apps.get("/product/web")?.app.dependencies).toEqual(["/product/db/store"]);
    expect(state.deployments.get(id)?.steps.map((s) => s.map((a) => `${a.action} ${a.app}`))).toEqual([
      ["StartApplication /product/db/store", "StartApplication /product/web"],
      ["ScaleApplication /product/db/store"],
      ["ScaleApplication /product/web"],
    ]);
    expect(state.deployments.get(id)?.groupId).toBe("/product");
    expect(serve(state, req("POST", "/v2/groups", product)).answer).toEqual({
      status: 409,
      json: { message: "Group /product is already created. Use PUT to change this group." },
    });
  });

  it("GET shows the tree (apps, groups, pods by default; embed picks), groups named by app ids exist too; an unknown group is 404", () => {
    const state = stateOf([record({ id: "/x/y/app", cmd: "sleep 1" }, 7_000)], [instance("t1", "/x/y/app")]);
    const root = serve(state, req("GET", "/v2/groups")).answer.json as Record<string, unknown>;
    expect(root).toMatchObject({
      id: "/",
      apps: [],
      pods: [],
      dependencies: [],
      version: "1970-01-01T00:00:07.000Z",
      groups: [{ id: "/x", apps: [], groups: [{ id: "/x/y", apps: [{ id: "/x/y/app", cmd: "sleep 1" }], groups: [], pods: [] }] }],
    });
    expect(JSON.stringify(root)).not.toContain("tasks");
    const y = serve(state, req("GET", "/v2/groups/x/y", "", "embed=group.apps&embed=group.apps.tasks")).answer.json as Record<string, unknown>;
    expect(Object.keys(y).sort()).toEqual(["apps", "dependencies", "id", "version"]);
    expect((y.apps as Array<{ tasks: Array<{ id: string }> }>)[0]?.tasks.map((t) => t.id)).toEqual(["t1"]);
    expect(serve(state, req("GET", "/v2/groups/nope")).answer).toEqual({ status: 404, json: { message: "Group '/nope' does not exist" } });
  });

  it("PUT scaleBy scales every app in the group (rounded up) as ScaleApplication steps", () => {
    const state = stateOf([]);
    serve(state, req("POST", "/v2/groups", product));
    state.deployments.clear();
    const scaled = serve(state, req("PUT", "/v2/groups/product", { scaleBy: 1.5 }), 60_000);
    expect(scaled.answer.status).toBe(200);
    expect([state.apps.get("/product/web")?.app.instances, state.apps.get("/product/db/store")?.app.instances]).toEqual([3, 2]);
    expect(scaled.changes?.deployments?.[0]?.steps.flat().map((a) => a.action)).toEqual(["ScaleApplication", "ScaleApplication"]);
  });

  it("PUT dryRun answers the plan's steps and changes nothing", () => {
    const state = stateOf([]);
    serve(state, req("POST", "/v2/groups", product));
    state.deployments.clear();
    const dry = serve(state, req("PUT", "/v2/groups/product", { apps: [{ id: "web", cmd: "sleep 700", instances: 2 }] }, "dryRun=true"), 60_000);
    expect(dry).toEqual({
      answer: {
        status: 200,
        json: { steps: [{ actions: [{ action: "RestartApplication", app: "/product/web" }] }] },
      },
    });
    expect(state.apps.get("/product/web")?.app.cmd).toBe("sleep 600");
  });

  it("PUT replaces what it names: given apps are the group's apps (others stop), groups not given stay", () => {
    const state = stateOf([]);
    serve(state, req("POST", "/v2/groups", product));
    state.deployments.clear();
    const put = serve(state, req("PUT", "/v2/groups/product", { apps: [{ id: "api", cmd: "sleep 5" }] }), 60_000);
    expect(put.changes?.removedApps).toEqual(["/product/web"]);
    expect([...state.apps.keys()].sort()).toEqual(["/product/api", "/product/db/store"]);
  });

  it("versions are kept; PUT with a version rolls the group back; GET …/versions/{v} shows one", () => {
    const state = stateOf([]);
    serve(state, req("POST", "/v2/groups", product));
    state.deployments.clear();
    serve(state, req("PUT", "/v2/groups/product", { scaleBy: 2 }), 60_000);
    state.deployments.clear();
    const versions = serve(state, req("GET", "/v2/groups/product/versions")).answer.json;
    expect(versions).toEqual(["1970-01-01T00:01:00.000Z", "1970-01-01T00:00:50.000Z"]);
    const old = serve(state, req("GET", "/v2/groups/product/versions/1970-01-01T00:00:50.000Z")).answer.json as { apps: Array<{ instances: number }> };
    expect(old.apps[0]?.instances).toBe(2);
    const back = serve(state, req("PUT", "/v2/groups/product", { version: "1970-01-01T00:00:50.000Z" }), 70_000);
    expect(back.answer.status).toBe(200);
    expect(state.apps.get("/product/web")?.app.instances).toBe(2);
    expect(serve(state, req("PUT", "/v2/groups/product", { version: "1970-01-01T00:00:01.000Z" })).answer.status).toBe(422);
  });

  it("DELETE stops every app in the group as StopApplication steps; the root DELETE empties everything; 404 for an unknown group", () => {
    const state = stateOf([]);
    serve(state, req("POST", "/v2/groups", product));
    state.deployments.clear();
    state.instances.set("w1", instance("w1", "/product/web"));
    const deleted = serve(state, req("DELETE", "/v2/groups/product/db"), 60_000);
    expect(deleted.answer.status).toBe(200);
    expect(deleted.changes?.deployments?.[0]?.steps).toEqual([[{ action: "StopApplication", app: "/product/db/store" }]]);
    expect(serve(state, req("GET", "/v2/groups/product/db")).answer.status).toBe(404);
    state.deployments.clear();
    const all = serve(state, req("DELETE", "/v2/groups"), 70_000);
    expect(all.answer.status).toBe(200);
    expect(state.apps.size).toBe(0);
    expect(state.instances.get("w1")?.goal).toBe("stopped");
    expect(serve(state, req("DELETE", "/v2/groups/nope")).answer.status).toBe(404);
  });

  it("refuses bad input naming the field: types, an app's definition, version with other fields, cycles, bad JSON", () => {
    const state = stateOf([]);
    expect(serve(state, req("POST", "/v2/groups", { id: "/g", apps: {} })).answer).toEqual({
      status: 422,
      json: { message: "Invalid JSON", details: [{ path: "/apps", errors: ["error.expected.jsarray"] }] },
    });
    expect(serve(state, req("POST", "/v2/groups", { id: "/g", apps: [{ id: "a", cmd: "x", cpus: -1 }] })).answer).toMatchObject({
      status: 422,
      json: { details: [{ path: "/apps(0)/cpus" }] },
    });
    expect(serve(state, req("PUT", "/v2/groups/g", { version: "2020-01-01T00:00:00.000Z", apps: [] })).answer).toEqual({
      status: 422,
      json: { message: "Object is not valid", details: [{ path: "/version", errors: ["not allowed in conjunction with other properties."] }] },
    });
    const cyclic = {
      id: "/c",
      apps: [
        { id: "a", cmd: "sleep 1", dependencies: ["b"] },
        { id: "b", cmd: "sleep 1", dependencies: ["a"] },
      ],
    };
    expect(serve(state, req("POST", "/v2/groups", cyclic)).answer).toMatchObject({
      status: 422,
      json: { details: [{ path: "/", errors: ["Dependency graph has cyclic dependencies: /c/a -> /c/b -> /c/a"] }] },
    });
    expect(serve(state, req("POST", "/v2/groups", "{")).answer.status).toBe(400);
    expect(serve(state, req("POST", "/v2/groups", { id: "/Bad_Id" })).answer).toMatchObject({ status: 422, json: { details: [{ path: "/id" }] } });
    expect(serve(state, req("POST", "/v2/groups", { id: "/g", groups: [{ apps: [] }] })).answer).toMatchObject({
      status: 422,
      json: { details: [{ path: "/groups(0)/id", errors: ["error.path.missing"] }] },
    });
    expect(state.apps.size).toBe(0);
  });
  it("DELETE /v2/deployments/{id} of a group change brings its apps and its groups back", () => {
    const state = stateOf([]);
    serve(state, req("POST", "/v2/groups", product));
    state.deployments.clear();
    const deleted = serve(state, req("DELETE", "/v2/groups/product"), 60_000);
    const id = (deleted.answer.json as { deploymentId: string }).deploymentId;
    expect(state.apps.size).toBe(0);
    expect(state.groups?.has("/product")).toBe(false);
    expect(serve(state, req("DELETE", `/v2/deployments/${id}`), 70_000).answer.status).toBe(200);
    expect([...state.apps.keys()].sort()).toEqual(["/product/db/store", "/product/web"]);
    expect(state.groups?.has("/product/db")).toBe(true);
  });
});
