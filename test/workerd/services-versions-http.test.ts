/**
 * The services framework's stored versions, PATCH, bulk updates, `/v2/leader` and `/metrics`
 * through the real Worker and its Durable Objects: every version of an app is kept in the object's
 * SQLite (read back after a restart of the object), a rollback brings a stored definition back as
 * a new version, and deleting an app forgets its versions.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const BASE = "http://master.test";
const auth = { authorization: `Basic ${btoa("alice:alice-secret")}` };
const send = (method: string, path: string, body?: unknown) =>
  SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { ...auth, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
const services = () => env.SERVICES.get(env.SERVICES.idFromName("marathon"));
const versionsOf = async (id: string) => ((await (await send("GET", `/v2/apps${id}/versions`)).json()) as { versions: string[] }).versions;

describe("app versions, PATCH and bulk updates on the Worker", () => {
  it("keeps every version across a restart of the object, shows each, rolls back to one, and forgets them with the app", async () => {
    expect((await send("POST", "/v2/apps", { id: "/versioned", cmd: "sleep 600", instances: 0, cpus: 0.1, mem: 16 })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 5));
    expect((await send("PATCH", "/v2/apps/versioned", { cmd: "sleep 700" })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    expect((await send("PUT", "/v2/apps", [{ id: "/versioned", instances: 0, mem: 32 }])).status).toBe(200);
    await runInDurableObject(services(), (_instance, state) => state.abort("restart under test")).catch(() => undefined);

    const versions = await versionsOf("/versioned");
    expect(versions).toHaveLength(3);
    expect(versions.every((v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v))).toBe(true);
    expect([...versions].sort().reverse()).toEqual(versions);
    const first = (await (await send("GET", `/v2/apps/versioned/versions/${versions[2]}`)).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ id: "/versioned", cmd: "sleep 600", mem: 16, version: versions[2] });
    expect(first).not.toHaveProperty("tasks");

    const rollback = await send("PUT", "/v2/apps/versioned", { version: versions[2] });
    expect(rollback.status).toBe(200);
    const shown = (await (await send("GET", "/v2/apps/versioned")).json()) as { app: { cmd: string; mem: number } };
    expect(shown.app).toMatchObject({ cmd: "sleep 600", mem: 16 });
    expect(await versionsOf("/versioned")).toHaveLength(4);

    expect((await send("DELETE", "/v2/apps/versioned?force=true")).status).toBe(200);
    expect((await send("POST", "/v2/apps", { id: "/versioned", cmd: "sleep 1", instances: 0, cpus: 0.1, mem: 16 })).status).toBe(201);
    expect(await versionsOf("/versioned")).toHaveLength(1);
    expect((await send("DELETE", "/v2/apps/versioned?force=true")).status).toBe(200);
  });

  it("serves /v2/leader, and Marathon's /metrics under /service/marathon and to JSON clients at /metrics", async () => {
    expect(await (await send("GET", "/v2/leader")).json()).toEqual({ leader: "master.test:80" });
    const metrics = await send("GET", "/service/marathon/metrics");
    expect(metrics.status).toBe(200);
    const body = (await metrics.json()) as { version: string; gauges: Record<string, { value: number }> };
    expect(body.version).toBe("4.0.0");
    expect(body.gauges["marathon.apps.active.gauge"]?.value).toEqual(expect.any(Number));
    // The root /metrics stays the master's Prometheus text, unless JSON alone is asked for (Marathon's clients).
    const prometheus = await SELF.fetch(`${BASE}/metrics`, { headers: auth });
    expect(prometheus.headers.get("content-type")).toMatch(/^text\/plain/);
    const asJson = await SELF.fetch(`${BASE}/metrics`, { headers: { ...auth, accept: "application/json" } });
    expect(((await asJson.json()) as { version: string }).version).toBe("4.0.0");
  });

  it("DELETE /v2/leader abdicates: the event streams end, and the object subscribes again under the same framework id", async () => {
    const info = async () => (await (await send("GET", "/v2/info")).json()) as { frameworkId?: string };
    let frameworkId: string | undefined;
    for (const deadline = Date.now() + 10_000; !frameworkId && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100)))
      frameworkId = (await info()).frameworkId;
    expect(frameworkId).toBeTruthy();
    const stream = await send("GET", "/v2/events");
    const reader = stream.body!.getReader();
    const abdicated = await send("DELETE", "/v2/leader");
    expect(abdicated.status).toBe(200);
    expect(await abdicated.json()).toEqual({ message: "Leadership abdicated" });
    let ended = false;
    for (const deadline = Date.now() + 5_000; !ended && Date.now() < deadline; ) ended = (await reader.read()).done;
    expect(ended).toBe(true);
    // A failover, not a new framework: the same id, active again with the master.
    let active = false;
    for (const deadline = Date.now() + 15_000; !active && Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      const { frameworks } = (await (await send("GET", "/master/frameworks")).json()) as { frameworks: Array<{ id: string; active: boolean }> };
      const metrics = (await (await send("GET", "/service/marathon/metrics")).json()) as { gauges: Record<string, { value: number }> };
      active = !!frameworks.find((f) => f.id === frameworkId && f.active) && metrics.gauges["marathon.leadership.duration.gauge.seconds"]!.value > 0;
    }
    expect(active).toBe(true);
    expect((await info()).frameworkId).toBe(frameworkId);
  });

  it("a deployment stopped before it ends is a deployment_failed event; plan-format=light drops the plan's original and target", async () => {
    const app = { id: "/failing", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 16, healthChecks: [{ protocol: "MESOS_TCP", gracePeriodSeconds: 5 }] };
    expect((await send("POST", "/v2/apps", app)).status).toBe(201);
    const stream = await send("GET", "/v2/events?event_type=deployment_failed&plan-format=light");
    // The creation is a deployment holding the app until it runs healthy (none does here): force=true.
    const put = await send("PUT", "/v2/apps/failing?force=true", { cmd: "sleep 700" });
    const { deploymentId } = (await put.json()) as { deploymentId: string };
    expect((await send("DELETE", `/v2/deployments/${deploymentId}?force=true`)).status).toBe(202);
    const reader = stream.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    // The forced PUT also stopped the creation's deployment (a deployment_failed of its own): read up to the PUT's.
    for (const deadline = Date.now() + 5_000; !text.includes(`"id":"${deploymentId}"`) && Date.now() < deadline; ) {
      const { done, value } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    await reader.cancel();
    const frame = text.split("\n\n").find((f) => f.startsWith("event: deployment_failed\n") && f.includes(`"id":"${deploymentId}"`));
    const data = JSON.parse(frame!.split("\n")[1]!.slice("data: ".length)) as { id: string; plan: Record<string, unknown> };
    expect(data).toMatchObject({ eventType: "deployment_failed", id: deploymentId, plan: { id: deploymentId } });
    expect(data.plan).not.toHaveProperty("original");
    expect(data.plan).not.toHaveProperty("target");
    expect((await send("DELETE", "/v2/apps/failing?force=true")).status).toBe(200);
  });

  it("keeps an app's newest 50 versions (Marathon's zk_max_versions)", async () => {
    expect((await send("POST", "/v2/apps", { id: "/many", cmd: "sleep 600", instances: 0, cpus: 0.1, mem: 16 })).status).toBe(201);
    const first = (await versionsOf("/many"))[0];
    for (let n = 1; n <= 50; n++) {
      await new Promise((r) => setTimeout(r, 2));
      expect((await send("PATCH", "/v2/apps/many", { instances: 0, mem: 16 + n })).status).toBe(200);
    }
    const kept = await versionsOf("/many");
    expect(kept).toHaveLength(50);
    expect(kept).not.toContain(first);
    expect((await send("GET", `/v2/apps/many/versions/${first}`)).status).toBe(404);
    expect((await send("DELETE", "/v2/apps/many?force=true")).status).toBe(200);
  });
});
