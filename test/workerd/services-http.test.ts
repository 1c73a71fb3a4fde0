/**
 * The services framework (Strata's built-in Marathon) through the real Worker and its Durable
 * Objects: Marathon's REST API answers with its statuses, headers and error shapes, an app is
 * committed before the answer (it is still there after the object restarts), and the framework
 * subscribes to the master through the Worker's scheduler path as `marathon`.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const BASE = "http://master.test";
/** `alice` is the services framework's principal (the first of STRATA_CREDENTIALS); `ops` the operator (STRATA_OPERATORS). */
const auth = { authorization: `Basic ${btoa("alice:alice-secret")}` };
const operator = { authorization: `Basic ${btoa("ops:ops-secret")}` };
const send = (method: string, path: string, body?: unknown, as = auth) =>
  SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { ...as, "content-type": "application/json" },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
const services = () => env.SERVICES.get(env.SERVICES.idFromName("marathon"));

/** Polls `check` until it returns something, or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("Marathon's REST API on the Worker", () => {
  it("creates an app (201, Location, Marathon-Deployment-Id), refuses it twice (409), and shows it", async () => {
    const app = { id: "/web", cmd: "sleep 600", instances: 2, cpus: 0.1, mem: 32 };
    const created = await send("POST", "/v2/apps", app);
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`${BASE}/v2/apps/web`);
    expect(created.headers.get("marathon-deployment-id")).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id: "/web", cmd: "sleep 600", instances: 2, cpus: 0.1, mem: 32, tasksRunning: 0, tasks: [] });
    expect(body.deployments).toEqual([{ id: created.headers.get("marathon-deployment-id") }]);

    const again = await send("POST", "/v2/apps", app);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ message: "An app with id [/web] already exists." });

    for (const path of ["/v2/apps/web", "/service/marathon/v2/apps//web"]) {
      const shown = await send("GET", path);
      expect(shown.status).toBe(200);
      expect(((await shown.json()) as { app: Record<string, unknown> }).app).toMatchObject({
        id: "/web",
        instances: 2,
        tasksStaged: 0,
        tasks: [],
        deployments: [{ id: created.headers.get("marathon-deployment-id") }], // the creation's, until its instances run
      });
    }
    const list = (await (await send("GET", "/v2/apps")).json()) as { apps: Array<Record<string, unknown>> };
    expect(list.apps.map((a) => a.id)).toContain("/web");
    expect(list.apps[0]).not.toHaveProperty("tasks");
  });

  it("answers Marathon's refusals: 400 bad JSON, 422 invalid, 404 unknown app, 401 without credentials", async () => {
    const bad = await send("POST", "/v2/apps", "{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: "Invalid JSON" });
    const invalid = await send("POST", "/v2/apps", { id: "/x", cmd: "sleep 1", cpus: -1 });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toEqual({ message: "Invalid JSON", details: [{ path: "/cpus", errors: ["error.min"] }] });
    const unbuilt = await send("POST", "/v2/apps", { id: "/hc", cmd: "sleep 1", healthChecks: [{ protocol: "TCP" }] });
    expect(unbuilt.status).toBe(422);
    expect(((await unbuilt.json()) as { details: Array<{ path: string }> }).details.map((d) => d.path)).toEqual(["/healthChecks(0)/protocol"]);
    const missing = await send("GET", "/v2/apps/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "App '/nope' does not exist" });
    expect((await send("GET", "/v2/apps/nope/tasks")).status).toBe(404);
    expect((await send("DELETE", "/v2/apps/nope")).status).toBe(404);
    expect((await send("DELETE", "/v2/deployments/nope")).status).toBe(404);
    expect((await SELF.fetch(`${BASE}/v2/apps`)).status).toBe(401);
    const ping = await send("GET", "/ping");
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe("pong");
  });

  it("scales with a partial PUT and deletes an app", async () => {
    expect((await send("POST", "/v2/apps", { id: "/scaled", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 16 })).status).toBe(201);
    const creation = (await (await send("GET", "/v2/deployments")).json()) as Array<{ id: string; affectedApps: string[]; currentActions: unknown }>;
    const created = creation.find((d) => d.affectedApps.includes("/scaled"));
    expect(created?.currentActions).toEqual([{ action: "ScaleApplication", app: "/scaled", readinessCheckResults: [] }]);
    const locked = await send("PUT", "/v2/apps/scaled", { instances: 3 });
    expect(locked.status).toBe(409); // no agent runs its instance: the creation's deployment holds the app
    expect(await locked.json()).toMatchObject({ deployments: [{ id: created?.id }] });
    const put = await send("PUT", "/v2/apps/scaled?force=true", { instances: 3 });
    expect(put.status).toBe(200);
    expect(put.headers.get("marathon-deployment-id")).toBeTruthy();
    expect(await put.json()).toMatchObject({ deploymentId: put.headers.get("marathon-deployment-id") });
    const shown = (await (await send("GET", "/v2/apps/scaled")).json()) as { app: { instances: number; cmd: string } };
    expect(shown.app).toMatchObject({ instances: 3, cmd: "sleep 600" });
    expect((await send("DELETE", "/v2/apps/scaled?force=true")).status).toBe(200);
    expect((await send("GET", "/v2/apps/scaled")).status).toBe(404);
  });

  it("keeps an app across a restart of the services object, and subscribes as 'marathon' through the scheduler API", async () => {
    expect((await send("POST", "/v2/apps", { id: "/kept", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 16 })).status).toBe(201);
    const before = await runInDurableObject(services(), (instance) => instance);
    await runInDurableObject(services(), (_instance, state) => state.abort("restart under test")).catch(() => undefined);
    const shown = await send("GET", "/v2/apps/kept");
    expect(shown.status).toBe(200);
    expect(((await shown.json()) as { app: { cmd: string } }).app.cmd).toBe("sleep 600");
    expect(await runInDurableObject(services(), (instance) => instance)).not.toBe(before);

    const frameworkId = await eventually(
      async () => ((await (await send("GET", "/v2/info")).json()) as { frameworkId?: string }).frameworkId,
      10_000,
      "the framework id in /v2/info",
    );
    const frameworks = (await (await send("GET", "/master/frameworks")).json()) as {
      frameworks: Array<{ id: string; name: string; principal?: string; active: boolean; roles?: string[] }>;
    };
    expect(frameworks.frameworks.find((f) => f.id === frameworkId)).toMatchObject({ name: "marathon", principal: "alice", active: true });
  });

  it("after an operator tears the framework down, subscribes afresh under a new framework id", async () => {
    const info = async () => ((await (await send("GET", "/v2/info")).json()) as { frameworkId?: string }).frameworkId;
    const first = await eventually(info, 10_000, "the framework id");
    const teardown = await send("POST", "/api/v1", { type: "TEARDOWN", teardown: { framework_id: { value: first } } }, operator);
    expect(teardown.status).toBe(200);
    const second = await eventually(
      async () => {
        const id = await info();
        return id && id !== first ? id : undefined;
      },
      15_000,
      "a new framework id",
    );
    const frameworks = (await (await send("GET", "/master/frameworks")).json()) as { frameworks: Array<{ id: string; name: string; active: boolean }> };
    expect(frameworks.frameworks.find((f) => f.id === second)).toMatchObject({ name: "marathon", active: true });
  }, 30_000);

  it("after a restart, reconciles the instances it recorded: one the master never heard of is unknown (the framework is partition-aware), and recorded as the app's failure", async () => {
    expect((await send("POST", "/v2/apps", { id: "/ghost", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 16 })).status).toBe(201);
    const taskId = "ghost.instance-00000000-0000-0000-0000-000000000000._app.1";
    const row = {
      taskId,
      appId: "/ghost",
      agentId: "no-such-agent",
      host: "nowhere",
      ports: [],
      state: "TASK_STAGING",
      version: 1,
      stagedAt: 1,
      goal: "running",
    };
    // As if the object had recorded a launch and died before its ACCEPT reached the master.
    await runInDurableObject(services(), (_instance, state) => {
      state.storage.sql.exec("INSERT INTO instances (task_id, app_id, json) VALUES (?, ?, ?)", taskId, "/ghost", JSON.stringify(row));
    });
    await runInDurableObject(services(), (_instance, state) => state.abort("restart under test")).catch(() => undefined);
    const failure = await eventually(
      async () => {
        const app = (
          (await (await send("GET", "/v2/apps/ghost")).json()) as { app: { tasks: Array<{ id: string }>; lastTaskFailure?: { taskId: string; state: string } } }
        ).app;
        return app.lastTaskFailure && app.tasks.every((t) => t.id !== taskId) ? app.lastTaskFailure : undefined;
      },
      15_000,
      "the unknown task to be lost",
    );
    expect(failure).toMatchObject({ taskId, state: "TASK_UNKNOWN", host: "nowhere" });
  }, 30_000);

  it("a config change is a deployment kept in SQLite across a restart of the object: listed, locking its app (409) until stopped with force", async () => {
    const app = { id: "/rolled", cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 16, healthChecks: [{ protocol: "MESOS_TCP", gracePeriodSeconds: 5 }] };
    expect((await send("POST", "/v2/apps", app)).status).toBe(201);
    const put = await send("PUT", "/v2/apps/rolled?force=true", { cmd: "sleep 700" }); // over the creation's deployment (no agent runs it)
    expect(put.status).toBe(200);
    const { deploymentId } = (await put.json()) as { deploymentId: string };
    await runInDurableObject(services(), (_instance, state) => state.abort("restart under test")).catch(() => undefined);
    const listed = (await (await send("GET", "/v2/deployments")).json()) as Array<{
      id: string;
      affectedApps: string[];
      currentActions: Array<{ action: string }>;
    }>;
    expect(listed.find((d) => d.id === deploymentId)).toMatchObject({
      affectedApps: ["/rolled"],
      currentActions: [{ action: "RestartApplication", app: "/rolled" }],
    });
    const locked = await send("PUT", "/v2/apps/rolled", { cmd: "sleep 800" });
    expect(locked.status).toBe(409);
    expect(await locked.json()).toMatchObject({ deployments: [{ id: deploymentId }] });
    const shown = (await (await send("GET", "/v2/apps/rolled")).json()) as { app: { deployments: unknown; healthChecks: unknown } };
    expect(shown.app).toMatchObject({ deployments: [{ id: deploymentId }], healthChecks: [{ protocol: "MESOS_TCP", gracePeriodSeconds: 5 }] });
    expect((await send("DELETE", `/v2/deployments/${deploymentId}?force=true`)).status).toBe(202);
    const after = (await (await send("GET", "/v2/deployments")).json()) as Array<{ id: string }>;
    expect(after.map((d) => d.id)).not.toContain(deploymentId);
    expect((await send("PUT", "/v2/apps/rolled", { cmd: "sleep 800" })).status).toBe(200);
  });
  it("a group, its versions and its multi-step deployment are kept in SQLite across a restart of the object", async () => {
    const group = {
      id: "/stored",
      dependencies: [],
      apps: [
        { id: "db", cmd: "sleep 600", cpus: 0.1, mem: 16 },
        { id: "web", cmd: "sleep 600", cpus: 0.1, mem: 16, dependencies: ["db"] },
      ],
    };
    const created = await send("POST", "/v2/groups", group);
    expect(created.status, JSON.stringify(await created.clone().json())).toBe(201);
    const { deploymentId } = (await created.json()) as { deploymentId: string };
    await runInDurableObject(services(), (_instance, state) => state.abort("restart under test")).catch(() => undefined);
    const shown = (await (await send("GET", "/v2/groups/stored")).json()) as { apps: Array<{ id: string }> };
    expect(shown.apps.map((a) => a.id)).toEqual(["/stored/db", "/stored/web"]);
    expect(((await (await send("GET", "/v2/groups/stored/versions")).json()) as string[]).length).toBe(1);
    const listed = (await (await send("GET", "/v2/deployments")).json()) as Array<{ id: string; currentStep: number; totalSteps: number }>;
    expect(listed.find((d) => d.id === deploymentId)).toMatchObject({ currentStep: 2, totalSteps: 3 }); // db's ScaleApplication: no agent runs it
    expect((await send("DELETE", "/v2/groups/stored?force=true")).status).toBe(200);
    expect((await send("GET", "/v2/groups/stored")).status).toBe(404);
  });
});
