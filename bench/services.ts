/**
 * Services (the built-in Marathon, issue 12) through the local master, on hollow agents whose
 * tasks run until killed (`--hollow-task-ms` of a day):
 *
 * 1. launch: an SDK framework (launch-driver.ts) launches N tasks and tears down; then one
 *    services app of N instances (POST /v2/apps) on the same agents. Each rate is tasks that
 *    reached RUNNING per second from the first launch to the last RUNNING (the SDK: first
 *    ACCEPT → last TASK_RUNNING; services: the first instance's `stagedAt` → the last
 *    `startedAt`, both the object's clock); the ratio must be ≥ 0.8.
 * 2. restart: an app of R instances with `upgradeStrategy.minimumHealthCapacity` 0.5 (no health
 *    checks: hollow agents run none, so healthy = running), then POST /v2/apps/{id}/restart:
 *    time until /v2/deployments is empty and every instance is of the new version.
 * 3. list: A apps × 10 instances, then GET /v2/apps?embed=apps.tasks, median and p95. The
 *    master isolate's heap (after a forced collection, over the V8 inspector) before the apps
 *    and once they all run: what the services object (and the master's own task records) hold.
 * 4. state model: the services state of 10,000 apps × 10 instances built with the framework's
 *    own code in a Node process (services-state-memory.ts), its heap measured (as built, and as
 *    loaded back from its rows). Loading 100,000 instances into the real object through the
 *    master would take hours here (see BENCHMARKS.md, "Services").
 *
 * `--quick`: 100 agents, 1,000 launched, 100 restarted, 100 apps listed, 1,000 apps measured.
 * `STRATA_BENCH_SERVICES=launch,restart,list,memory` picks parts (all by default).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type LocalSecrets, masterMetrics, ROOT, waitForAgents, withTempCluster } from "../scripts/cluster-processes.ts";
import { authorizationHeader } from "../sdk/src/auth.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { connectHeapInspector, NOT_SAMPLED } from "./inspector-heap.ts";
import { fetchRetryingReset, launchTasks } from "./launch-driver.ts";
import { type Benchmark, type Figure, percentile } from "./result.ts";

const MB = 1024 * 1024;
const G = "services";
/** Each task and instance: small enough that 10 fit many times over on a hollow agent (cpus 2, mem 1024). */
const TASK = { cpus: 0.01, mem: 8 };
const LIST_PER_APP = 10;
const MEMORY_PER_APP = 10;
/** The CPU profile of a phase covers at most its first 20 s (a long one grows large in workerd). */
const PROFILE_MS = 20_000;
/**
 * CPU profiles of the master isolate: with `--quick` unless `STRATA_BENCH_PROFILE=0`; at full
 * sizes only with `STRATA_BENCH_PROFILE=1` (workerd crashed, SIGSEGV, twice while profiling the
 * 10,000-instance launch).
 */
const profiling = (quick: boolean) => (process.env.STRATA_BENCH_PROFILE ?? (quick ? "1" : "0")) !== "0";
/** `STRATA_BENCH_SERVICES=launch,restart,list,memory`: only those parts (all by default; `memory` is the Node model, both figures). */
const PARTS = new Set((process.env.STRATA_BENCH_SERVICES ?? "launch,restart,list,memory").split(","));

