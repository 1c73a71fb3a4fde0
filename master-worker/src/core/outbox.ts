/**
 * The core's two ports to the world, as interfaces so that the Durable Object and the test
 * harness each plug in their own: where the master's words go, and where randomness comes from.
 */
import type { SchedulerEvent } from "../../../schemas/index.ts";

/** Where the master's words go: framework event streams, agent long-polls. */
export interface Outbox {
  /** Writes one event to the framework's current stream, if it has one. */
  send(frameworkId: string, event: SchedulerEvent): void;
  /** Ends the framework's current stream, after `last` when given. */
  close(frameworkId: string, last?: SchedulerEvent): void;
  /** A held poll of this agent should answer now. */
  wakeAgent(agentId: string): void;
}

/** Randomness, injected so tests are repeatable. */
export interface Entropy {
  /** A fresh UUID (agent, framework and stream ids). */
  uuid(): string;
  /** 16 random bytes, base64 (status update uuids, agent tokens). */
  bytes16(): string;
}
