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
  close(): void;
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
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: { message: string } };
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
  const call = <T>(method: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        answers.delete(id);
        reject(new Error(`inspector: no answer to ${method} within ${ANSWER_TIMEOUT_MS / 1000}s`));
      }, ANSWER_TIMEOUT_MS);
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
      ws.send(JSON.stringify({ id, method, params: {} }));
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
    close: () => ws.close(),
  };
}