interface Sizes {
  agents: number;
  launch: number;
  restart: number;
  listApps: number;
  memoryApps: number;
}
const FULL: Sizes = { agents: 1_000, launch: 10_000, restart: 1_000, listApps: 1_000, memoryApps: 10_000 };
const QUICK: Sizes = { agents: 100, launch: 1_000, restart: 100, listApps: 100, memoryApps: 1_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const n = (v: number) => v.toLocaleString("en-US");

/** Runs `during` under the master isolate's CPU profiler; `where`: its busiest functions, e.g. "planOffers 31%, …". */
type Profile = <T>(what: string, during: () => Promise<T>) => Promise<{ result: T; where: string }>;

type Call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<T>;

/** Marathon's API on the master's origin, with the operator credentials. */
function marathon(url: string, secrets: LocalSecrets): Call {
  const authorization = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await fetchRetryingReset(`${url}${path}`, {
      method,
      headers: { authorization, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
}

/** Polls `done` every `everyMs` until it holds; throws after `timeoutMs` saying `what`. */
async function waitUntil(what: string, timeoutMs: number, everyMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`services: ${what} not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

interface TaskJson {
  id: string;
  state: string;
  version: string;
  stagedAt: string;
  startedAt?: string;
}
interface AppJson {
  id: string;
  instances: number;
  tasksRunning: number;
  tasksStaged: number;
  tasks?: TaskJson[];
}

const appDefinition = (id: string, instances: number, extra: Record<string, unknown> = {}) => ({
  id,
  cmd: "sleep 86400",
  instances,
  ...TASK,
  portDefinitions: [],
  ...extra,
});

/** How long a count of RUNNING tasks may stay still before the wait gives up on the rest. */
const STALL_MS = 60_000;

/**
 * Waits until the master counts `count` tasks RUNNING (cheap to ask), then until the services
 * framework does too; gives up on the rest when the count stays still for STALL_MS (a task
 * whose RUNNING update was lost, BENCHMARKS.md) or `timeoutMs` passes. Returns how many the
 * services framework counts RUNNING.
 */
async function waitRunning(call: Call, url: string, secrets: LocalSecrets, idPart: string, count: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const until = async (read: () => Promise<number>, want: number): Promise<number> => {
    let best = -1;
    let since = performance.now();
    for (;;) {
      // An overloaded master may not answer one poll in time: that poll counts as no progress.
      const running = await read().catch(() => Math.max(best, 0));
      const now = performance.now();
      if (running >= want || now > deadline) return running;
      if (running > best) [best, since] = [running, now];
      else if (now - since > STALL_MS) return running;
      await sleep(1_000);
    }
  };
  const atMaster = await until(async () => (await masterMetrics(url, secrets))["master/tasks_running"] ?? 0, count);
  return until(() => runningOf(call, idPart), Math.min(count, atMaster));
}

/**
 * Running instances of every app listed. The services framework builds each app's task list
 * even when none is embedded, so this is not cheap: polled only once the master counts them.
 */
async function runningOf(call: Call, idPart: string): Promise<number> {
  const { apps } = await call<{ apps: AppJson[] }>("GET", `/v2/apps?id=${encodeURIComponent(idPart)}`);
  return apps.reduce((s, a) => s + a.tasksRunning, 0);
}

/** Removes every app whose id holds `idPart` and waits until the services object and the master have no task left. */
async function removeApps(call: Call, url: string, secrets: LocalSecrets, idPart: string, timeoutMs: number): Promise<void> {
  const { apps } = await call<{ apps: AppJson[] }>("GET", `/v2/apps?id=${encodeURIComponent(idPart)}`);
  for (const a of apps) await call("DELETE", `/v2/apps${a.id}?force=true`);
  await waitUntil("the removed apps' tasks killed", timeoutMs, 1_000, async () => {
    const { tasks } = await call<{ tasks: TaskJson[] }>("GET", "/v2/tasks");
    const m = await masterMetrics(url, secrets);
    return tasks.length === 0 && (m["master/tasks_running"] ?? 0) === 0 && (m["master/tasks_killing"] ?? 0) === 0;
  });
}

async function launchFigures(url: string, secrets: LocalSecrets, call: Call, size: Sizes, profile: Profile): Promise<Figure[]> {
  const label = `1 app × ${n(size.launch)} instances on ${n(size.agents)} hollow agents`;
  console.error(`services: SDK framework launching ${n(size.launch)} tasks…`);
  const sdk = await launchTasks({
    master: url,
    principal: secrets.principal,
    secret: secrets.secret,
    count: size.launch,
    resources: parseResources(`cpus:${TASK.cpus};mem:${TASK.mem}`),
    shell: "sleep 86400",
    timeoutMs: 600_000,
    untilRunning: true,
    fetch: fetchRetryingReset,
  });
  if (sdk.failed) throw new Error(`services: the SDK framework's run left ${sdk.failed} of ${size.launch} tasks not RUNNING`);
  await waitUntil("the SDK framework's tasks killed", 300_000, 1_000, async () => ((await masterMetrics(url, secrets))["master/tasks_running"] ?? 0) === 0);

  console.error(`services: POST /v2/apps with ${n(size.launch)} instances…`);
  const id = "/bench-launch";
  const posted = performance.now();
  const postedAtMs = Date.now();
  const { result: running, where } = await profile("services launch", async () => {
    await call("POST", "/v2/apps", appDefinition(id, size.launch));
    return waitRunning(call, url, secrets, id, size.launch, 600_000);
  });
  const observedS = (performance.now() - posted) / 1000;
  const { tasks: all } = await call<{ tasks: TaskJson[] }>("GET", `/v2/apps${id}/tasks`);
  const tasks = all.filter((t) => t.startedAt !== undefined);
  const missing = size.launch - running;
  // An instance that was RUNNING once keeps its startedAt even when a late update moved it back (BENCHMARKS.md).
  const notRunning = all.filter((t) => t.state !== "TASK_RUNNING");
  const states = [...new Set(notRunning.map((t) => t.state))].join(", ");
  const neverStarted = all.length - tasks.length;
  const stuck = missing > 0 ? `; at the end ${notRunning.length} not RUNNING (${states}), ${neverStarted} of them never RUNNING` : "";
  const firstStaged = Math.min(...tasks.map((t) => Date.parse(t.stagedAt)));
  const lastStarted = Math.max(...tasks.map((t) => Date.parse(t.startedAt ?? "")));
  const lastStaged = Math.max(...tasks.map((t) => Date.parse(t.stagedAt)));
  const toRunning = percentile(
    tasks.map((t) => Date.parse(t.startedAt ?? "") - Date.parse(t.stagedAt)),
    50,
  );
  const servicesRate = tasks.length / Math.max((lastStarted - firstStaged) / 1000, 1e-3);
  const untilAllS = (lastStarted - postedAtMs) / 1000;
  await removeApps(call, url, secrets, id, 600_000);
  return [
    { group: G, name: `${label}: SDK framework alone, launched (RUNNING) per second`, value: sdk.launchedPerSecond, unit: "tasks/s" },
    {
      group: G,
      name: `${label}: services, launched (RUNNING) per second`,
      value: servicesRate,
      unit: "tasks/s",
      note: `first instance staged → last RUNNING; ${tasks.length} tasks; last staged after ${((lastStaged - firstStaged) / 1000).toFixed(1)} s; staged→RUNNING p50 ${toRunning.toFixed(0)} ms${stuck}`,
    },
    {
      group: G,
      name: `${label}: services rate / SDK rate`,
      value: servicesRate / sdk.launchedPerSecond,
      unit: "",
      target: { op: ">=", value: 0.8 },
      note: `master isolate (master and services objects) busiest in: ${where}`,
    },
    {
      group: G,
      name: `${label}: POST /v2/apps → all RUNNING`,
      value: neverStarted > 0 ? NaN : untilAllS,
      unit: "s",
      note: `the last instance's first RUNNING${missing > 0 ? `; ${notRunning.length} not RUNNING at the end (${states})` : ""}; seen by polling (the master's metrics, then /v2/apps) every 1 s after ${observedS.toFixed(1)} s`,
    },
  ];
}

async function restartFigures(url: string, secrets: LocalSecrets, call: Call, size: Sizes, profile: Profile): Promise<Figure[]> {
  const id = "/bench-restart";
  const r = size.restart;
  console.error(`services: ${n(r)} instances for the rolling restart…`);
  await call("POST", "/v2/apps", appDefinition(id, r, { upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 1 } }));
  const ready = await waitRunning(call, url, secrets, id, r, 600_000);
  if (ready < r) throw new Error(`services: only ${ready} of ${r} instances RUNNING before the restart`);
  await waitUntil("the first deployment over", 60_000, 250, async () => (await call<unknown[]>("GET", "/v2/deployments")).length === 0);
  const t0 = performance.now();
  const { version } = await call<{ version: string; deploymentId: string }>("POST", `/v2/apps${id}/restart`);
  let polls = 0;
  const { where } = await profile("rolling restart", () =>
    waitUntil("the rolling restart done", 600_000, 250, async () => {
      polls++;
      if ((await call<unknown[]>("GET", "/v2/deployments")).length > 0) return false;
      const { tasks } = await call<{ tasks: TaskJson[] }>("GET", `/v2/apps${id}/tasks`);
      return tasks.length === r && tasks.every((t) => t.version === version && t.state === "TASK_RUNNING");
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await removeApps(call, url, secrets, id, 600_000);
  return [
    {
      group: G,
      name: `rolling restart of ${n(r)} instances (minimumHealthCapacity 0.5): time to done`,
      value: seconds,
      unit: "s",
      note: `${(r / seconds).toFixed(0)} instances/s replaced; no health checks (hollow agents run none): healthy = running; maximumOverCapacity 1 (Marathon's default); polled every 250 ms (${polls} polls); busiest: ${where}`,
    },
  ];
}

async function listFigures(url: string, secrets: LocalSecrets, call: Call, size: Sizes, heapMb: () => Promise<number>, profile: Profile): Promise<Figure[]> {
  const a = size.listApps;
  const label = `${n(a)} apps × ${LIST_PER_APP} instances`;
  const heapBefore = await heapMb();
  console.error(`services: creating ${label}…`);
  const t0 = performance.now();
  for (let i = 0; i < a; i++) await call("POST", "/v2/apps", appDefinition(`/bench-list/app-${String(i).padStart(5, "0")}`, LIST_PER_APP));
  const postS = (performance.now() - t0) / 1000;
  const { result: listed, where: launchWhere } = await profile(`${label} launch`, () =>
    waitRunning(call, url, secrets, "/bench-list/", a * LIST_PER_APP, 1_200_000),
  );
  const runningS = (performance.now() - t0) / 1000;
  const heapAfter = await heapMb();
  const path = "/v2/apps?embed=apps.tasks";
  const auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
  const get = async () => {
    const t = performance.now();
    const r = await fetch(`${url}${path}`, { headers: { authorization: auth } });
    const body = await r.text();
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return {
      ms: performance.now() - t,
      bytes: body.length,
      tasks: (JSON.parse(body) as { apps: AppJson[] }).apps.reduce((s, x) => s + (x.tasks?.length ?? 0), 0),
    };
  };
  await get(); // warm-up
  const samples: number[] = [];
  let last = { bytes: 0, tasks: 0 };
  const { where } = await profile(`GET ${path}`, async () => {
    for (let i = 0; i < 20; i++) {
      const g = await get();
      samples.push(g.ms);
      last = g;
    }
  });
  return [
    {
      group: G,
      name: `GET ${path} at ${label}: median`,
      value: percentile(samples, 50),
      unit: "ms",
      target: { op: "<=", value: 100 },
      note: `p95 ${percentile(samples, 95).toFixed(0)} ms over 20 requests; ${n(last.tasks)} tasks, ${(last.bytes / MB).toFixed(1)} MB of JSON`,
    },
    {
      group: G,
      name: `GET ${path} at ${label}: p95`,
      value: percentile(samples, 95),
      unit: "ms",
      target: { op: "<=", value: 100 },
      note: `busiest: ${where}`,
    },
    {
      group: G,
      name: `${label}: created (POST each) / all RUNNING`,
      value: postS,
      unit: `s / ${runningS.toFixed(0)} s`,
      note: `${listed < a * LIST_PER_APP ? `only ${n(listed)} RUNNING; ` : ""}launch busiest: ${launchWhere}`,
    },
    {
      group: G,
      name: `master isolate heap after GC: before / with ${label} running`,
      value: heapBefore,
      unit: `MB / ${heapAfter.toFixed(1)} MB`,
      note: `+${(heapAfter - heapBefore).toFixed(1)} MB: the services object and the master's records of ${n(a * LIST_PER_APP)} tasks (one isolate)`,
    },
  ];
}

/** Runs services-state-memory.ts (bundled by esbuild into `dir`) in Node with `--expose-gc`: its JSON line. */
function stateRun(dir: string, args: string[]): Record<string, number> {
  const out = join(dir, "state-memory.mjs");
  const built = spawnSync(
    join(ROOT, "node_modules", ".bin", "esbuild"),
    [
      join(ROOT, "bench", "services-state-memory.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--external:cloudflare:*",
      `--outfile=${out}`,
      "--log-level=warning",
    ],
    { encoding: "utf8" },
  );
  if (built.status !== 0) throw new Error(`services: esbuild: ${built.stderr}`);
  const run = spawnSync("node", ["--expose-gc", out, ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`services: state model: ${run.stderr.slice(0, 300)}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as Record<string, number>;
}

/** The services state of `memoryApps` × 10 built by the framework's own code in Node (V8, as workerd): its heap. */
function stateFigures(size: Sizes): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), "strata-bench-services-"));
  try {
    const m = stateRun(dir, [String(size.memoryApps), String(MEMORY_PER_APP)]);
    const label = `${n(m.apps!)} apps × ${MEMORY_PER_APP} instances`;
    const target = { op: "<=" as const, value: 64 };
    return [
      {
        group: G,
        name: `services state, ${label}: heap as built live`,
        value: m.stateBytes! / MB,
        unit: "MB",
        target,
        note: `Node (V8) heap after GC, state built by serveApi/planOffers/applyStatus in ${(m.buildMs! / 1000).toFixed(1)} s, freed when dropped; ${(m.liveBytes! / MB).toFixed(1)} MB grown in all (with the code's own warm-up); not the real object`,
      },
      {
        group: G,
        name: `services state, ${label}: heap as loaded from its rows`,
        value: m.loadedBytes! / MB,
        unit: "MB",
        target,
        note: `the same records parsed back from their ${(m.rowBytes! / MB).toFixed(0)} MB of SQLite JSON (ServicesStore.load after a restart)`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const servicesBenchmark: Benchmark = async ({ quick }) => {
  const size = quick ? QUICK : FULL;
  const figures: Figure[] = [];
  const q = quick ? " (quick sizes)" : "";
  try {
    if (PARTS.has("memory")) figures.push(...stateFigures(size));
  } catch (err) {
    figures.push({ group: G, name: "services state memory: failed", value: NaN, unit: "", note: String(err).slice(0, 200) });
  }
  // The list gets a cluster of its own: after the launch and the restart the master holds
  // 20,000+ finished tasks and its agents may still be catching up.
  for (const parts of [["launch", "restart"], ["list"]]) {
    if (parts.some((p) => PARTS.has(p))) figures.push(...(await inCluster(size, quick, parts)));
  }
  return figures.map((f) => (q ? { ...f, name: `${f.name}${q}` } : f));
};

/** `parts` (of launch, restart, list) in one new cluster of `size.agents` hollow agents. */
async function inCluster(size: Sizes, quick: boolean, parts: string[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  const inspectorPort = await freePort();
  const agentArgs = ["--hollow", String(size.agents), "--hollow-task-ms", String(86_400_000)];
  await withTempCluster({ name: "bench-services", agentArgs, inspectorPort }, async ({ url, secrets }) => {
    await waitForAgents(url, secrets, size.agents, 300_000);
    const call = marathon(url, secrets);
    const inspector = await connectHeapInspector(inspectorPort, "strata-master");
    const poke = () => fetch(`${url}/health`).then((r) => r.arrayBuffer());
    const heapMb = async () => (await inspector.heapAfterGc(poke)).usedSize / MB;
    const profile: Profile = async (what, during) => {
      if (!profiling(quick)) return { result: await during(), where: "(not profiled)" };
      const { result, functions, sampledMs, error } = await inspector.cpuProfile(during, 16, PROFILE_MS);
      if (error) return { result, where: `(no profile: ${error})` };
      const busy = functions.filter((f) => f.fn !== "(idle)" && f.fn !== NOT_SAMPLED);
      console.error(`services: ${what}: master isolate CPU profile, ${(sampledMs / 1000).toFixed(1)} s sampled, self time:`);
      for (const f of functions) console.error(`  ${f.selfMs.toFixed(0).padStart(8)} ms ${((100 * f.selfMs) / sampledMs).toFixed(1).padStart(5)}%  ${f.fn}`);
      const where = busy
        .slice(0, 4)
        .map((f) => `${f.fn.split(" ")[0]} ${((100 * f.selfMs) / sampledMs).toFixed(0)}%`)
        .join(", ");
      return { result, where };
    };
    try {
      const phases: Array<[string, () => Promise<Figure[]>]> = [
        ["launch", () => launchFigures(url, secrets, call, size, profile)],
        ["restart", () => restartFigures(url, secrets, call, size, profile)],
        ["list", () => listFigures(url, secrets, call, size, heapMb, profile)],
      ];
      // The services framework wakes at its first request and subscribes.
      await waitUntil("the services framework subscribed", 60_000, 500, async () => Boolean((await call("GET", "/v2/info")).frameworkId));
      for (const [name, phase] of phases) {
        if (!PARTS.has(name) || !parts.includes(name)) continue;
        try {
          figures.push(...(await phase()));
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          console.error(`services ${name} failed: ${why}`);
          figures.push({ group: G, name: `${name}: failed`, value: NaN, unit: "", note: why.slice(0, 200) });
          process.exitCode = 1;
        }
      }
    } finally {
      inspector.close();
    }
  });
  return figures;
}
