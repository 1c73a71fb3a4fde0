/**
 * The services framework's in-memory state (`ServicesState`: apps, instances, deployments, as
 * the Durable Object holds them) for A apps × I instances, built with the framework's own code:
 * each app created through its API (`serveApi`, POST /v2/apps), its instances planned on offers
 * (`planOffers`) and made running by a TASK_RUNNING update (`applyStatus`), each change applied
 * as the object applies it (`applyChanges`). The JS heap is read after a full collection before
 * and after; then again for the same records as the object holds them after a restart (each
 * row's JSON parsed back, `ServicesStore.load`), which shares no strings between records.
 *
 * Run by bench/services.ts in a Node process (V8, as workerd) with `--expose-gc`, bundled by
 * esbuild: `node --expose-gc <bundle> APPS PER_APP` prints one JSON line { apps, instances,
 * liveBytes, buildMs, loadedBytes, rowBytes, loadedInstances }.
 */

import { planOffers } from "../frameworks/services/offer-planner.ts";
import { InstanceMap, type ServicesState } from "../frameworks/services/service-records.ts";
import { serveApi } from "../frameworks/services/services-api.ts";
import { applyChanges, shareValue, storedCopies } from "../frameworks/services/services-store.ts";
import { applyStatus } from "../frameworks/services/status-planner.ts";
import type { Offer } from "../schemas/mesos.ts";
import { parseResources } from "../sdk/src/resources.ts";

declare const gc: () => void;
declare const process: { argv: string[]; memoryUsage(): { heapUsed: number } };

const apps = Number(process.argv[2] ?? 10_000);
const perApp = Number(process.argv[3] ?? 10);
const AGENTS = 1_000;
const AGENT_RESOURCES = parseResources("cpus:2;mem:1024;disk:4096;ports:[31000-32000]");

const emptyState = (): ServicesState => ({ apps: new Map(), instances: new InstanceMap(), deployments: new Map() });

const heap = (): number => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

let seq = 0;
const uuid = () => {
  const n = (seq++).toString(16).padStart(12, "0");
  return `00000000-0000-4000-8000-${n}`;
};

const offer = (n: number): Offer =>
  ({
    id: { value: `offer-${n}` },
    framework_id: { value: "bench-framework" },
    agent_id: { value: `agent-${(n % AGENTS).toString().padStart(4, "0")}-S0` },
    hostname: `hollow-${n % AGENTS}`,
    resources: AGENT_RESOURCES,
    attributes: [],
  }) as unknown as Offer;

/** One app built as the object builds it, in a scratch state of its own (planning is per app). */
function buildApp(state: ServicesState, i: number, nowMs: number): void {
  const scratch = emptyState();
  scratch.frameworkId = "bench-framework";
  const id = `/bench/group-${Math.floor(i / 100)}/app-${i}`;
  const body = JSON.stringify({ id, cmd: "sleep 86400", instances: perApp, cpus: 0.01, mem: 8, portDefinitions: [{ port: 0 }] });
  const created = serveApi(
    scratch,
    { method: "POST", path: "/v2/apps", query: new URLSearchParams(), body, origin: "http://127.0.0.1:5050" },
    { nowMs, uuid, role: "*", user: "root" },
  );
  if (!created.changes) throw new Error(`POST ${id}: ${JSON.stringify(created.answer).slice(0, 200)}`);
  applyChanges(scratch, storedCopies({ apps: created.changes.apps, instances: created.changes.instances }));
  const plan = planOffers(scratch, [offer(i)], { nowMs, uuid, role: "*", maxInstancesPerOffer: perApp }); // one offer holds the app's instances
  const launched = plan.launches.flatMap((l) => l.instances);
  if (launched.length !== perApp) throw new Error(`${id}: ${launched.length} of ${perApp} instances planned on one offer`);
  applyChanges(scratch, storedCopies({ instances: launched }));
  for (const inst of launched) {
    const outcome = applyStatus(
      scratch,
      {
        task_id: { value: inst.taskId },
        agent_id: { value: inst.agentId },
        state: "TASK_RUNNING",
        source: "SOURCE_EXECUTOR",
        timestamp: nowMs / 1000,
      } as never,
      nowMs,
    );
    if (outcome.instance) applyChanges(scratch, storedCopies({ instances: [outcome.instance] }));
  }
  for (const [k, v] of scratch.apps) state.apps.set(k, v);
  for (const [k, v] of scratch.instances) state.instances.set(k, v);
}

function buildState(nowMs: number): ServicesState {
  const state = emptyState();
  for (let i = 0; i < apps; i++) buildApp(state, i, nowMs);
  return state;
}

/** The state's SQLite rows: services-store.ts writes JSON.stringify of each record. */
function rowsOf(state: ServicesState): { apps: string[]; instances: string[] } {
  return { apps: [...state.apps.values()].map((a) => JSON.stringify(a)), instances: [...state.instances.values()].map((i) => JSON.stringify(i)) };
}

/** The state as the object holds it after a restart: each row parsed back (`ServicesStore.load`). */
function load(rows: { apps: string[]; instances: string[] }): ServicesState {
  return {
    apps: new Map(rows.apps.map((r) => JSON.parse(r, shareValue)).map((a) => [a.app.id, a])),
    instances: InstanceMap.of(rows.instances.map((r) => JSON.parse(r, shareValue))),
    deployments: new Map(),
  };
}

/**
 * The heap grown by building the state (`liveBytes`: the state and what running the code for the
 * first time keeps — compiled code, caches), and the state's own share (`stateBytes`: what is
 * freed once the state is dropped).
 */
function measure(): Record<string, number> {
  const nowMs = Date.now();
  const base = heap();
  const t0 = performance.now();
  // The state lives in a holder filled and counted by other functions: no frame of this one keeps a reference to drop.
  const holder: { state?: ServicesState } = {};
  fill(holder, nowMs);
  const buildMs = performance.now() - t0;
  const live = heap();
  const counts = countOf(holder);
  delete holder.state;
  const dropped = heap();
  return { ...counts, liveBytes: live - base, stateBytes: live - dropped, buildMs };
}

function fill(holder: { state?: ServicesState }, nowMs: number): void {
  holder.state = buildState(nowMs);
}

function countOf(holder: { state?: ServicesState }): { apps: number; instances: number } {
  return { apps: holder.state!.apps.size, instances: holder.state!.instances.size };
}

/** The loaded state's own share of the heap: what is freed once it is dropped (its rows dropped first, as the object drops its query results). */
function measureLoaded(): Record<string, number> {
  const holder: { rows?: { apps: string[]; instances: string[] }; loaded?: ServicesState } = { rows: rowsOf(buildState(Date.now())) };
  const rowBytes = [...holder.rows!.apps, ...holder.rows!.instances].reduce((n, r) => n + r.length, 0);
  loadInto(holder);
  const withLoaded = heap();
  const loadedInstances = holder.loaded!.instances.size;
  delete holder.loaded;
  return { loadedBytes: withLoaded - heap(), rowBytes, loadedInstances };
}

function loadInto(holder: { rows?: { apps: string[]; instances: string[] }; loaded?: ServicesState }): void {
  holder.loaded = load(holder.rows!);
  delete holder.rows;
}

console.log(JSON.stringify({ ...measure(), ...measureLoaded() }));
