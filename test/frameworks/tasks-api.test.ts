import { describe, expect, it } from "vitest";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };
const req = (method: string, path: string, query = "", body = "", accept?: string): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(query),
  body,
  origin: "http://m:8787",
  ...(accept ? { accept } : {}),
});
const cluster = () =>
  stateOf(
    [
      record({ id: "/prod/web", cmd: "sleep 600", instances: 2, portDefinitions: [{ port: 10000 }, { port: 10001 }] }),
      record({ id: "/db", cmd: "sleep 600", portDefinitions: [] }),
    ],
    [
      instance("w1", "/prod/web", { host: "h1", ports: [31000, 31001] }),
      instance("w2", "/prod/web", { host: "h2", ports: [31005, 31006], state: "TASK_STAGING" }),
      instance("d1", "/db", { host: "h1" }),
    ],
  );

describe("GET /v2/tasks", () => {
  it.each([
    ["", ["d1", "w1", "w2"]],
    ["status=running", ["d1", "w1"]],
    ["status=staging", ["w2"]],
    ["status=running&status=staging", ["d1", "w1", "w2"]],
    ["status[]=Staging", ["w2"]],
  ])("?%s lists %j", (query, ids) => {
    const { answer } = serveApi(cluster(), req("GET", "/v2/tasks", query), ctx);
    expect(answer.status).toBe(200);
    expect((answer.json as { tasks: { id: string }[] }).tasks.map((t) => t.id)).toEqual(ids);
  });

  it("each task has Marathon's fields, servicePorts from the app", () => {
    const { answer } = serveApi(cluster(), req("GET", "/v2/tasks", "status=running"), ctx);
    expect((answer.json as { tasks: Record<string, unknown>[] }).tasks[1]).toMatchObject({
      appId: "/prod/web",
      id: "w1",
      host: "h1",
      ports: [31000, 31001],
      servicePorts: [10000, 10001],
      slaveId: "a1",
      state: "TASK_RUNNING",
    });
  });

  it("text/plain: one line per app and service port, running tasks only, tab separated (Marathon's EndpointsHelper)", () => {
    const { answer } = serveApi(cluster(), req("GET", "/v2/tasks", "", "", "text/plain"), ctx);
    expect(answer.text).toBe("db\t \th1 \nprod_web\t10000\th1:31000\t\nprod_web\t10001\th1:31001\t\n");
    const one = serveApi(cluster(), req("GET", "/v2/apps/prod/web/tasks", "", "", "text/plain"), ctx).answer;
    expect(one.text).toBe("prod_web\t10000\th1:31000\t\nprod_web\t10001\th1:31001\t\n");
  });
});

describe("task kills", () => {
  it("DELETE /v2/apps/{id}/tasks/{taskId} stops it (a replacement follows) and answers {task}", () => {
    const { answer, changes } = serveApi(cluster(), req("DELETE", "/v2/apps/prod/web/tasks/w1"), ctx);
    expect(answer.status).toBe(200);
    expect((answer.json as { task: { id: string } }).task.id).toBe("w1");
    expect(changes?.instances.map((i) => [i.taskId, i.goal, i.killAskedAt])).toEqual([["w1", "stopped", 50_000]]);
    expect(changes?.apps).toEqual([]);
  });

  it("scale=true also lowers instances, as a new version, and answers {version, deploymentId}", () => {
    const { answer, changes } = serveApi(cluster(), req("DELETE", "/v2/apps//prod/web/tasks/w2", "scale=True"), ctx);
    expect(answer.json).toMatchObject({ version: "1970-01-01T00:00:50.000Z", deploymentId: expect.any(String) });
    expect(changes?.apps.map((a) => [a.app.id, a.app.instances, a.version])).toEqual([["/prod/web", 1, 50_000]]);
    expect(changes?.instances.map((i) => i.taskId)).toEqual(["w2"]);
  });

  it("?host= kills the app's tasks on that host; without host all of them", () => {
    const onH2 = serveApi(cluster(), req("DELETE", "/v2/apps/prod/web/tasks", "host=h2"), ctx);
    expect((onH2.answer.json as { tasks: { id: string }[] }).tasks.map((t) => t.id)).toEqual(["w2"]);
    const all = serveApi(cluster(), req("DELETE", "/v2/apps/prod/web/tasks", "scale=true"), ctx);
    expect(all.changes?.apps[0]?.app.instances).toBe(0);
  });

  it("POST /v2/tasks/delete kills the ids given across apps; unknown ids are left out", () => {
    const { answer, changes } = serveApi(cluster(), req("POST", "/v2/tasks/delete", "scale=true", '{"ids":["w1","d1","nope"]}'), ctx);
    expect(answer.status).toBe(200);
    expect(changes?.apps.map((a) => [a.app.id, a.app.instances])).toEqual([
      ["/prod/web", 1],
      ["/db", 0],
    ]);
  });

  it.each([
    ["DELETE", "/v2/apps/prod/web/tasks/nope", "", "", 404, { message: "Task 'nope' does not exist" }],
    ["DELETE", "/v2/apps/nope/tasks", "", "", 404, { message: "App '/nope' does not exist" }],
    ["DELETE", "/v2/apps/prod/web/tasks/w1", "scale=true&wipe=true", "", 400, { message: "You cannot use scale and wipe at the same time." }],
    ["POST", "/v2/tasks/delete", "", "{", 400, { message: "Invalid JSON" }],
    ["POST", "/v2/tasks/delete", "", '{"ids":"w1"}', 422, { details: [{ path: "/ids", errors: ["error.expected.jsarray"] }] }],
  ])("%s %s?%s %s is %i", (method, path, query, body, status, json) => {
    const { answer, changes } = serveApi(cluster(), req(method, path, query, body), ctx);
    expect(answer.status).toBe(status);
    expect(answer.json).toMatchObject(json);
    expect(changes).toBeUndefined();
  });
});
