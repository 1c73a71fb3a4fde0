/**
 * `/v2/apps/{id}/versions`, `/v2/apps/{id}/versions/{version}` and the rollback to a version (PUT
 * or PATCH `{"version": …}`), over a reader of stored versions as services-store.ts gives them.
 */
import { describe, expect, it } from "vitest";
import type { AppVersionReader } from "../../frameworks/services/api-types.ts";
import type { AppRecord } from "../../frameworks/services/service-records.ts";
import { serveApi } from "../../frameworks/services/services-api.ts";
import { apiRequest, instance, record, stateOf, uuids } from "../support/services-fixtures.ts";

const req = apiRequest;

/** A reader over `records` (several versions of one app). */
const reader = (records: AppRecord[]): AppVersionReader => ({
  versions: (id) =>
    records
      .filter((r) => r.app.id === id)
      .map((r) => r.version)
      .sort((a, b) => b - a),
  at: (id, v) => records.find((r) => r.app.id === id && r.version === v),
});

const v1 = record({ id: "/web", cmd: "sleep 1", instances: 2 }, 1_000);
const v2 = record({ id: "/web", cmd: "sleep 2", instances: 2 }, 2_000);
const v3 = { ...record({ id: "/web", cmd: "sleep 2", instances: 3 }, 3_000), lastConfigChangeAt: 2_000 };
const state = () => stateOf([v3], [instance("t1", "/web", { version: 2_000 }), instance("t2", "/web", { version: 2_000 })]);
const ctx = () => ({ nowMs: 50_000, uuid: uuids(), role: "*", user: "root", versions: reader([v1, v2, v3]) });

describe("app versions", () => {
  it("lists the versions newest first, as ISO timestamps in UTC ending in Z", () => {
    const { answer } = serveApi(state(), req("GET", "/v2/apps/web/versions"), ctx());
    expect(answer).toEqual({
      status: 200,
      json: { versions: ["1970-01-01T00:00:03.000Z", "1970-01-01T00:00:02.000Z", "1970-01-01T00:00:01.000Z"] },
    });
    expect(serveApi(state(), req("GET", "/v2/apps//web/versions/"), ctx()).answer.status).toBe(200);
  });

  it("shows a version as the definition then, with its version and versionInfo and no run-time embeds", () => {
    const { answer } = serveApi(state(), req("GET", "/v2/apps/web/versions/1970-01-01T00:00:02.000Z"), ctx());
    expect(answer.status).toBe(200);
    const shown = answer.json as Record<string, unknown>;
    expect(shown).toMatchObject({
      id: "/web",
      cmd: "sleep 2",
      instances: 2,
      version: "1970-01-01T00:00:02.000Z",
      versionInfo: { lastScalingAt: "1970-01-01T00:00:02.000Z", lastConfigChangeAt: "1970-01-01T00:00:02.000Z" },
    });
    for (const embed of ["tasks", "tasksRunning", "deployments", "lastTaskFailure"]) expect(shown).not.toHaveProperty(embed);
    // Any ISO spelling of the same millisecond names the version.
    expect(serveApi(state(), req("GET", "/v2/apps/web/versions/1970-01-01T00%3A00%3A02Z"), ctx()).answer.status).toBe(200);
    expect(serveApi(state(), req("GET", "/v2/apps/web/versions/1970-01-01T01:00:02.000+01:00"), ctx()).answer.status).toBe(200);
    // A timestamp without a zone is UTC, whatever the local zone.
    expect(serveApi(state(), req("GET", "/v2/apps/web/versions/1970-01-01T00:00:02.000"), ctx()).answer.status).toBe(200);
  });

  it("an unknown app or version is Marathon's 404", () => {
    expect(serveApi(state(), req("GET", "/v2/apps/nope/versions"), ctx()).answer).toEqual({ status: 404, json: { message: "App '/nope' does not exist" } });
    expect(serveApi(state(), req("GET", "/v2/apps/web/versions/2020-01-01T00:00:00.000Z"), ctx()).answer).toEqual({
      status: 404,
      json: { message: "App '/web' does not exist in version 2020-01-01T00:00:00.000Z" },
    });
    expect(serveApi(state(), req("GET", "/v2/apps/web/versions/yesterday"), ctx()).answer.status).toBe(404);
    expect(serveApi(state(), req("GET", "/v2/apps/web/versions/%E0%A4%A"), ctx()).answer.status).toBe(404);
  });

  it("PUT {version} rolls back to that definition as a new version: a rolling deployment when the configuration differs", () => {
    const { answer, changes } = serveApi(state(), req("PUT", "/v2/apps/web", '{"version": "1970-01-01T00:00:01.000Z"}'), ctx());
    expect(answer).toMatchObject({ status: 200, json: { version: "1970-01-01T00:00:50.000Z" } });
    expect(changes?.apps).toHaveLength(1);
    expect(changes?.apps[0]).toMatchObject({ app: { id: "/web", cmd: "sleep 1", instances: 2 }, version: 50_000, lastConfigChangeAt: 50_000 });
    expect(changes?.deployments?.[0]).toMatchObject({
      version: 50_000,
      original: { "/web": v3.app },
      steps: [[{ action: "RestartApplication", app: "/web" }]],
    });
    expect(answer.headers?.["Marathon-Deployment-Id"]).toBe(changes?.deployments?.[0]?.id);
  });

  it("a rollback that changes only the instance count scales (the surplus stops), and PATCH rolls back too", () => {
    const { answer, changes } = serveApi(state(), req("PATCH", "/v2/apps/web", '{"id": "/web", "version": "1970-01-01T00:00:02.000Z"}'), ctx());
    expect(answer.status).toBe(200);
    expect(changes?.deployments ?? []).toEqual([]);
    expect(changes?.apps[0]).toMatchObject({ app: { cmd: "sleep 2", instances: 2 }, version: 50_000, lastScalingAt: 50_000, lastConfigChangeAt: 2_000 });
  });

  it("a rollback to a version the app does not have is 404 and changes nothing", () => {
    const served = serveApi(state(), req("PUT", "/v2/apps/web", '{"version": "2001-01-01T00:00:00.000Z"}'), ctx());
    expect(served.answer).toEqual({ status: 404, json: { message: "App '/web' does not exist in version 2001-01-01T00:00:00.000Z" } });
    expect(served.changes).toBeUndefined();
  });
});
