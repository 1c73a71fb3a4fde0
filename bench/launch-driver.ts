/**
 * The benchmarks' framework: launches M tasks through a master and records, per task, when its
 * ACCEPT was sent and when TASK_RUNNING and its terminal update arrived. Built on the SDK's
 * SchedulerClient, as any framework would be. Two ways to launch: as many tasks per ACCEPT as
 * each offer holds, as fast as offers come (throughput), or one task per ACCEPT at a modest
 * pace (latency: what one task waits for, without a queue of others ahead of it).
 */
import type { Offer, Resource, TaskInfo } from "../schemas/index.ts";
import { commandTask, isTerminal, SchedulerClient } from "../sdk/src/index.ts";
import { contains, subtract } from "../sdk/src/resources.ts";
import type { FetchLike } from "../sdk/src/scheduler-types.ts";
import { percentile } from "./result.ts";

/**
 * fetch, again (up to 3 more times, 100 ms apart) when the connection was reset: Bun now and
 * then reuses a keep-alive socket the server has closed (BENCHMARKS.md, scale), and a framework
 * call lost that way (an ACCEPT) would leave a run waiting for tasks that were never launched.
 * Under a busy master one retry was not always enough (services benchmark, 10,000 tasks).
 */
export const fetchRetryingReset: FetchLike = async (input, init) => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(input, init);
    } catch (err) {
      if ((err as { code?: string }).code !== "ECONNRESET" || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
};

export interface LaunchRun {
  tasks: number;
  /** Seconds from the first ACCEPT to the last terminal update. */
  seconds: number;
  /** Tasks that reached TASK_RUNNING per second, from the first ACCEPT to the last RUNNING. */
  launchedPerSecond: number;
  finishedPerSecond: number;
  runningP50Ms: number;
  runningP99Ms: number;
  finishedP50Ms: number;
  finishedP99Ms: number;
  failed: number;
  /** ACCEPT→RUNNING of each task that ran, in ACCEPT order (ms): where the tail comes from. */
  runningSamplesMs: number[];
}

export interface LaunchOptions {
  master: string;
  principal: string;
  secret: string;
  count: number;
  resources: Resource[];
  shell: string;
  timeoutMs: number;
  /**
   * One task per ACCEPT: the next ACCEPT once the previous task is RUNNING (or over) and at
   * least `minIntervalMs` after the previous ACCEPT. Absent: as many tasks per ACCEPT as each
   * offer holds, as fast as offers come.
   */
  pace?: { minIntervalMs: number };
  /** `refuse_seconds` when declining an offer once every task is launched (default 0). */
  idleRefuseSeconds?: number;
  /** The framework's fetch (default: the global one), e.g. one that retries a reset connection. */
  fetch?: FetchLike;
  /**
   * Done once every task is RUNNING (long-running tasks): the framework then tears down, which
   * kills them. Absent: done once every task has ended.
   */
  untilRunning?: boolean;
}

interface Timing {
  accept: number;
  running?: number;
  done?: number;
  state?: string;
}

/** Runs `count` tasks of `resources` running `shell` and waits (≤ timeoutMs) for them all to end. */
export async function launchTasks(opts: LaunchOptions): Promise<LaunchRun> {
  const timings = new Map<string, Timing>();
  let next = 0,
    first = 0,
    last = 0,
    ended = 0,
    failed = 0,
    lastRunning = 0,
    running = 0,
    over = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const client = new SchedulerClient({
    master: opts.master,
    credentials: { principal: opts.principal, secret: opts.secret },
    frameworkInfo: { user: "root", name: "strata-bench", failover_timeout: 60 },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  // A call still in flight when the run is over (a DECLINE as the framework tears down) is no loss.
  const lost = (why: unknown) => {
    if (!over) console.error(`bench framework: ${why instanceof Error ? why.message : String(why)}`);
  };
  const refuse = () => ({ refuse_seconds: next >= opts.count ? (opts.idleRefuseSeconds ?? 0) : 0 });
  const task = (agentId: string): TaskInfo => commandTask({ taskId: `bench-${next++}`, agentId, resources: opts.resources, shell: opts.shell });
  /**
   * Sends the ACCEPT without waiting for its answer: the client dispatches events one at a
   * time, and an update arriving meanwhile must be timed when it arrives.
   */
  const accept = (offer: Offer, batch: TaskInfo[]) => {
    const now = performance.now();
    if (!first) first = now;
    for (const t of batch) timings.set(t.task_id.value, { accept: now });
    void client.launch([offer.id], batch, { refuse_seconds: 0 }).catch(lost);
  };

  // Paced launching: at most one offer held, one task in flight (not yet RUNNING).
  let held: Offer | undefined,
    inFlight: string | undefined,
    lastAccept = -Infinity;
  let paceTimer: ReturnType<typeof setTimeout> | undefined;
  const launchPaced = () => {
    if (over || !held || inFlight !== undefined || next >= opts.count || paceTimer) return;
    const wait = lastAccept + opts.pace!.minIntervalMs - performance.now();
    if (wait > 0) {
      paceTimer = setTimeout(() => {
        paceTimer = undefined;
        launchPaced();
      }, wait);
      return;
    }
    const offer = held;
    held = undefined;
    if (!contains(offer.resources, opts.resources)) {
      void client.decline([offer.id], refuse()).catch(lost);
      return;
    }
    const t = task(offer.agent_id.value);
    inFlight = t.task_id.value;
    lastAccept = performance.now();
    accept(offer, [t]);
  };

  client.on("offers", (offers: Offer[]) => {
    if (over) return;
    for (const offer of offers) {
      if (opts.pace) {
        if (!held && next < opts.count) held = offer;
        else void client.decline([offer.id], refuse()).catch(lost);
        continue;
      }
      let free = offer.resources;
      const batch: TaskInfo[] = [];
      while (next < opts.count && contains(free, opts.resources)) {
        free = subtract(free, opts.resources);
        batch.push(task(offer.agent_id.value));
      }
      if (batch.length === 0) void client.decline([offer.id], refuse()).catch(lost);
      else accept(offer, batch);
    }
    if (opts.pace) launchPaced();
  });
  client.on("update", (status) => {
    const t = timings.get(status.task_id.value);
    if (!t || t.done !== undefined) return;
    const now = performance.now();
    if (status.state === "TASK_RUNNING" && t.running === undefined) {
      t.running = now;
      lastRunning = now;
      if (++running === opts.count && opts.untilRunning) resolveDone();
    }
    if (isTerminal(status.state)) {
      t.done = now;
      t.state = status.state;
      last = now;
      if (status.state !== "TASK_FINISHED") failed++;
      if (++ended === opts.count) resolveDone();
    }
    if (opts.pace && status.task_id.value === inFlight && (t.running !== undefined || t.done !== undefined)) {
      inFlight = undefined;
      launchPaced();
    }
  });
  await client.start();
  const timer = setTimeout(resolveDone, opts.timeoutMs);
  await done;
  clearTimeout(timer);
  clearTimeout(paceTimer);
  over = true;
  await client.teardown().catch(() => undefined);
  await client.stop();
  const all = [...timings.values()];
  const ms = (f: (t: Timing) => number | undefined) => all.map(f).filter((v): v is number => v !== undefined);
  const toRunning = ms((t) => (t.running === undefined ? undefined : t.running - t.accept));
  const finished = ms((t) => (t.done === undefined ? undefined : t.done - t.accept));
  const seconds = ((last || performance.now()) - first) / 1000;
  return {
    tasks: ended,
    seconds,
    launchedPerSecond: running / Math.max((lastRunning - first) / 1000, 1e-3),
    finishedPerSecond: ended / Math.max(seconds, 1e-3),
    runningP50Ms: percentile(toRunning, 50),
    runningP99Ms: percentile(toRunning, 99),
    finishedP50Ms: percentile(finished, 50),
    finishedP99Ms: percentile(finished, 99),
    failed: failed + opts.count - (opts.untilRunning ? running : ended),
    runningSamplesMs: toRunning,
  };
}
