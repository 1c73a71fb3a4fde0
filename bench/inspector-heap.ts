/**
 * The JS heap of the master's isolate (the Worker and its ClusterMaster Durable Object), read
 * over workerd's V8 inspector (Chrome DevTools protocol; the master started with an inspector
 * port). `HeapProfiler.collectGarbage` first, so the figure is what is live, not what a lazy
 * collector left behind; then `Runtime.getHeapUsage`. workerd runs the requested collection as
 * a task of the isolate, so it happens only once the isolate next serves something: `poke`
 * (a cheap request to the master) is sent while the collection is waited for.
 */

/** The isolate's heap after a full collection, in bytes. */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
}

/** An open inspector session on one worker's isolate. */
export interface HeapInspector {
  /** Collects garbage, then reads the heap; throws when the inspector does not answer in time. */
  heapAfterGc(poke: () => Promise<unknown>): Promise<HeapUsage>;
  /**
   * A heap snapshot, summed by what each object is (constructor or kind): the largest `top`,
   * to say where a heap that grew went. workerd serves one inspector session at a time, so a
   * snapshot must come through this one.
   */
  largestKinds(poke: () => Promise<unknown>, top: number): Promise<HeapKind[]>;
  /**
   * A CPU profile of the isolate while `during` runs, for at most its first `maxMs` (V8's
   * sampling profiler, 1 ms): self time summed by function, the largest `top` first, to say
   * where an isolate's time went.
   */
  cpuProfile<T>(during: () => Promise<T>, top: number, maxMs: number): Promise<{ result: T; functions: ProfiledFunction[]; sampledMs: number; error?: string }>;
  close(): void;
}

/** Objects of one kind in a heap snapshot. */
export interface HeapKind {
  kind: string;
  count: number;
  bytes: number;
}

/** Self time of one function in a CPU profile. */
export interface ProfiledFunction {
  /** `name file:line` (file without its folders). */
  fn: string;
  selfMs: number;
}

interface Target {
  id: string;
  webSocketDebuggerUrl: string;
}

const ANSWER_TIMEOUT_MS = 30_000;

