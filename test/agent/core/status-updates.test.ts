/// <reference types="node" />
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MasterError } from "../../../agent-bun/src/core/master-client.ts";
import { newUpdateUuid, StatusUpdateManager } from "../../../agent-bun/src/core/status-updates.ts";
import { FileCheckpointStore, MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import { FakeClock, FakeMaster, GatedCheckpointStore, settle } from "../fakes.ts";

function setup(store = new StateStore(new MemoryCheckpointStore())) {
  store.state.agent_id ??= "agent-1";
  const clock = new FakeClock();
  const master = new FakeMaster();
  const acked: string[] = [];
  const mgr = new StatusUpdateManager({ store, client: master, clock, log: silentLogger, onAcknowledged: (u) => acked.push(u.status.uuid) });
  mgr.setOnline();
  return { store, clock, master, mgr, acked };
}

const running = (id: string) => ({ task_id: { value: id }, state: "TASK_RUNNING" as const, source: "SOURCE_EXECUTOR" as const });

describe("status update manager", () => {
  it("gives each update a fresh 16-byte base64 uuid, a timestamp and the agent id", () => {
    const { mgr, clock } = setup();
    const a = mgr.enqueue("fw", running("t1"));
    const b = mgr.enqueue("fw", running("t1"));
    expect(Buffer.from(a.status.uuid, "base64")).toHaveLength(16);
    expect(Buffer.from(a.status.uuid, "base64").toString("base64")).toBe(a.status.uuid);
    expect(a.status.uuid).not.toBe(b.status.uuid);
    expect(a.status.timestamp).toBe(clock.now() / 1000);
    expect(a.status.agent_id).toEqual({ value: "agent-1" });
    expect(new Set(Array.from({ length: 100 }, newUpdateUuid)).size).toBe(100);
  });

  it("checkpoints an update before sending it", async () => {
    const disk = new MemoryCheckpointStore();
    const { mgr, master } = setup(new StateStore(disk));
    let onDiskWhenSent: string[] = [];
    master.onStatus = () => {
      onDiskWhenSent = disk.load()!.updates.map((u) => u.status.uuid);
      return { acknowledged: [] };
    };
    const u = mgr.enqueue("fw", running("t1"));
    await mgr.flush();
    expect(onDiskWhenSent).toEqual([u.status.uuid]);
  });

  it("never sends an update before the write holding it is complete", async () => {
    const disk = new GatedCheckpointStore();
    const { mgr, master } = setup(new StateStore(disk));
    const onDiskWhenSent: string[][] = [];
    master.onStatus = (req) => {
      onDiskWhenSent.push(disk.load()?.updates.map((u) => u.status.uuid) ?? []);
      for (const u of req.updates) expect(onDiskWhenSent.at(-1)).toContain(u.status.uuid);
      return { acknowledged: [] };
    };
    mgr.start();
    const a = mgr.enqueue("fw", running("t1"));
    await settle();
    expect(disk.pending).toHaveLength(1);
    expect(master.statuses).toHaveLength(0);
    // Created while that write is in flight: not in it, so not sent with it.
    const b = mgr.enqueue("fw", { ...running("t1"), state: "TASK_FINISHED" });
    disk.release();
    await settle();
    expect(master.statuses.map((r) => r.updates.map((u) => u.status.uuid))).toEqual([[a.status.uuid]]);
    expect(disk.pending).toHaveLength(1);
    disk.release();
    await settle();
    expect(master.statuses.map((r) => r.updates.map((u) => u.status.uuid))).toEqual([[a.status.uuid], [b.status.uuid]]);
    expect(onDiskWhenSent).toEqual([[a.status.uuid], [a.status.uuid, b.status.uuid]]);
    await mgr.stop();
  });

  it("sends the updates created in one turn in one request, after one write", async () => {
    const disk = new GatedCheckpointStore();
    const { mgr, master } = setup(new StateStore(disk));
    mgr.start();
    await settle();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(mgr.enqueue("fw", { ...running(`t${i}`), state: "TASK_STARTING" }).status.uuid);
      await Promise.resolve(); // as a task's launch does between STARTING and RUNNING
      ids.push(mgr.enqueue("fw", running(`t${i}`)).status.uuid);
    }
    await settle();
    expect(disk.writes).toBe(1);
    disk.release();
    await settle();
    expect(master.statuses).toHaveLength(1);
    expect(master.statuses[0]!.updates.map((u) => u.status.uuid)).toEqual(ids);
    await mgr.stop();
  });

  it("sends all pending updates in order and retries with backoff until acknowledged", async () => {
    const { mgr, master, clock, store, acked } = setup();
    let failures = 2;
    master.onStatus = () => {
      if (failures-- > 0) throw new MasterError("HTTP 503", 503);
      return { acknowledged: [] };
    };
    const first = mgr.enqueue("fw", running("t1"));
    const second = mgr.enqueue("fw", { ...running("t1"), state: "TASK_FINISHED" });
    mgr.start();
    await settle();
    for (let i = 0; i < 6; i++) await clock.advance(1_000 * 2 ** i);
    // Two failures, then successful sends that are not yet acknowledged: still pending, still retried.
    expect(master.statuses.length).toBeGreaterThanOrEqual(4);
    for (const req of master.statuses) {
      expect(req.agent_id).toEqual({ value: "agent-1" });
      expect(req.updates.map((u) => u.status.uuid)).toEqual([first.status.uuid, second.status.uuid]);
    }
    const retryDelays = clock.sleeps.filter((ms) => ms < 30_000);
    expect(retryDelays.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(mgr.pending()).toHaveLength(2);

    // A poll reports the first acknowledged: it stops being sent and is confirmed in the next poll.
    mgr.acknowledge([first.status.uuid]);
    expect(acked).toEqual([first.status.uuid]);
    expect(mgr.pending().map((u) => u.status.uuid)).toEqual([second.status.uuid]);
    expect(mgr.ackedForPoll()).toEqual([first.status.uuid]);
    const before = master.statuses.length;
    await clock.advance(30_000);
    expect(master.statuses.length).toBeGreaterThan(before);
    expect(master.statuses.at(-1)!.updates.map((u) => u.status.uuid)).toEqual([second.status.uuid]);

    // The status answer acknowledges the second one.
    master.onStatus = (req) => ({ acknowledged: req.updates.map((u) => u.status.uuid) });
    await clock.advance(30_000);
    expect(mgr.pending()).toHaveLength(0);
    expect(store.state.acked_uuids).toEqual([first.status.uuid, second.status.uuid]);
    mgr.confirmReported([first.status.uuid, second.status.uuid]);
    expect(mgr.ackedForPoll()).toEqual([]);

    // Nothing pending: nothing more is sent.
    const sent = master.statuses.length;
    await clock.advance(60_000);
    expect(master.statuses.length).toBe(sent);
    await mgr.stop();
  });

  it("sends a new update at once on its own, and re-sends everything pending on the retry schedule", async () => {
    const { mgr, master, clock } = setup();
    mgr.start();
    const a = mgr.enqueue("fw", running("t1"));
    await settle();
    const b = mgr.enqueue("fw", running("t2"));
    await settle();
    const uuidsOf = (i: number) => master.statuses[i]!.updates.map((u) => u.status.uuid);
    expect(master.statuses).toHaveLength(2);
    expect(uuidsOf(0)).toEqual([a.status.uuid]);
    expect(uuidsOf(1)).toEqual([b.status.uuid]);
    await clock.advance(1_000);
    expect(master.statuses).toHaveLength(3);
    expect(uuidsOf(2)).toEqual([a.status.uuid, b.status.uuid]);
    await clock.advance(1_000);
    expect(master.statuses).toHaveLength(3); // next retry after 2 s
    await clock.advance(1_000);
    expect(master.statuses).toHaveLength(4);
    // A re-registration sends everything pending at once.
    mgr.setOnline();
    await settle();
    expect(master.statuses).toHaveLength(5);
    expect(uuidsOf(4)).toEqual([a.status.uuid, b.status.uuid]);
    await mgr.stop();
  });

  it("waits for a registration before sending, then sends at once when kicked", async () => {
    const store = new StateStore(new MemoryCheckpointStore());
    const { mgr, master } = setup(store);
    mgr.setOffline();
    mgr.start();
    mgr.enqueue("fw", running("t1"));
    await settle();
    expect(await mgr.flush()).toBe(true);
    expect(master.statuses).toHaveLength(0);
    store.state.agent_id = "agent-9";
    mgr.setOnline();
    await settle();
    expect(master.statuses).toHaveLength(1);
    expect(master.statuses[0]!.agent_id).toEqual({ value: "agent-9" });
    await mgr.stop();
  });

  it("survives an agent restart: pending and acknowledged-but-unreported uuids come back from disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-su-"));
    const first = setup(new StateStore(new FileCheckpointStore(dir)));
    first.master.onStatus = () => {
      throw new MasterError("connection refused");
    };
    const lost = first.mgr.enqueue("fw", running("t1"));
    const done = first.mgr.enqueue("fw", running("t2"));
    expect(await first.mgr.flush()).toBe(false);
    first.mgr.acknowledge([done.status.uuid]);
    await first.store.flush(); // as the next poll does before reporting it in acked_uuids

    // A new process reads the same work dir.
    const second = setup(new StateStore(new FileCheckpointStore(dir)));
    expect(second.mgr.pending().map((u) => u.status.uuid)).toEqual([lost.status.uuid]);
    expect(second.mgr.ackedForPoll()).toEqual([done.status.uuid]);
    second.master.onStatus = (req) => ({ acknowledged: req.updates.map((u) => u.status.uuid) });
    expect(await second.mgr.flush()).toBe(true);
    expect(second.master.statuses[0]!.updates[0]!.status).toEqual(lost.status);
    expect(second.mgr.pending()).toHaveLength(0);
    await second.store.flush();
    expect(new StateStore(new FileCheckpointStore(dir)).state.updates).toEqual([]);
  });
});
