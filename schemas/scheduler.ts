/**
 * Mesos v1 Scheduler HTTP API: the calls a framework POSTs to `/api/v1/scheduler` and the
 * events the master streams back (RecordIO). See `include/mesos/v1/scheduler/scheduler.proto`.
 */
import { z } from "zod";
import { agentList, freeText, list, nameText, resourceList, tokenText } from "./bounded.ts";
import { InverseOffer } from "./maintenance.ts";
import { AgentID, Filters, FrameworkID, FrameworkInfo, KillPolicy, MasterInfo, Offer, OfferID, Resource, TaskID, TaskInfo, TaskStatus } from "./mesos.ts";

/**
 * One operation of an ACCEPT. LAUNCH, RESERVE, UNRESERVE, CREATE and DESTROY are carried out
 * (in order, see master-worker/src/decide/reservations.ts); the others are rejected by name.
 */
export const OfferOperation = z.object({
  type: z.enum([
    "UNKNOWN",
    "LAUNCH",
    "LAUNCH_GROUP",
    "RESERVE",
    "UNRESERVE",
    "CREATE",
    "DESTROY",
    "GROW_VOLUME",
    "SHRINK_VOLUME",
    "CREATE_DISK",
    "DESTROY_DISK",
  ]),
  id: z.object({ value: tokenText() }).optional(),
  launch: z.object({ task_infos: list(TaskInfo).default([]) }).optional(),
  /** RESERVE / UNRESERVE: the resources as they are to be (reserve) or are now (unreserve). */
  reserve: z.object({ resources: resourceList(Resource) }).optional(),
  unreserve: z.object({ resources: resourceList(Resource) }).optional(),
  /** CREATE / DESTROY: persistent volumes (disk resources with `disk.persistence` and `disk.volume`). */
  create: z.object({ volumes: resourceList(Resource) }).optional(),
  destroy: z.object({ volumes: resourceList(Resource) }).optional(),
});
export type OfferOperation = z.infer<typeof OfferOperation>;

const base = { framework_id: FrameworkID.optional() };
const withFramework = { framework_id: FrameworkID };

export const SubscribeCall = z.object({
  ...base,
  type: z.literal("SUBSCRIBE"),
  subscribe: z.object({
    framework_info: FrameworkInfo,
    suppressed_roles: list(nameText()).optional(),
  }),
});
export const TeardownCall = z.object({ ...withFramework, type: z.literal("TEARDOWN") });
export const AcceptCall = z.object({
  ...withFramework,
  type: z.literal("ACCEPT"),
  accept: z.object({
    offer_ids: list(OfferID).min(1),
    operations: list(OfferOperation).default([]),
    filters: Filters.optional(),
  }),
});
export const DeclineCall = z.object({
  ...withFramework,
  type: z.literal("DECLINE"),
  decline: z.object({ offer_ids: list(OfferID).min(1), filters: Filters.optional() }),
});
export const ReviveCall = z.object({
  ...withFramework,
  type: z.literal("REVIVE"),
  revive: z.object({ role: nameText().optional(), roles: list(nameText()).optional() }).optional(),
});
export const SuppressCall = z.object({
  ...withFramework,
  type: z.literal("SUPPRESS"),
  suppress: z.object({ roles: list(nameText()).optional() }).optional(),
});
export const KillCall = z.object({
  ...withFramework,
  type: z.literal("KILL"),
  kill: z.object({ task_id: TaskID, agent_id: AgentID.optional(), kill_policy: KillPolicy.optional() }),
});
/** One status update's acknowledgement (the body of Mesos' ACKNOWLEDGE). */
export const Acknowledgement = z.object({ agent_id: AgentID, task_id: TaskID, uuid: tokenText().min(1) });
export type Acknowledgement = z.infer<typeof Acknowledgement>;
export const AcknowledgeCall = z.object({
  ...withFramework,
  type: z.literal("ACKNOWLEDGE"),
  acknowledge: Acknowledgement,
});
/** Most acknowledgements one ACKNOWLEDGE_BATCH may carry. */
export const ACKNOWLEDGE_BATCH_MAX = 1000;
/**
 * Strata extension, not in Mesos: many ACKNOWLEDGEs in one call, taken atomically (one bad entry
 * rejects the call, naming it). Mesos needs a request per update; a framework launching
 * thousands of tasks a second spends most of its requests (and the master most of its time)
 * on them. A master that takes it names it in the SUBSCRIBE answer's `Strata-Extensions`.
 */
