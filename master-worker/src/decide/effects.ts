/**
 * What a decision asks the master to do. Pure deciders return a list of effects;
 * `commitEffects` (commit.ts) turns them into row changes committed in one transaction, then
 * into events and wake-ups.
 */
import type { AgentCommand, Offer, SchedulerEvent, TaskStatus } from "../../../schemas/index.ts";
import type { RefuseFilter } from "../allocator/index.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../store/records.ts";
import type { InverseOfferChange } from "./inverse-offer-book.ts";

/** A command before the master numbers it. */
export type AgentCommandBody = AgentCommand extends infer C ? (C extends AgentCommand ? Omit<C, "seq"> : never) : never;

export type { RefuseFilter };

/** One thing a decision asks for; the kinds are documented where they differ from their name. */
export type Effect =
  | { kind: "agent"; agent: AgentRecord }
  | { kind: "framework"; framework: FrameworkRecord }
  | { kind: "task"; task: TaskRecord }
  /** Forget a terminal task (beyond the retention bound; retention.ts), in memory and storage. */
  | { kind: "forgetTask"; frameworkId: string; taskId: string }
  /** Forget a torn-down framework (beyond the retention bound; retention.ts); its tasks are forgotten with it. */
  | { kind: "forgetFramework"; frameworkId: string }
  /**
   * A new status update, forwarded to the framework and kept until acknowledged: in SQLite when
   * the master made it, in memory only when an agent sent it (`fromAgent`), because the agent
   * keeps it on disk and sends it again until it learns of the acknowledgement.
   */
  | { kind: "update"; frameworkId: string; agentId?: string; fromAgent?: boolean; status: TaskStatus & { uuid: string } }
  /** The framework acknowledged an update. */
  | { kind: "ack"; uuid: string }
  /** Forget an update (the agent has learnt of its acknowledgement, or the framework is gone). */
  | { kind: "forget"; uuid: string }
  | { kind: "command"; agentId: string; command: AgentCommandBody }
  | { kind: "commandsTaken"; agentId: string; upToSeq: number }
  | { kind: "offers"; offers: Offer[] }
  | { kind: "offerGone"; offerId: string; rescind: boolean }
  /**
   * A refused ACCEPT lets go of the offers it named: each of them that is `frameworkId`'s is
   * withdrawn without a RESCIND (the framework already let go of it; another framework's offer
   * or an unknown id is left alone), and an allocation run is asked for so their resources are
   * offered again.
   */
  | { kind: "releaseOffers"; frameworkId: string; offerIds: string[] }
  | { kind: "filter"; filter: RefuseFilter }
  /** REVIVE: drops the framework's refuse filters for `roles` (all of them when absent). */
  | { kind: "clearFilters"; frameworkId: string; roles?: string[] }
  /** Suppress or revive offers to a framework, in `roles` only when given (allocator/suppression.ts). */
  | { kind: "suppress"; frameworkId: string; suppressed: boolean; roles?: string[] }
  /** A transient event (not persisted): reconciliation answers, ERROR. */
  | { kind: "event"; frameworkId: string; event: SchedulerEvent }
  /** Something changed that may free or add resources: allocate soon. */
  | { kind: "allocate" }
  /** A cluster-wide setting (see `PersistedState.settings`) is set, or deleted with `value: null`. */
  | { kind: "setting"; key: string; value: unknown }
  /** Inverse offers sent, answered, rescinded or dropped (memory only; see inverse-offers.ts). */
  | { kind: "inverseOffer"; change: InverseOfferChange };

/** Sources of non-determinism handed to deciders, so they stay pure. */
export interface DecideContext {
  now: number;
  /** A fresh status-update uuid (16 random bytes, base64). */
  uuid(): string;
  /** The authenticated principal the call came from (undefined: anonymous, or the master itself). */
  principal?: string;
}
