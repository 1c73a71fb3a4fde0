/**
 * Memory soak: the local master (workerd) under a mixed load for a while — frameworks coming
 * and going and launching tasks on hollow agents, whole-state reads (`/master/state`, the
 * operator API's GET_STATE) and operator event streams (SUBSCRIBE) opened and closed — with
 * the master isolate's JS heap (after a forced collection, read over the V8 inspector: see
 * inspector-heap.ts) and workerd's RSS sampled at intervals. A Durable Object is reset at
 * 128 MB, so the heap must stay flat and far below that. All traffic is on loopback, every
 * loop stops by itself at the deadline.
 *
 *   npm run bench -- --only soak [--quick] [--minutes N]   (default 30 min; --quick 2 min)
 */
import { freePort, waitForAgents, withTempCluster } from "../scripts/cluster-processes.ts";
import { authorizationHeader } from "../sdk/src/auth.ts";
import { readRecords } from "../sdk/src/recordio.ts";
import { parseResources } from "../sdk/src/resources.ts";
import { connectHeapInspector } from "./inspector-heap.ts";
import { fetchRetryingReset, launchTasks } from "./launch-driver.ts";
import { findBelow, rssBytes } from "./proc-memory.ts";
import type { Benchmark, Figure } from "./result.ts";

const MB = 1024 * 1024;
const AGENTS = 20;
/** Tasks each framework launches before it tears down; a new framework every round. */
const TASKS_PER_ROUND = 200;
/** A round starts at most this often: ~40 tasks/s, light enough for a shared 2-core machine. */
const ROUND_MS = 5_000;
const READ_EVERY_MS = 2_000;
const STREAM_EVERY_MS = 5_000;
/** How long each operator stream stays open (so ~2 are open at any time). */
const STREAM_OPEN_MS = 10_000;
/** Heap growth allowed after warm-up (see BENCHMARKS.md: what the bounded state may add). */
export const GROWTH_TARGET_MB = 8;
/** Half of a Durable Object's 128 MB. */
export const PEAK_TARGET_MB = 64;

/** One sample of the master. */
interface Sample {
  minute: number;
  heapMb: number;
  rssMb: number;
  tasks: number;
  reads: number;
  streams: number;
}

/** What the load did. */
interface SoakCounts {
  tasks: number;
  failed: number;
  reads: number;
  readFailures: number;
  streams: number;
  streamFailures: number;
  rounds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export const soakBenchmark: Benchmark = async ({ quick, minutes }) => {
  const durationMs = (minutes ?? (quick ? 2 : 30)) * 60_000;
  const sampleMs = durationMs <= 5 * 60_000 ? 10_000 : 30_000;
  const warmUpMs = Math.min(60_000, durationMs / 4);
  const inspectorPort = await freePort();
  const agentArgs = ["--hollow", String(AGENTS), "--hollow-task-ms", "100"];
  return withTempCluster({ name: "bench-soak", agentArgs, inspectorPort }, async ({ url, secrets, master }) => {
    await waitForAgents(url, secrets, AGENTS, 120_000);
    const auth = authorizationHeader({ principal: secrets.principal, secret: secrets.secret })!;
    const workerd = findBelow(master.child.pid!, "workerd");
    if (workerd === undefined) throw new Error("soak: no workerd process below the master");
    const inspector = await connectHeapInspector(inspectorPort, "strata-master");
    const poke = () => fetch(`${url}/health`).then((r) => r.arrayBuffer());
    const t0 = performance.now();
    let deadline = t0 + durationMs;
    const running = () => performance.now() < deadline;
    const count: SoakCounts = { tasks: 0, failed: 0, reads: 0, readFailures: 0, streams: 0, streamFailures: 0, rounds: 0 };

    const launching = (async () => {
      while (running()) {
        const start = performance.now();
        const run = await launchTasks({
          master: url,
          principal: secrets.principal,
          secret: secrets.secret,
          count: TASKS_PER_ROUND,
          resources: parseResources("cpus:0.01;mem:8"),
          shell: "true",
          timeoutMs: 60_000,
          fetch: fetchRetryingReset,
        });
        count.tasks += run.tasks;
        count.failed += run.failed;
        count.rounds++;
        await sleep(Math.min(ROUND_MS - (performance.now() - start), deadline - performance.now()));
      }
    })();

    const reading = (async () => {
      for (let i = 0; running(); i++) {
        const req =
          i % 2 === 0
            ? fetch(`${url}/master/state`, { headers: { authorization: auth } })
            : fetch(`${url}/api/v1`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: '{"type":"GET_STATE"}' });
        const ok = await req
          .then(async (r) => {
            await r.arrayBuffer();
            return r.ok;
          })
          .catch(() => false);
        if (ok) count.reads++;
        else count.readFailures++;
        await sleep(Math.min(READ_EVERY_MS, deadline - performance.now()));
      }
    })();

    /** One operator stream: open, read every record for STREAM_OPEN_MS, then leave. */
    const stream = async () => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), STREAM_OPEN_MS);
      let subscribed = false;
      try {
        const res = await fetch(`${url}/api/v1`, {
          method: "POST",
          signal: abort.signal,
          headers: { authorization: auth, "content-type": "application/json" },
          body: '{"type":"SUBSCRIBE"}',
        });
        for await (const r of readRecords(res.body!)) if (!subscribed) subscribed = r.startsWith('{"type":"SUBSCRIBED"');
      } catch {
        /* aborted: the stream's time is up */
      } finally {
        clearTimeout(timer);
      }
      if (subscribed) count.streams++;
      else count.streamFailures++;
    };
    const streaming = (async () => {
      const open: Promise<void>[] = [];
      while (running()) {
        open.push(stream());
        await sleep(Math.min(STREAM_EVERY_MS, deadline - performance.now()));
      }
      await Promise.all(open);
    })();

    const samples: Sample[] = [];
    const sample = async () => {
      const heap = await inspector.heapAfterGc(poke);
      const s: Sample = {
        minute: (performance.now() - t0) / 60_000,
        heapMb: heap.usedSize / MB,
        rssMb: (rssBytes(workerd) ?? NaN) / MB,
        tasks: count.tasks,
        reads: count.reads,
        streams: count.streams,
      };
      samples.push(s);
      console.error(
        `soak: ${s.minute.toFixed(1)} min  heap ${s.heapMb.toFixed(1)} MB  workerd RSS ${s.rssMb.toFixed(0)} MB  tasks ${s.tasks}  reads ${s.reads}  streams ${s.streams}`,
      );
    };
    try {
      await sample();
      while (running()) {
        await sleep(Math.min(sampleMs, deadline - performance.now()));
        await sample();
      }
    } catch (err) {
      deadline = 0; // the load stops too, before the cluster does
      await Promise.allSettled([launching, reading, streaming]);
      throw err;
    }
    await Promise.all([launching, reading, streaming]);
    await sample(); // after the load: what stays
    const kinds = await inspector.largestKinds(poke, 12).catch((err: Error) => err);
    inspector.close();

    console.error(soakTable(samples));
    console.error("largest kinds in the heap at the end (self size):");
    if (kinds instanceof Error) console.error(`  (no snapshot: ${kinds.message})`);
    else for (const k of kinds) console.error(`  ${(k.bytes / MB).toFixed(2).padStart(7)} MB ${String(k.count).padStart(8)}  ${k.kind}`);
    return soakFigures(samples, warmUpMs / 60_000, count);
  });
};

