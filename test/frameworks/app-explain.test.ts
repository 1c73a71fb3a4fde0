import { describe, expect, it } from "vitest";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { instance, rollingChangeOf } from "../support/services-fixtures.ts";

const get = (query: string): ApiRequest => ({ method: "GET", path: "/v2/apps/web", query: new URLSearchParams(query), body: "", origin: "http://m" });
const ctx = { nowMs: 60_000, uuid: () => "u", role: "*", user: "root" };

describe("GET /v2/apps/{id}?strataExplain=true: which instances run which version", () => {
  it("lists the running instances by version, newest first, the current configuration's marked; Marathon's answer has none of it", () => {
    // Two old instances, one being stopped by the rolling change; one new instance running.
    const state = rollingChangeOf({ id: "/web", cmd: "sleep 600", instances: 2, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }, [
      instance("o1", "/web"),
      instance("o2", "/web"),
    ]);
    state.instances.set("n1", instance("n1", "/web", { version: 50_000 }));
    const explained = serveApi(state, get("strataExplain=true"), ctx).answer.json as { app: Record<string, unknown> };
    const stopped = [...state.instances.values()].filter((i) => i.goal === "stopped").map((i) => i.taskId);
    expect(stopped).toHaveLength(1);
    expect(explained.app.strataInstancesByVersion).toEqual([
      { version: "1970-01-01T00:00:50.000Z", current: true, tasks: ["n1"] },
      { version: "1970-01-01T00:00:01.000Z", current: false, tasks: ["o1", "o2"].filter((t) => !stopped.includes(t)) },
    ]);
    const plain = serveApi(state, get(""), ctx).answer.json as { app: Record<string, unknown> };
    expect(Object.keys(plain.app).filter((k) => k.startsWith("strata"))).toEqual([]);
  });
});
