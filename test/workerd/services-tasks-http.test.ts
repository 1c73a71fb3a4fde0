/**
 * Marathon's tasks, queue and events endpoints of the services framework through the real Worker
 * and its Durable Objects: shapes, content types and status codes. No agent runs here: a task
 * is put into the object's state as if it had been launched.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { InstanceRecord, ServicesState } from "../../frameworks/services/service-records.ts";

const BASE = "http://master.test";
const auth = { authorization: `Basic ${btoa("alice:alice-secret")}` };
const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { ...auth, "content-type": "application/json", ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
const services = () => env.SERVICES.get(env.SERVICES.idFromName("marathon"));

/** Puts a running task of `appId` into the object (its memory and its SQLite), as a launch would. */
async function running(taskId: string, appId: string, host: string, ports: number[]): Promise<void> {
  const row: InstanceRecord = { taskId, appId, agentId: "agent-1", host, ports, state: "TASK_RUNNING", version: 1, stagedAt: 1, startedAt: 2, goal: "running" };
  await runInDurableObject(services(), (instance, state) => {
    state.storage.sql.exec("INSERT INTO instances (task_id, app_id, json) VALUES (?, ?, ?)", taskId, appId, JSON.stringify(row));
    (instance as unknown as { state: ServicesState }).state.instances.set(taskId, row);
  });
}

/** Reads an event stream until `done` says it has what it needs (or 5 s pass). */
async function readUntil(res: Response, done: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 5_000;
  while (!done(text) && Date.now() < deadline) {
    const { done: ended, value } = await reader.read();
    if (ended) break;
    text += dec.decode(value);
  }
  await reader.cancel();
  return text;
}

describe("tasks, queue and events on the Worker", () => {
  it("lists tasks (JSON, status filter, text/plain) and kills one with scale=true (instances drops); 404s name the task or app", async () => {
    const app = { id: "/listed", cmd: "sleep 600", instances: 2, cpus: 0.1, mem: 16, portDefinitions: [{ port: 10100 }] };
    expect((await send("POST", "/v2/apps", app)).status).toBe(201);
    await running("listed.instance-1._app.1", "/listed", "h1", [31001]);
    await running("listed.instance-2._app.1", "/listed", "h2", [31002]);
    const all = (await (await send("GET", "/v2/tasks?status=running")).json()) as { tasks: Array<Record<string, unknown>> };
    expect(all.tasks.filter((t) => t.appId === "/listed")).toHaveLength(2);
    expect(all.tasks.find((t) => t.id === "listed.instance-1._app.1")).toMatchObject({ host: "h1", ports: [31001], servicePorts: [10100], slaveId: "agent-1" });
    const staging = (await (await send("GET", "/v2/tasks?status=staging")).json()) as { tasks: Array<{ appId: string }> };
    expect(staging.tasks.filter((t) => t.appId === "/listed")).toEqual([]);
    const text = await send("GET", "/service/marathon/v2/apps/listed/tasks", undefined, { accept: "text/plain" });
    expect(text.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await text.text()).toBe("listed\t10100\th1:31001\th2:31002\t\n");

    // The instances were written in directly, so the creation's deployment still holds the app: a scale kill is refused, then forced.
    expect((await send("DELETE", "/v2/apps/listed/tasks/listed.instance-1._app.1?scale=true")).status).toBe(409);
    const killed = await send("DELETE", "/v2/apps/listed/tasks/listed.instance-1._app.1?scale=true&force=true");
    expect(killed.status).toBe(200);
    expect(await killed.json()).toMatchObject({ deploymentId: expect.any(String), version: expect.stringMatching(/Z$/) });
    expect(((await (await send("GET", "/v2/apps/listed")).json()) as { app: { instances: number } }).app.instances).toBe(1);
    const noTask = await send("DELETE", "/v2/apps/listed/tasks/nope");
    expect(noTask.status).toBe(404);
    expect(await noTask.json()).toEqual({ message: "Task 'nope' does not exist" });
    expect((await send("DELETE", "/v2/apps/nope/tasks")).status).toBe(404);
    expect((await send("POST", "/v2/tasks/delete", { ids: "x" })).status).toBe(422);
  });

  it("GET /v2/queue shows an app waiting in Marathon's shape; DELETE …/delay is 204, 404 for an app not waiting", async () => {
    expect((await send("POST", "/v2/apps", { id: "/waiting", cmd: "sleep 600", cpus: 1000, mem: 16 })).status).toBe(201);
    const queue = (await (await send("GET", "/v2/queue")).json()) as { queue: Array<Record<string, unknown> & { app: { id: string } }> };
    const item = queue.queue.find((q) => q.app.id === "/waiting")!;
    expect(Object.keys(item).sort()).toEqual(["app", "count", "delay", "processedOffersSummary", "since"]);
    expect(item).toMatchObject({
      count: 1,
      delay: { timeLeftSeconds: 0, overdue: true },
      since: expect.stringMatching(/Z$/),
      processedOffersSummary: { processedOffersCount: expect.any(Number), unusedOffersCount: expect.any(Number), rejectSummaryLastOffers: expect.any(Array) },
    });
    expect((await send("DELETE", "/v2/queue/waiting/delay")).status).toBe(204);
    const notWaiting = await send("DELETE", "/v2/queue/nope/delay");
    expect(notWaiting.status).toBe(404);
    expect(await notWaiting.json()).toEqual({ message: "Application /nope not found in tasks queue." });
  });

  it("GET /v2/events answers 200 text/event-stream at once; frames are event: + one-line data:, filtered by event_type", async () => {
    const res = await send("GET", "/v2/events?event_type=api_post_event&event_type=app_terminated_event", undefined, { accept: "text/event-stream" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect((await send("POST", "/v2/apps", { id: "/announced", cmd: "sleep 600", cpus: 0.1, mem: 16 })).status).toBe(201);
    expect((await send("DELETE", "/v2/apps/announced?force=true")).status).toBe(200); // no agent: its creation's deployment holds it
    const text = await readUntil(res, (t) => t.includes("app_terminated_event\n"));
    const frames = text.split("\n\n").filter((f) => f.startsWith("event:"));
    expect(frames.map((f) => f.split("\n")[0])).toEqual(["event: api_post_event", "event: app_terminated_event"]);
    for (const f of frames) expect(f.split("\n")).toHaveLength(2);
    const posted = JSON.parse(frames[0]!.split("\n")[1]!.slice("data: ".length)) as Record<string, unknown>;
    expect(posted).toMatchObject({ eventType: "api_post_event", uri: "/v2/apps", appDefinition: { id: "/announced" }, timestamp: expect.stringMatching(/Z$/) });
    expect(JSON.parse(frames[1]!.split("\n")[1]!.slice(6))).toMatchObject({ eventType: "app_terminated_event", appId: "/announced" });
  });
});
