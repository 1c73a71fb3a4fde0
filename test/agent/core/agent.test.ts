/// <reference types="node" />
import { afterEach, describe, expect, it } from "vitest";
import { Agent, type AgentInfo } from "../../../agent-bun/src/core/agent.ts";
import { MasterError } from "../../../agent-bun/src/core/master-client.ts";
import { RESTART_LOST_MESSAGE } from "../../../agent-bun/src/core/task-manager.ts";
import { type CheckpointStore, MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { AgentCommand, FileAnswer } from "../../../schemas/agent.ts";
import type { TaskInfo } from "../../../schemas/mesos.ts";
import { taskKey } from "../../../sdk/src/ids.ts";
import { FakeClock, FakeContainerizer, FakeMaster, GatedCheckpointStore, settle } from "../fakes.ts";

const task = (id: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "agent-1" },
  resources: [{ name: "mem", type: "SCALAR", scalar: { value: 64 } }],
  command: { value: "true" },
  ...extra,
});
const launch = (seq: number, t: TaskInfo, fw = "fw1"): AgentCommand => ({ seq, type: "LAUNCH", framework_id: { value: fw }, task: t });
const kill = (seq: number, id: string, graceNs?: number, fw = "fw1"): AgentCommand => ({
  seq,
  type: "KILL",
  framework_id: { value: fw },
  task_id: { value: id },
  ...(graceNs !== undefined ? { kill_policy: { grace_period: { nanoseconds: graceNs } } } : {}),
});

const running: Agent[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) a.stop();
  await settle();
});

function setup(disk: CheckpointStore = new MemoryCheckpointStore(), extraInfo: Partial<AgentInfo> = {}) {
  const store = new StateStore(disk);
  const master = new FakeMaster();
  const containerizer = new FakeContainerizer();
  const clock = new FakeClock();
  const agent = new Agent({
    client: master,
    store,
    containerizer,
    clock,
    log: silentLogger,
    workDir: "/srv/agent",
    pollWaitSeconds: 25,
    info: { hostname: "h1", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }], attributes: [], ...extraInfo },
  });
  running.push(agent);
  const done = agent.run();
  return { store, disk, master, containerizer, clock, agent, done };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await settle(2);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const statesOf = (master: FakeMaster, id: string) =>
  master
    .sentUpdates()
    .filter((u) => u.status.task_id.value === id)
    .map((u) => u.status.state)
    .filter((s, i, all) => all.indexOf(s) === i);

