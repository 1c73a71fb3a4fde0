/// <reference types="node" />
/** Fakes for the agent's side-effect interfaces: clock, master client, containerizer, checkpoint store. */

import type { Container, ContainerExit, Containerizer, LaunchSpec } from "../../agent-bun/src/containerizers/containerizer.ts";
import { type MasterClient, MasterError } from "../../agent-bun/src/core/master-client.ts";
import type { AgentState, CheckpointStore, TaskRecord } from "../../agent-bun/src/state/checkpoint.ts";
import type { Clock } from "../../agent-bun/src/system/clock.ts";
import type { PollRequest, RegisterRequest, RegisterResponse, StatusRequest, StatusResponse } from "../../schemas/agent.ts";
import type { PollAnswer } from "../../schemas/agent-wire.ts";

/** Lets pending promise callbacks and timers run. */
export const settle = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

/** A clock whose time only moves when `advance` is called. */
export class FakeClock implements Clock {
  private t = 1_700_000_000_000;
  private sleepers: Array<{ until: number; resolve: () => void }> = [];
  /** Every sleep requested, in ms (to check backoff schedules). */
  readonly sleeps: number[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const entry = { until: this.t + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener(
        "abort",
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          resolve();
        },
        { once: true },
      );
    });
  }

  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.resolve();
    await settle();
  }
}

type Handler<Req, Res> = (req: Req) => Res | Promise<Res>;

/** A scripted master: each handler may return an answer or throw a MasterError. */
export class FakeMaster implements MasterClient {
  readonly registers: RegisterRequest[] = [];
  readonly polls: PollRequest[] = [];
  readonly statuses: StatusRequest[] = [];
  onRegister: Handler<RegisterRequest, RegisterResponse> = (req) => ({
    agent_id: req.agent_id ?? { value: "agent-1" },
    agent_token: "token-1",
    master_info: { id: "m", ip: 0, port: 8787 },
    poll_hold_seconds: 25,
  });
  onStatus: Handler<StatusRequest, StatusResponse> = () => ({ acknowledged: [] });
  /** Queued poll answers; when empty a poll waits until `stop` aborts it or one is queued. */
  readonly pollAnswers: Array<PollAnswer | MasterError> = [];
  private pollWaiters: Array<() => void> = [];

  async register(req: RegisterRequest): Promise<RegisterResponse> {
    this.registers.push(structuredClone(req));
    return this.onRegister(req);
  }

  async status(req: StatusRequest): Promise<StatusResponse> {
    this.statuses.push(structuredClone(req));
    return this.onStatus(req);
  }

  async poll(req: PollRequest, signal?: AbortSignal): Promise<PollAnswer> {
    this.polls.push(structuredClone(req));
    while (this.pollAnswers.length === 0) {
      if (signal?.aborted) throw new MasterError("aborted");
      await new Promise<void>((resolve) => {
        this.pollWaiters.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    const answer = this.pollAnswers.shift()!;
    if (answer instanceof MasterError) throw answer;
    return answer;
  }

  /** Queues a poll answer and wakes a waiting poll. */
  answerPoll(answer: Partial<PollAnswer> | MasterError): void {
    this.pollAnswers.push(answer instanceof MasterError ? answer : { commands: [], acks: [], ...answer });
    for (const w of this.pollWaiters.splice(0)) w();
  }

  /** Every update sent so far, flattened. */
  sentUpdates() {
    return this.statuses.flatMap((s) => s.updates);
  }
}

/** A containerizer whose tasks end when the test says so. */
export class FakeContainerizer implements Containerizer {
  readonly description = "fake";
  readonly launched: LaunchSpec[] = [];
  readonly kills: Array<{ taskId: string; graceMs: number }> = [];
  readonly orphans: TaskRecord[] = [];
  failLaunch: string | undefined;
  private exits = new Map<string, (exit: ContainerExit) => void>();
  private nextPid = 1000;

  async prepare(): Promise<void> {}

  async launch(spec: LaunchSpec): Promise<Container> {
    if (this.failLaunch) throw new Error(this.failLaunch);
    this.launched.push(spec);
    const taskId = spec.task.task_id.value;
    let resolveExit!: (exit: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((r) => {
      resolveExit = r;
    });
    this.exits.set(taskId, resolveExit);
    return {
      identity: { pid: this.nextPid++ },
      exited,
      kill: (graceMs) => {
        this.kills.push({ taskId, graceMs });
        resolveExit({ code: null, signal: "SIGTERM", oomKilled: false });
      },
    };
  }

  /** Ends task `taskId`'s process. */
  exit(taskId: string, exit: Partial<ContainerExit> = {}): void {
    this.exits.get(taskId)?.({ code: 0, signal: null, oomKilled: false, ...exit });
  }

  async destroyOrphan(record: TaskRecord): Promise<void> {
    this.orphans.push(record);
  }
}

/**
 * A checkpoint store whose writes complete only when the test says so (`release`), so that
 * tests can check what the agent tells the master while a write is still in flight.
 */
export class GatedCheckpointStore implements CheckpointStore {
  readonly persistent = true;
  /** Writes started and not yet released, oldest first (each holds its snapshot). */
  readonly pending: Array<{ snapshot: string; finish: (error?: Error) => void }> = [];
  writes = 0;
  private disk: string | undefined;

  /** What the last completed write holds. */
  load(): AgentState | undefined {
    return this.disk === undefined ? undefined : (JSON.parse(this.disk) as AgentState);
  }

  write(state: AgentState): Promise<void> {
    this.writes++;
    const snapshot = JSON.stringify(state);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        snapshot,
        finish: (error) => {
          if (error) return reject(error);
          this.disk = snapshot;
          resolve();
        },
      });
    });
  }

  /** Completes the oldest pending write (fails it with `error`); false when none is pending. */
  release(error?: Error): boolean {
    const w = this.pending.shift();
    w?.finish(error);
    return w !== undefined;
  }
}
