/**
 * Marathon's JavaScript client (npm's marathon-node 1.1.0, unmodified) against a Strata master:
 * the same flow as python-flow.py. Credentials go in as the library documents them: request's
 * `auth` option for the REST calls, EventSource's `headers` option for its event source.
 */
import { createRequire } from "node:module";

/** One step of the flow and what the client answered. */
export interface FlowStep {
  step: string;
  [k: string]: unknown;
}
/** What the flow did, step by step; `error` when a step threw. */
export interface FlowSummary {
  ping?: unknown;
  steps: FlowStep[];
  statusUpdateEvent?: Record<string, unknown>;
  eventErrors: string[];
  error?: string;
}

interface Task {
  id: string;
  appId: string;
  host: string;
  state: string;
  startedAt?: string;
}
interface EventSourceLike {
  addEventListener(type: string, listener: (e: { data: string }) => void): void;
  onerror: ((e: unknown) => void) | null;
  close(): void;
}
type Methods = Record<string, (...args: unknown[]) => Promise<Record<string, unknown>>>;
type Client = {
  apps: Methods;
  tasks: Methods;
  deployments: Methods;
  queue: Methods;
  info: Methods;
  misc: { ping(opts?: unknown): Promise<unknown> };
  events: { createEventSource(opts: Record<string, unknown>): EventSourceLike };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs create/scale/restart/kill/list/events/delete for `appId` with marathon-node; never throws. */
export async function runNodeFlow(url: string, user: string, pass: string, appId: string): Promise<FlowSummary> {
  const marathon = createRequire(import.meta.url)("marathon-node") as (url: string, opts: unknown) => Client;
  const client = marathon(url, { auth: { user, pass } });
  const summary: FlowSummary = { steps: [], eventErrors: [] };
  const step = (name: string, result: Record<string, unknown>) => summary.steps.push({ step: name, ...result });
  const until = async <T>(check: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(250)) {
      const r = await check();
      if (r) return r;
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const runningIds = async () =>
    ((await client.apps.getTasks!(appId)).tasks as Task[])
      .filter((t) => t.state === "TASK_RUNNING")
      .map((t) => t.id)
      .sort();

  const basic = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
  const es = client.events.createEventSource({ headers: { Authorization: basic } });
  const types = new Set<string>();
  for (const type of ["event_stream_attached", "api_post_event", "status_update_event", "deployment_info", "deployment_success", "app_terminated_event"]) {
    es.addEventListener(type, (e) => {
      if ((JSON.parse(e.data) as { eventType?: unknown }).eventType === type) types.add(type);
    });
  }
  let gotStatus: () => void = () => undefined;
  const statusArrived = new Promise<void>((r) => (gotStatus = r));
  es.addEventListener("status_update_event", (e) => {
    const event = JSON.parse(e.data) as Record<string, unknown>;
    if (event.appId !== `/${appId}` || summary.statusUpdateEvent) return;
    summary.statusUpdateEvent = event;
    gotStatus();
  });
  es.onerror = (e) => summary.eventErrors.push(JSON.stringify(e));

  try {
    summary.ping = await client.misc.ping({ json: false });
    const created = await client.apps.create!({ id: appId, cmd: "sleep 600", instances: 1, cpus: 0.1, mem: 32 });
    step("create", { id: created.id, instances: created.instances });
    const first = await until(async () => (await runningIds()).length === 1 && runningIds(), 30_000, "1 running task");
    step("running", { tasks: first });

    const scaled = await client.apps.update!(appId, { instances: 2 });
    const two = await until(async () => ((await runningIds()).length === 2 ? runningIds() : undefined), 30_000, "2 running tasks");
    const app = (await client.apps.getOne!(appId)).app as Record<string, unknown>;
    step("scale", { deploymentId: scaled.deploymentId, tasks: two, instances: app.instances });

    const restarted = await client.apps.restart!(appId);
    const fresh = await until(
      async () => {
        const ids = await runningIds();
        return ids.length === 2 && !ids.some((id) => two.includes(id)) && ids;
      },
      60_000,
      "2 new running tasks after the restart",
    );
    const deployments = (await client.deployments.getList!()) as unknown as Array<{ id: string }>;
    step("deployments.getList", { ids: deployments.map((d) => d.id) });
    const queue = (await client.queue.get!()).queue as unknown[];
    step("queue.get", { count: queue.length });
    const info = await client.info.get!();
    step("info.get", { name: info.name, version: info.version });
    step("restart", { deploymentId: restarted.deploymentId, version: restarted.version, tasks: fresh });

    const killed = await client.apps.killTask!(appId, fresh[0], false);
    const replaced = await until(
      async () => {
        const ids = await runningIds();
        return ids.length === 2 && !ids.includes(fresh[0]!) && ids;
      },
      30_000,
      "a replacement of the killed task",
    );
    step("killTask", { killed: (killed.task as Task | undefined)?.id, tasks: replaced });

    const bulk = await client.tasks.kill!({ ids: [replaced[0]] }, true);
    const left = await until(
      async () => {
        const ids = await runningIds();
        return ids.length === 1 && !ids.includes(replaced[0]!) && ids;
      },
      30_000,
      "1 task after tasks.kill",
    );
    step("tasks.kill", {
      deploymentId: bulk.deploymentId,
      tasks: left,
      instances: ((await client.apps.getOne!(appId)).app as { instances: number }).instances,
    });

    const all = (await client.tasks.getList!()).tasks as Task[];
    step("tasks.getList", { tasks: all.map((t) => ({ id: t.id, appId: t.appId, host: t.host, state: t.state, startedAt: t.startedAt })) });

    const received = await Promise.race([statusArrived.then(() => true), sleep(30_000).then(() => false)]);
    step("events", { received });

    const deleted = await client.apps.destroy!(appId);
    await until(
      async () => {
        const list = (await client.apps.getList!()).apps as Array<{ id: string }>;
        return !list.some((a) => a.id === `/${appId}`);
      },
      30_000,
      "the app to be deleted",
    );
    step("destroy", { deploymentId: deleted.deploymentId, gone: true });
    await sleep(1000);
    step("eventTypes", { types: [...types].sort() });
  } catch (e) {
    summary.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  } finally {
    es.close();
  }
  return summary;
}