describe("agent core (fakes)", () => {
  it("registers, launches a task once, checkpoints it before acknowledging its seq", async () => {
    const { master, containerizer, disk, agent } = setup();
    await until(() => master.polls.length === 1, "first poll");
    expect(master.registers[0]).toMatchObject({ hostname: "h1", port: 5051, tasks: [] });
    expect(master.registers[0]!.agent_id).toBeUndefined();
    expect(master.polls[0]).toMatchObject({ agent_id: { value: "agent-1" }, ack_seq: 0, wait_seconds: 25 });

    master.answerPoll({ commands: [launch(2, task("t2")), launch(1, task("t1"))] });
    await until(() => master.polls.length === 2, "second poll");
    expect(master.polls[1]!.ack_seq).toBe(2);
    expect(Object.keys(disk.load()!.tasks).sort()).toEqual([taskKey("fw1", "t1"), taskKey("fw1", "t2")]);

    // Redelivered (same seqs) and a new seq for a known task id: both ignored.
    master.answerPoll({ commands: [launch(1, task("t1")), launch(2, task("t2")), launch(3, task("t1"))] });
    await until(() => master.polls.length === 3, "third poll");
    expect(master.polls[2]!.ack_seq).toBe(3);
    await until(() => containerizer.launched.length === 2, "launches");
    await settle();
    expect(containerizer.launched.map((s) => s.task.task_id.value).sort()).toEqual(["t1", "t2"]);
    expect(containerizer.launched[0]!.sandbox).toBe(`/srv/agent/frameworks/fw1/tasks/${containerizer.launched[0]!.task.task_id.value}`);
    expect(containerizer.launched[0]!.agentId).toBe("agent-1");

    containerizer.exit("t1", { code: 0, stdoutTail: Buffer.from("hello\n").toString("base64") });
    containerizer.exit("t2", { code: 3 });
    await agent.tasks.idle();
    await until(() => statesOf(master, "t2").includes("TASK_FAILED"), "t2 failed");
    expect(statesOf(master, "t1")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
    const finished = master.sentUpdates().find((u) => u.status.state === "TASK_FINISHED")!;
    expect(finished.framework_id).toEqual({ value: "fw1" });
    expect(finished.status).toMatchObject({ message: "Command exited with status 0", source: "SOURCE_EXECUTOR", agent_id: { value: "agent-1" } });
    expect(Buffer.from(finished.status.data!, "base64").toString()).toBe("hello\n");
    const failed = master.sentUpdates().find((u) => u.status.state === "TASK_FAILED")!;
    expect(failed.status.message).toBe("Command exited with status 3");
  });

  it("kills with the command's grace period, ignores unknown kills, shuts frameworks down", async () => {
    const { master, containerizer, agent, store } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({
      commands: [launch(1, task("a")), launch(2, task("b", { kill_policy: { grace_period: { nanoseconds: 7e9 } } })), launch(3, task("c"), "fw2")],
    });
    await until(() => containerizer.launched.length === 3, "launches");
    master.answerPoll({ commands: [kill(4, "a", 1.5e9), kill(5, "nope")] });
    await until(() => statesOf(master, "a").includes("TASK_KILLED"), "a killed");
    expect(containerizer.kills).toEqual([{ taskId: "a", graceMs: 1500 }]);
    await until(() => master.polls.length >= 3, "poll after kill");
    expect(master.polls.at(-1)!.ack_seq).toBe(5);

    master.answerPoll({ commands: [{ seq: 6, type: "SHUTDOWN_FRAMEWORK", framework_id: { value: "fw1" } }] });
    await until(() => statesOf(master, "b").includes("TASK_KILLED"), "b killed");
    expect(containerizer.kills).toEqual([
      { taskId: "a", graceMs: 1500 },
      { taskId: "b", graceMs: 7000 },
    ]);
    expect(statesOf(master, "c")).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    expect(store.state.tasks[taskKey("fw2", "c")]!.state).toBe("TASK_RUNNING");
    void agent;
  });

  it("sends TASK_KILLING before killing only for frameworks with the TASK_KILLING_STATE capability", async () => {
    const { master, containerizer } = setup();
    await until(() => master.polls.length === 1, "first poll");
    const info = (caps: string[]) => ({ user: "u", name: "fw", capabilities: caps.map((type) => ({ type })) });
    master.answerPoll({
      commands: [
        { seq: 1, type: "LAUNCH", framework_id: { value: "fw1" }, task: task("k"), framework_info: info(["TASK_KILLING_STATE"]) },
        { seq: 2, type: "LAUNCH", framework_id: { value: "fw2" }, task: task("p"), framework_info: info(["PARTITION_AWARE"]) },
      ],
    });
    await until(() => statesOf(master, "k").includes("TASK_RUNNING") && statesOf(master, "p").includes("TASK_RUNNING"), "both running");
    master.answerPoll({ commands: [kill(3, "k"), kill(4, "p", undefined, "fw2")] });
    await until(() => statesOf(master, "k").includes("TASK_KILLED") && statesOf(master, "p").includes("TASK_KILLED"), "both killed");
    expect(statesOf(master, "k")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]);
    expect(statesOf(master, "p")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLED"]);
    expect(containerizer.kills.map((k) => k.taskId).sort()).toEqual(["k", "p"]);
  });

  it("fails Docker and command-less tasks with a clear message from the agent", async () => {
    const { master, containerizer } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({
      commands: [launch(1, task("d", { container: { type: "DOCKER", docker: { image: "nginx" } } })), launch(2, task("x", { command: undefined }))],
    });
    await until(() => master.sentUpdates().length === 2, "two updates");
    const [d, x] = master.sentUpdates();
    expect(d!.status).toMatchObject({ state: "TASK_FAILED", source: "SOURCE_AGENT" });
    expect(d!.status.message).toMatch(/Docker/);
    expect(x!.status).toMatchObject({ state: "TASK_FAILED", source: "SOURCE_AGENT" });
    expect(x!.status.message).toMatch(/no command/);
    expect(containerizer.launched).toHaveLength(0);
  });

  it("reports memory-limit kills with REASON_CONTAINER_LIMITATION_MEMORY", async () => {
    const { master, containerizer } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("big"))] });
    await until(() => containerizer.launched.length === 1, "launch");
    containerizer.exit("big", { code: null, signal: "SIGKILL", oomKilled: true });
    await until(() => statesOf(master, "big").includes("TASK_FAILED"), "failed");
    const u = master.sentUpdates().find((x) => x.status.state === "TASK_FAILED")!;
    expect(u.status.reason).toBe("REASON_CONTAINER_LIMITATION_MEMORY");
    expect(u.status.message).toMatch(/Memory limit exceeded.*64 MB/);
  });

  it("confirms acknowledged uuids in the next poll and then forgets the finished task", async () => {
    const { master, containerizer, store } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1"))] });
    await until(() => containerizer.launched.length === 1, "launch");
    containerizer.exit("t1");
    await until(() => statesOf(master, "t1").includes("TASK_FINISHED"), "finished");
    const uuids = [...new Set(master.sentUpdates().map((u) => u.status.uuid))];
    expect(uuids).toHaveLength(3);
    master.answerPoll({ acks: uuids.map((uuid) => ({ task_id: { value: "t1" }, uuid })) });
    await until(() => master.polls.length === 3, "poll after acks");
    expect(master.polls[2]!.acked_uuids.sort()).toEqual([...uuids].sort());
    expect(store.state.updates).toEqual([]);
    expect(store.state.tasks).toEqual({});
    master.answerPoll({});
    await until(() => master.polls.length === 4, "next poll");
    expect(master.polls[3]!.acked_uuids).toEqual([]);
  });

  it("names the master instance in its polls; when a new instance answers, sends every unacknowledged update again at once", async () => {
    const { master, containerizer } = setup();
    await until(() => master.polls.length === 1, "first poll");
    expect(master.polls[0]!.master_id).toBe("m"); // from the registration's master_info
    master.answerPoll({ commands: [launch(1, task("t1"))], master_id: "m" });
    await until(() => containerizer.launched.length === 1, "launch");
    await until(() => statesOf(master, "t1").includes("TASK_RUNNING"), "running sent");
    const sentBefore = master.sentUpdates().length;

    // Same instance: nothing is re-sent before the retry delay.
    master.answerPoll({ master_id: "m" });
    await until(() => master.polls.length === 3, "third poll");
    await settle(5);
    expect(master.sentUpdates()).toHaveLength(sentBefore);

    // A restarted master (new id): STARTING and RUNNING go again, at once, in order.
    master.answerPoll({ master_id: "m2" });
    await until(() => master.sentUpdates().length === sentBefore * 2, "updates re-sent");
    expect(
      master
        .sentUpdates()
        .slice(sentBefore)
        .map((u) => u.status.state),
    ).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    await until(() => master.polls.length === 4, "fourth poll");
    expect(master.polls[3]!.master_id).toBe("m2");
  });

  it("rides through poll failures with backoff and registers again when the master forgot it", async () => {
    const { master, containerizer, clock, store } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1"))] });
    await until(() => containerizer.launched.length === 1, "launch");
    master.answerPoll(new MasterError("ECONNREFUSED"));
    master.answerPoll(new MasterError("HTTP 502", 502));
    await until(() => clock.sleeps.includes(500), "first backoff");
    await clock.advance(500);
    await until(() => clock.sleeps.includes(1000), "second backoff");
    await clock.advance(1000);
    await until(() => master.polls.length === 4, "polling again");
    expect(master.polls[3]!.ack_seq).toBe(1);

    master.onRegister = () => ({ agent_id: { value: "agent-2" }, agent_token: "token-2", master_info: { id: "m2", ip: 0, port: 1 }, poll_hold_seconds: 25 });
    master.answerPoll({ reregister: true });
    await until(() => master.registers.length === 2, "re-registration");
    expect(master.registers[1]!.agent_id).toEqual({ value: "agent-1" }); // keeps its id; the master assigns another
    expect(master.registers[1]!.tasks).toEqual([{ framework_id: { value: "fw1" }, task_id: { value: "t1" }, state: "TASK_RUNNING" }]);
    await until(() => master.polls.length === 5, "poll as agent-2");
    expect(master.polls[4]).toMatchObject({ agent_id: { value: "agent-2" }, ack_seq: 0 });
    expect(store.state.agent_id).toBe("agent-2");

    master.answerPoll(new MasterError("HTTP 404", 404));
    master.onRegister = () => ({ agent_id: { value: "agent-3" }, agent_token: "token-3", master_info: { id: "m3", ip: 0, port: 1 }, poll_hold_seconds: 25 });
    await until(() => master.registers.length === 3, "re-registration after 404");
    expect(master.registers[2]!.agent_id).toBeUndefined();
  });

  it("stops for good (fatal reason set) when the master answers 410: marked gone, while a 403 is retried", async () => {
    const { master, clock, agent, done } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll(new MasterError("HTTP 403: machine 'h' is DOWN for maintenance", 403));
    await until(() => clock.sleeps.includes(500), "backoff after the 403");
    await clock.advance(500);
    await until(() => master.polls.length === 2, "polling again after the 403");
    expect(agent.fatal).toBeUndefined();
    master.answerPoll(new MasterError("HTTP 410: agent_id: agent 'agent-1' was marked gone by an operator", 410));
    await done;
    expect(agent.fatal).toMatch(/marked this agent gone.*empty work directory/);
    expect(master.polls).toHaveLength(2); // no poll after the 410
  });

  it("presents its agent token on polls and status updates, and re-registers with it after a 401", async () => {
    const { master, containerizer, clock, store } = setup();
    await until(() => master.polls.length === 1, "first poll");
    expect(store.state.agent_token).toBe("token-1");
    expect(master.polls[0]).toMatchObject({ agent_id: { value: "agent-1" }, agent_token: "token-1" });
    master.answerPoll({ commands: [launch(1, task("t1"))] });
    await until(() => containerizer.launched.length === 1 && master.statuses.length > 0, "launch and a status update");
    expect(master.statuses.every((s) => s.agent_token === "token-1")).toBe(true);

    master.onRegister = (req) => ({
      agent_id: req.agent_id ?? { value: "agent-1" },
      agent_token: "token-2",
      master_info: { id: "m", ip: 0, port: 1 },
      poll_hold_seconds: 25,
    });
    const sleepsBefore = clock.sleeps.length;
    master.answerPoll(new MasterError("HTTP 401: agent_token", 401));
    await until(() => clock.sleeps.slice(sleepsBefore).includes(500), "backoff after the 401");
    await clock.advance(500);
    await until(() => master.registers.length === 2, "re-registration");
    expect(master.registers[1]).toMatchObject({ agent_id: { value: "agent-1" }, agent_token: "token-1" });
    await until(() => master.polls.length >= 3, "polling with the new token");
    expect(master.polls.at(-1)).toMatchObject({ agent_id: { value: "agent-1" }, agent_token: "token-2" });
    expect(store.state.agent_token).toBe("token-2");
  });

  it("reports a seq, an acknowledgement or an update only once what it stands for is on disk", async () => {
    const disk = new GatedCheckpointStore();
    const { master, containerizer } = setup(disk);
    // Checked at the moment each request goes out, against the last completed write.
    const violations: string[] = [];
    const realPoll = master.poll.bind(master);
    master.poll = (req, signal) => {
      const d = disk.load();
      if (req.ack_seq > (d?.last_seq ?? 0)) violations.push(`ack_seq ${req.ack_seq} > last_seq on disk ${d?.last_seq}`);
      for (const uuid of req.acked_uuids) {
        if (d?.updates.some((u) => u.status.uuid === uuid)) violations.push(`acked uuid ${uuid} still pending on disk`);
      }
      return realPoll(req, signal);
    };
    master.onStatus = (req) => {
      const onDisk = new Set(disk.load()?.updates.map((u) => u.status.uuid));
      for (const u of req.updates) if (!onDisk.has(u.status.uuid)) violations.push(`update ${u.status.state} sent before it was on disk`);
      return { acknowledged: req.updates.filter((u) => u.status.state === "TASK_FINISHED").map((u) => u.status.uuid) };
    };
    // Completes one pending write at a time, letting the agent run in between.
    const pump = async (rounds = 20) => {
      for (let i = 0; i < rounds; i++) {
        disk.release();
        await settle(1);
      }
    };

    await pump();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1")), launch(2, task("t2")), launch(3, task("t3"))] });
    await settle();
    // The launches' effect is not on disk yet: no poll reports seq 3, no update is sent.
    expect(master.polls).toHaveLength(1);
    expect(master.statuses).toHaveLength(0);
    expect(disk.pending.length).toBeGreaterThan(0);
    await pump();
    await until(() => master.polls.length === 2, "second poll");
    expect(master.polls[1]!.ack_seq).toBe(3);
    await until(() => containerizer.launched.length === 3, "launches");
    await pump();
    for (const id of ["t1", "t2", "t3"]) containerizer.exit(id);
    await pump();
    await until(() => ["t1", "t2", "t3"].every((id) => statesOf(master, id).includes("TASK_FINISHED")), "finished");
    await pump();
    master.answerPoll({
      acks: master
        .sentUpdates()
        .filter((u) => u.status.state !== "TASK_FINISHED")
        .map((u) => ({ task_id: u.status.task_id, uuid: u.status.uuid })),
    });
    await settle();
    await pump();
    await until(() => master.polls.length === 3, "third poll");
    expect(master.polls[2]!.acked_uuids).toHaveLength(9);
    expect(violations).toEqual([]);
    // Each task's updates went out in order.
    for (const id of ["t1", "t2", "t3"]) expect(statesOf(master, id)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]);
  });

  it("on a full disk (every write fails ENOSPC) reports no seq and sends no update; once writes succeed again, all go out", async () => {
    const disk = new GatedCheckpointStore();
    const { master, clock } = setup(disk);
    const enospc = () => Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    const pump = async (error?: Error, rounds = 20) => {
      for (let i = 0; i < rounds; i++) {
        disk.release(error);
        await settle(1);
      }
    };
    await pump();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1")), launch(2, task("t2"))] });
    await settle();
    for (let round = 0; round < 5; round++) {
      await pump(enospc());
      await clock.advance(10_000);
    }
    // The agent kept trying; nothing that is not on disk was told to the master.
    expect(disk.writes).toBeGreaterThan(3);
    expect(disk.load()?.last_seq ?? 0).toBe(0);
    expect(master.polls).toHaveLength(1);
    expect(master.statuses).toHaveLength(0);
    // Space returns: the pending changes are written, then reported.
    for (let round = 0; round < 5 && master.polls.length < 2; round++) {
      await pump();
      await clock.advance(10_000);
    }
    await until(() => master.polls.length === 2, "second poll");
    expect(master.polls[1]!.ack_seq).toBe(2);
    expect(disk.load()!.last_seq).toBe(2);
    await pump();
    await until(() => ["t1", "t2"].every((id) => statesOf(master, id).includes("TASK_RUNNING")), "updates sent");
  });

  it("answers a file request its poll answer carried malformed with a 400 to the master, and still applies the rest of the answer", async () => {
    const { master, containerizer } = setup();
    const files: FileAnswer[] = [];
    Object.assign(master, {
      files: async (a: FileAnswer) => {
        files.push(a);
        return { accepted: true };
      },
    });
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({
      commands: [launch(1, task("t1"))],
      refused_file_requests: [{ request_id: "big", message: "file_requests[0].offset: expected an integer from 0 to 9007199254740991" }],
    });
    await until(() => files.length === 1 && containerizer.launched.length === 1, "the refusal sent and the task launched");
    expect(files[0]).toEqual({
      agent_id: { value: "agent-1" },
      agent_token: "token-1",
      request_id: "big",
      error: { status: 400, message: "the agent cannot take this file request: file_requests[0].offset: expected an integer from 0 to 9007199254740991" },
    });
  });

  it("retries registration with backoff 0.5 s doubling", async () => {
    const master0 = new FakeMaster();
    let fails = 4;
    const realRegister = master0.onRegister;
    master0.onRegister = (req) => {
      if (fails-- > 0) throw new MasterError("HTTP 503", 503);
      return realRegister(req);
    };
    const store = new StateStore(new MemoryCheckpointStore());
    const clock = new FakeClock();
    const agent = new Agent({
      client: master0,
      store,
      containerizer: new FakeContainerizer(),
      clock,
      log: silentLogger,
      workDir: "/w",
      pollWaitSeconds: 5,
      info: { hostname: "h", port: 1, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }], attributes: [] },
    });
    running.push(agent);
    void agent.run();
    for (const ms of [500, 1000, 2000, 4000]) {
      await until(() => clock.sleeps.includes(ms), `sleep ${ms}`);
      await clock.advance(ms);
    }
    await until(() => agent.isRegistered, "registered");
    expect(master0.registers).toHaveLength(5);
    expect(master0.polls[0]!.wait_seconds).toBe(5);
  });

  it("after a restart, fails tasks of the previous run (killing leftovers) and resends pending updates", async () => {
    const disk = new MemoryCheckpointStore();
    const before = new StateStore(disk);
    before.state.agent_id = "agent-7";
    before.state.last_seq = 12;
    before.state.tasks[taskKey("fw1", "old")] = { framework_id: "fw1", task_id: "old", state: "TASK_RUNNING", pid: 4242, cgroup: "fw1_old" };
    before.state.updates.push({ framework_id: "fw1", status: { task_id: { value: "old" }, state: "TASK_RUNNING", uuid: "cGVuZGluZw==" } });
    before.changed();
    await before.flush();

    const { master, containerizer } = setup(disk);
    await until(() => master.polls.length === 1, "first poll");
    expect(containerizer.orphans.map((r) => r.pid)).toEqual([4242]);
    expect(master.registers[0]!.agent_id).toEqual({ value: "agent-7" });
    expect(master.registers[0]!.tasks).toEqual([{ framework_id: { value: "fw1" }, task_id: { value: "old" }, state: "TASK_FAILED" }]);
    expect(master.polls[0]!.ack_seq).toBe(12);
    await until(() => master.statuses.length > 0, "updates sent");
    const sent = master.statuses[0]!.updates.map((u) => u.status);
    expect(sent[0]!.uuid).toBe("cGVuZGluZw==");
    expect(sent[1]).toMatchObject({ state: "TASK_FAILED", reason: "REASON_EXECUTOR_TERMINATED", message: RESTART_LOST_MESSAGE, source: "SOURCE_AGENT" });
  });

  it("upgraded in place over a checkpoint with the old NUL-joined task keys, still finds its tasks (ack forgets, KILL reaches, LAUNCH is a duplicate)", async () => {
    const disk = new MemoryCheckpointStore();
    await disk.write({
      agent_id: "agent-7",
      last_seq: 12,
      acked_uuids: [],
      tasks: { "fw1\u0000done": { framework_id: "fw1", task_id: "done", state: "TASK_FINISHED" } },
      updates: [{ framework_id: "fw1", status: { task_id: { value: "done" }, state: "TASK_FINISHED", uuid: "ZG9uZQ==" } }],
    });
    const { master, containerizer, store } = setup(disk);
    await until(() => master.polls.length === 1, "first poll");
    expect(master.registers[0]!.tasks).toEqual([{ framework_id: { value: "fw1" }, task_id: { value: "done" }, state: "TASK_FINISHED" }]);
    master.answerPoll({ acks: [{ task_id: { value: "done" }, uuid: "ZG9uZQ==" }], commands: [launch(13, task("t1"))] });
    await until(() => containerizer.launched.length === 1 && master.polls.length === 2, "launch and next poll");
    expect(store.state.tasks).toEqual({ [taskKey("fw1", "t1")]: expect.objectContaining({ task_id: "t1" }) });
    master.answerPoll({ commands: [launch(14, task("t1")), kill(15, "t1")] });
    await until(() => statesOf(master, "t1").includes("TASK_KILLED"), "killed");
    expect(containerizer.launched).toHaveLength(1);
  });

  it("announces its --ip at every registration, and no ip when it has none", async () => {
    const withIp = setup(new MemoryCheckpointStore(), { ip: "192.0.2.10" });
    await until(() => withIp.master.polls.length === 1, "first poll");
    expect(withIp.master.registers[0]).toMatchObject({ hostname: "h1", ip: "192.0.2.10" });
    withIp.master.answerPoll({ reregister: true });
    await until(() => withIp.master.registers.length === 2, "re-registration");
    expect(withIp.master.registers[1]).toMatchObject({ agent_id: { value: "agent-1" }, ip: "192.0.2.10" });

    const without = setup();
    await until(() => without.master.polls.length === 1, "first poll");
    expect("ip" in without.master.registers[0]!).toBe(false);
  });
});