/** Connects to the isolate of worker `worker` (e.g. "strata-master") on the inspector at `port`. */
export async function connectHeapInspector(port: number, worker: string): Promise<HeapInspector> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Target[];
  const target = targets.find((t) => t.id === `core:user:${worker}`);
  if (!target) throw new Error(`inspector: no worker '${worker}' among ${targets.map((t) => t.id).join(", ")}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  const answers = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  const chunks: string[] = [];
  let lastChunkAt = 0;
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; method?: string; params?: { chunk: string }; result?: unknown; error?: { message: string } };
    if (msg.method === "HeapProfiler.addHeapSnapshotChunk") {
      chunks.push(msg.params!.chunk);
      lastChunkAt = performance.now();
      return;
    }
    const waiting = msg.id === undefined ? undefined : answers.get(msg.id);
    if (!waiting) return; // events: none are enabled, none are wanted
    answers.delete(msg.id!);
    if (msg.error) waiting.reject(new Error(`inspector: ${msg.error.message}`));
    else waiting.resolve(msg.result);
  };
  ws.onclose = () => {
    for (const w of answers.values()) w.reject(new Error("inspector: connection closed"));
    answers.clear();
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`inspector: cannot connect to ${target.webSocketDebuggerUrl}`));
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}, timeoutMs = ANSWER_TIMEOUT_MS): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        answers.delete(id);
        reject(new Error(`inspector: no answer to ${method} within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      answers.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    async heapAfterGc(poke) {
      const collected = call("HeapProfiler.collectGarbage");
      // Poke until the collection has run (one request is usually enough).
      let done = false;
      void collected.then(
        () => (done = true),
        () => (done = true),
      );
      while (!done) {
        await poke().catch(() => undefined);
        await Promise.race([collected.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
      }
      await collected;
      const u = await call<HeapUsage>("Runtime.getHeapUsage");
      return { usedSize: u.usedSize, totalSize: u.totalSize };
    },
    async largestKinds(poke, top) {
      chunks.length = 0;
      const taken = call("HeapProfiler.takeHeapSnapshot");
      let answered = false;
      void taken.then(
        () => (answered = true),
        () => (answered = true),
      );
      // The chunks come while the isolate works; done once answered and none came for a second.
      while (!answered || chunks.length === 0 || performance.now() - lastChunkAt < 1000) {
        await poke().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
      await taken;
      return summarize(JSON.parse(chunks.join("")) as HeapSnapshot, top);
    },
    async cpuProfile(during, top, maxMs) {
      await call("Profiler.enable");
      await call("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
      await call("Profiler.start");
      const running = during().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([running, new Promise((r) => (timer = setTimeout(r, maxMs)))]);
      clearTimeout(timer);
      // A busy isolate answers late: the profile is then missing, not the run.
      const stopped = await call<{ profile: CpuProfile }>("Profiler.stop", {}, 180_000).catch((err: Error) => err);
      const outcome = await running;
      await call("Profiler.disable").catch(() => undefined);
      if ("error" in outcome) throw outcome.error;
      if (stopped instanceof Error) return { result: outcome.value, functions: [], sampledMs: 0, error: stopped.message };
      return { result: outcome.value, ...summarizeProfile(stopped.profile, top) };
    },
    close: () => ws.close(),
  };
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes summed by kind ("object:Foo", "string", "closure:bar"…), largest first. */
function summarize(snap: HeapSnapshot, top: number): HeapKind[] {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [type, name, size] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size")];
  const byKind = new Map<string, HeapKind>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const t = types[snap.nodes[i + type]!]!;
    // Strings and code are summed whole: their "names" are their contents.
    const kind = t === "object" || t === "closure" ? `${t}:${snap.strings[snap.nodes[i + name]!]!.slice(0, 60)}` : t;
    const k = byKind.get(kind) ?? { kind, count: 0, bytes: 0 };
    k.count++;
    k.bytes += snap.nodes[i + size]!;
    byKind.set(kind, k);
  }
  return [...byKind.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top);
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** The profiler's sampling interval (µs). */
const SAMPLING_INTERVAL_US = 1000;
/** A sample is worth at most this many intervals; the rest of a longer delta is `NOT_SAMPLED`. */
const MAX_SAMPLE_INTERVALS = 10;
/** What a profile summary calls the time between two samples beyond `MAX_SAMPLE_INTERVALS`. */
export const NOT_SAMPLED = "(not sampled)";

/**
 * Self time by function (samples × their time deltas), largest first. workerd takes no sample
 * while the isolate runs no JavaScript (it waits, say for the allocation alarm, or workerd does
 * its own work, such as storage commits), so the first sample after that comes with the whole
 * pause as its delta: charged to whatever ran then, it made one function of an alarm look like
 * a fifth of a launch's time. A sample counts for at most `MAX_SAMPLE_INTERVALS` intervals; the
 * rest of its delta goes to `NOT_SAMPLED`.
 */
export function summarizeProfile(profile: CpuProfile, top: number): { functions: ProfiledFunction[]; sampledMs: number } {
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFn = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = frameOf.get(id)!;
    const deltaMs = (profile.timeDeltas[i] ?? 0) / 1000;
    const ms = Math.min(deltaMs, (MAX_SAMPLE_INTERVALS * SAMPLING_INTERVAL_US) / 1000);
    const fn = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop() || ""}${f.url ? `:${f.lineNumber + 1}` : ""}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
    if (deltaMs > ms) byFn.set(NOT_SAMPLED, (byFn.get(NOT_SAMPLED) ?? 0) + deltaMs - ms);
    total += deltaMs;
  });
  const functions = [...byFn.entries()].map(([fn, selfMs]) => ({ fn, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
  return { functions: functions.slice(0, top), sampledMs: total };
}