export const AcknowledgeBatchCall = z.object({
  ...withFramework,
  type: z.literal("ACKNOWLEDGE_BATCH"),
  acknowledge_batch: z.object({ acknowledgements: z.array(Acknowledgement).min(1).max(ACKNOWLEDGE_BATCH_MAX) }),
});
/** Header of the SUBSCRIBE answer listing the Strata extensions the master takes (comma-separated). */
export const STRATA_EXTENSIONS_HEADER = "Strata-Extensions";
export const ReconcileCall = z.object({
  ...withFramework,
  type: z.literal("RECONCILE"),
  reconcile: z
    .object({
      tasks: agentList(z.object({ task_id: TaskID, agent_id: AgentID.optional() })).default([]),
    })
    .default({ tasks: [] }),
});

/** Answers to inverse offers (maintenance.ts); `filters.refuse_seconds` delays the next inverse offer for that agent. */
const inverseOfferAnswer = z.object({ inverse_offer_ids: list(OfferID).min(1), filters: Filters.optional() });
export const AcceptInverseOffersCall = z.object({ ...withFramework, type: z.literal("ACCEPT_INVERSE_OFFERS"), accept_inverse_offers: inverseOfferAnswer });
export const DeclineInverseOffersCall = z.object({ ...withFramework, type: z.literal("DECLINE_INVERSE_OFFERS"), decline_inverse_offers: inverseOfferAnswer });

/**
 * Changes the framework's FrameworkInfo without re-subscribing (Mesos 1.9+). `framework_info.id`
 * must be the call's framework_id; `suppressed_roles` replaces the suppressed set.
 */
export const UpdateFrameworkCall = z.object({
  ...withFramework,
  type: z.literal("UPDATE_FRAMEWORK"),
  update_framework: z.object({
    framework_info: FrameworkInfo,
    suppressed_roles: list(nameText()).optional(),
  }),
});

/** Every call the master accepts on `/api/v1/scheduler`, discriminated by `type`. */
export const SchedulerCall = z.discriminatedUnion("type", [
  SubscribeCall,
  TeardownCall,
  AcceptCall,
  DeclineCall,
  ReviveCall,
  SuppressCall,
  KillCall,
  AcknowledgeCall,
  AcknowledgeBatchCall,
  ReconcileCall,
  UpdateFrameworkCall,
  AcceptInverseOffersCall,
  DeclineInverseOffersCall,
]);
export type SchedulerCall = z.infer<typeof SchedulerCall>;
export type SchedulerCallType = SchedulerCall["type"];
export type CallOf<T extends SchedulerCallType> = Extract<SchedulerCall, { type: T }>;

/** Events on the SUBSCRIBE stream. */
export const SchedulerEvent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("SUBSCRIBED"),
    subscribed: z.object({
      framework_id: FrameworkID,
      heartbeat_interval_seconds: z.number().optional(),
      master_info: MasterInfo.optional(),
    }),
  }),
  z.object({ type: z.literal("OFFERS"), offers: z.object({ offers: agentList(Offer).default([]) }) }),
  z.object({ type: z.literal("RESCIND"), rescind: z.object({ offer_id: OfferID }) }),
  z.object({ type: z.literal("INVERSE_OFFERS"), inverse_offers: z.object({ inverse_offers: agentList(InverseOffer).default([]) }) }),
  z.object({ type: z.literal("RESCIND_INVERSE_OFFER"), rescind_inverse_offer: z.object({ inverse_offer_id: OfferID }) }),
  z.object({ type: z.literal("UPDATE"), update: z.object({ status: TaskStatus }) }),
  z.object({ type: z.literal("ERROR"), error: z.object({ message: freeText() }) }),
  z.object({ type: z.literal("HEARTBEAT") }),
  z.object({
    type: z.literal("FAILURE"),
    failure: z.object({ agent_id: AgentID.optional(), status: z.number().optional() }),
  }),
]);
export type SchedulerEvent = z.infer<typeof SchedulerEvent>;
export type SchedulerEventType = SchedulerEvent["type"];
export type EventOf<T extends SchedulerEventType> = Extract<SchedulerEvent, { type: T }>;