/** The heap over time as a small table (printed to stderr beside the run's progress). */
function soakTable(samples: readonly Sample[]): string {
  const rows = samples.map((s) =>
    [s.minute.toFixed(1), s.heapMb.toFixed(1), s.rssMb.toFixed(0), String(s.tasks), String(s.reads), String(s.streams)].map((c) => c.padStart(9)).join(""),
  );
  return [["minute", "heap MB", "RSS MB", "tasks", "reads", "streams"].map((c) => c.padStart(9)).join(""), ...rows].join("\n");
}

/** The figures beside their targets: growth after warm-up, peak; RSS for reference. */
function soakFigures(samples: readonly Sample[], warmUpMinutes: number, count: SoakCounts): Figure[] {
  const g = "soak";
  const first = samples[0]!;
  const warm = samples.find((s) => s.minute >= warmUpMinutes) ?? first;
  const last = samples[samples.length - 1]!;
  const peak = samples.reduce((a, s) => (s.heapMb > a.heapMb ? s : a), first);
  const peakRss = Math.max(...samples.map((s) => s.rssMb));
  const span = `${last.minute.toFixed(0)} min: ${count.tasks} tasks (${count.failed} failed) in ${count.rounds} frameworks, ${count.reads} reads, ${count.streams} operator streams`;
  const failures = count.readFailures + count.streamFailures ? `; ${count.readFailures} reads and ${count.streamFailures} streams failed` : "";
  return [
    { group: g, name: "master heap after GC at start", value: first.heapMb, unit: "MB", note: span + failures },
    { group: g, name: `master heap after GC after warm-up (${warm.minute.toFixed(1)} min)`, value: warm.heapMb, unit: "MB" },
    { group: g, name: "master heap after GC at the end (load over)", value: last.heapMb, unit: "MB" },
    {
      group: g,
      name: "heap growth, end vs after warm-up",
      value: last.heapMb - warm.heapMb,
      unit: "MB",
      target: { op: "<=", value: GROWTH_TARGET_MB },
    },
    {
      group: g,
      name: "peak heap after GC",
      value: peak.heapMb,
      unit: "MB",
      target: { op: "<=", value: PEAK_TARGET_MB },
      note: `at ${peak.minute.toFixed(1)} min`,
    },
    { group: g, name: "workerd RSS start / end", value: first.rssMb, unit: `MB / ${last.rssMb.toFixed(0)} MB`, note: `peak ${peakRss.toFixed(0)} MB` },
  ];
}
