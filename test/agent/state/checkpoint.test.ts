/// <reference types="node" />
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileCheckpointStore, StateStore, VolatileCheckpointStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { GatedCheckpointStore, settle } from "../fakes.ts";

/** Tracks whether a promise has settled. */
function track(p: Promise<unknown>) {
  const t = { done: false, error: undefined as unknown };
  p.then(
    () => {
      t.done = true;
    },
    (e) => {
      t.done = true;
      t.error = e;
    },
  );
  return t;
}

describe("state store (group commit)", () => {
  it("resolves a flush only once the write holding the change is complete", async () => {
    const disk = new GatedCheckpointStore();
    const store = new StateStore(disk);
    store.state.last_seq = 7;
    store.changed();
    const f = track(store.flush());
    await settle();
    expect(disk.pending).toHaveLength(1);
    expect(f.done).toBe(false);
    expect(disk.load()).toBeUndefined();
    disk.release();
    await settle();
    expect(f.done).toBe(true);
    expect(disk.load()!.last_seq).toBe(7);
    expect(store.clean).toBe(true);
    // Nothing changed since: nothing to write.
    await store.flush();
    expect(disk.writes).toBe(1);
  });

  it("covers every change of a turn with one write, and changes made during a write with the next", async () => {
    const disk = new GatedCheckpointStore();
    const store = new StateStore(disk);
    for (let i = 1; i <= 100; i++) {
      store.state.last_seq = i;
      store.changed();
    }
    const first = track(store.flush());
    const again = track(store.flush());
    await settle();
    expect(disk.writes).toBe(1);
    // Changed while the first write is in flight: the first flush does not wait for it.
    store.state.last_seq = 101;
    store.changed();
    const later = [track(store.flush()), track(store.flush())];
    disk.release();
    await settle();
    expect(first.done && again.done).toBe(true);
    expect(later.some((t) => t.done)).toBe(false);
    expect(disk.load()!.last_seq).toBe(100);
    expect(disk.writes).toBe(2); // one write for both later flushes
    disk.release();
    await settle();
    expect(later.every((t) => t.done)).toBe(true);
    expect(disk.load()!.last_seq).toBe(101);
  });

  it("rejects the flushes a failed write covered; a later flush writes the change", async () => {
    const disk = new GatedCheckpointStore();
    const store = new StateStore(disk);
    store.state.last_seq = 1;
    store.changed();
    const f = track(store.flush());
    await settle();
    disk.release(new Error("ENOSPC"));
    await settle();
    expect(f.error).toBeInstanceOf(Error);
    expect(store.clean).toBe(false);
    const g = track(store.flush());
    await settle();
    disk.release();
    await settle();
    expect(g).toEqual({ done: true, error: undefined });
    expect(disk.load()!.last_seq).toBe(1);
  });

  it("writes the file atomically and reads it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-cp-"));
    const store = new StateStore(new FileCheckpointStore(dir));
    store.state.agent_id = "a1";
    store.state.last_seq = 3;
    store.changed();
    await store.flush();
    expect(JSON.parse(readFileSync(join(dir, "meta", "agent-state.json"), "utf8"))).toMatchObject({ agent_id: "a1", last_seq: 3 });
    expect(new StateStore(new FileCheckpointStore(dir)).state).toMatchObject({ agent_id: "a1", last_seq: 3 });
  });

  it("has nothing to wait for with a volatile store", async () => {
    const store = new StateStore(new VolatileCheckpointStore());
    store.changed();
    expect(store.clean).toBe(true);
    await store.flush();
  });
});

describe("checkpoint of an earlier agent version", () => {
  it("loads tasks keyed with the old NUL-joined keys under taskKey, records and their order kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-ckpt-old-"));
    mkdirSync(join(dir, "meta"));
    const running = { framework_id: "fw1", task_id: "web/1", state: "TASK_RUNNING", pid: 4242, sandbox: "/s/web" };
    const done = { framework_id: "fw2", task_id: "job", state: "TASK_FINISHED" };
    writeFileSync(
      join(dir, "meta", "agent-state.json"),
      JSON.stringify({
        agent_id: "agent-7",
        last_seq: 12,
        tasks: { "fw1\u0000web/1": running, "fw2\u0000job": done },
        updates: [],
        acked_uuids: [],
      }),
    );
    const loaded = new StateStore(new FileCheckpointStore(dir)).state;
    expect(Object.keys(loaded.tasks)).toEqual([taskKey("fw1", "web/1"), taskKey("fw2", "job")]);
    expect(loaded.tasks[taskKey("fw1", "web/1")]).toEqual(running);
    expect(loaded.tasks[taskKey("fw2", "job")]).toEqual(done);
    expect(loaded).toMatchObject({ agent_id: "agent-7", last_seq: 12 });
  });
});
