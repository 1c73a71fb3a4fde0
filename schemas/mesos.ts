/**
 * Mesos v1 JSON messages shared by the scheduler API, the agent protocol and the SDK.
 * Field names, nesting and enum spellings follow `include/mesos/v1/mesos.proto` and the
 * protobuf JSON mapping: snake_case, `{ "value": … }` ids, enums as strings. Unknown fields
 * are dropped (zod's default), `null` is treated as absent (see `stripNulls` in parse.ts).
 */
import { z } from "zod";
import { dataText, freeText, hostText, idText, list, nameText, tokenText, withinBytes } from "./bounded.ts";
import { MAX_FRAMEWORK_INFO_BYTES, MAX_MESSAGE_BYTES } from "./field-limits.ts";
import { TASK_STATES } from "./task-states.ts";

const id = () => z.object({ value: idText() });
/** `{ "value": "…" }` identifiers (FrameworkID, AgentID, OfferID, TaskID, ExecutorID). */
export const FrameworkID = id();
export const AgentID = id();
export const OfferID = id();
export const TaskID = id();
export const ExecutorID = id();
export type FrameworkID = z.infer<typeof FrameworkID>;
export type AgentID = z.infer<typeof AgentID>;
export type OfferID = z.infer<typeof OfferID>;
export type TaskID = z.infer<typeof TaskID>;

/**
 * protobuf int64/uint64 arrive as numbers or decimal strings. Kept as a double: nanoseconds since
 * the epoch (~1.7e18) are past 2^53, so any integral number is taken (to ~256 ns there).
 */
/** Within int64 (as far as a double tells): larger values would be stored as null (Infinity in JSON). */
const inInt64 = (v: number) => Math.abs(v) <= 2 ** 63;
export const Int64 = z.union([
  z.number().refine(Number.isInteger, "expected an integer").refine(inInt64, "outside the int64 range"),
  z
    .string()
    .max(32)
    .regex(/^-?\d+$/)
    .transform(Number)
    .refine(inInt64, "outside the int64 range"),
]);

export const DurationInfo = z.object({ nanoseconds: Int64 });
export const TimeInfo = z.object({ nanoseconds: Int64 });

export const Value = {
  Scalar: z.object({ value: z.number().nonnegative() }),
  Range: z.object({ begin: Int64, end: Int64 }),
  Text: z.object({ value: freeText() }),
};
export const Ranges = z.object({ range: list(Value.Range).default([]) });
export const ValueSet = z.object({ item: list(nameText()).default([]) });
export const ValueType = z.enum(["SCALAR", "RANGES", "SET", "TEXT"]);

export const AllocationInfo = z.object({ role: nameText().optional() });
export type AllocationInfo = z.infer<typeof AllocationInfo>;

/** One level of a reservation (Mesos `Resource.ReservationInfo`, post-refinement format). */
export const ReservationInfo = z.object({
  type: z.enum(["STATIC", "DYNAMIC"]).optional(),
  role: nameText().optional(),
  principal: nameText().optional(),
  labels: z.lazy(() => Labels).optional(),
});
export type ReservationInfo = z.infer<typeof ReservationInfo>;

/** A disk resource's persistence and mount (Mesos `Resource.DiskInfo`): a persistent volume. */
export const DiskInfo = z.object({
  persistence: z.object({ id: idText(), principal: nameText().optional() }).optional(),
  volume: z
    .object({ container_path: freeText().min(1), mode: z.enum(["RW", "RO"]).optional() })
    .passthrough()
    .optional(),
  source: z.object({ type: nameText() }).passthrough().optional(),
});
export type DiskInfo = z.infer<typeof DiskInfo>;

/**
 * A named quantity of one kind: cpus/mem/disk/gpus are SCALAR, ports are RANGES. Reservations:
 * `reservations` (a stack, the last entry is the role it is reserved for) or, as frameworks
 * without RESERVATION_REFINEMENT send them, `role` + `reservation`. `revocable` marks
 * oversubscribed resources; `disk` makes a persistent volume.
 */
export const Resource = z.object({
  name: nameText().min(1),
  type: ValueType,
  scalar: Value.Scalar.optional(),
  ranges: Ranges.optional(),
  set: ValueSet.optional(),
  role: nameText().optional(),
  reservation: ReservationInfo.optional(),
  reservations: list(ReservationInfo).optional(),
  disk: DiskInfo.optional(),
  revocable: z.object({}).passthrough().optional(),
  shared: z.object({}).passthrough().optional(),
  allocation_info: AllocationInfo.optional(),
});
export type Resource = z.infer<typeof Resource>;

/** Agent attributes: free-form labels used for placement (`rack:r1`). */
export const Attribute = z.object({
  name: nameText().min(1),
  type: ValueType,
  scalar: Value.Scalar.optional(),
  ranges: Ranges.optional(),
  set: ValueSet.optional(),
  text: Value.Text.optional(),
});
export type Attribute = z.infer<typeof Attribute>;

export const Label = z.object({ key: nameText(), value: freeText().optional() });
export const Labels = z.object({ labels: list(Label).default([]) });

export const Address = z.object({
  hostname: hostText().optional(),
  ip: hostText().optional(),
  port: z.number().int(),
});
export const URL_ = z.object({
  scheme: nameText(),
  address: Address,
  path: freeText().optional(),
  query: list(z.object({ key: nameText(), value: freeText().optional() })).optional(),
  fragment: freeText().optional(),
});

export const EnvironmentVariable = z.object({
  name: nameText().min(1),
  type: z.enum(["UNKNOWN", "VALUE", "SECRET"]).optional(),
  value: freeText().optional(),
});
export const Environment = z.object({ variables: list(EnvironmentVariable).default([]) });

export const CommandURI = z.object({
  value: freeText(),
  executable: z.boolean().optional(),
  extract: z.boolean().optional(),
  cache: z.boolean().optional(),
  output_file: freeText().optional(),
});

/**
 * What to run. `shell` (default true) runs `value` with `/bin/sh -c`; with `shell: false`
 * `value` is the executable and `arguments` is the full argv (argv[0] included), as in Mesos.
 */
export const CommandInfo = z.object({
  shell: z.boolean().optional(),
  value: freeText().optional(),
  arguments: list(freeText()).optional(),
  environment: Environment.optional(),
  uris: list(CommandURI).optional(),
  user: nameText().optional(),
});
export type CommandInfo = z.infer<typeof CommandInfo>;

/** SIGTERM, then SIGKILL after `grace_period` (default 3 s, as Mesos). */
export const KillPolicy = z.object({ grace_period: DurationInfo.optional() });
export type KillPolicy = z.infer<typeof KillPolicy>;

/** A path made visible inside a container (Mesos `Volume`): `host_path` bind-mounted at `container_path`. */
export const ContainerVolume = z
  .object({
    container_path: freeText(),
    host_path: freeText().optional(),
    mode: z.enum(["RW", "RO"]).optional(),
  })
  .passthrough();

/**
 * Mesos `ContainerInfo`. For DOCKER: the image, its network (`HOST` by default, as Mesos),
 * BRIDGE port mappings (host ports from the task's `ports`), docker `parameters`, and
 * `force_pull_image`; `volumes` are bind mounts (agent-bun/README.md, "Docker").
 */
export const ContainerInfo = z
  .object({
    type: z.enum(["DOCKER", "MESOS"]),
    docker: z
      .object({
        image: freeText(),
        network: nameText().optional(),
        port_mappings: list(z.object({ host_port: z.number().int(), container_port: z.number().int(), protocol: nameText().optional() })).optional(),
        privileged: z.boolean().optional(),
        parameters: list(z.object({ key: nameText(), value: freeText() })).optional(),
        force_pull_image: z.boolean().optional(),
      })
      .passthrough()
      .optional(),
    volumes: list(ContainerVolume).optional(),
    hostname: hostText().optional(),
  })
  .passthrough();
export type ContainerInfo = z.infer<typeof ContainerInfo>;

/**
 * How the agent checks a running task's health (Mesos `HealthCheck`; docs/health-checks.md).
 * `type` says which of `command`, `http`, `tcp` applies. The timing fields are seconds and keep
 * Mesos' defaults when absent (`HEALTH_CHECK_DEFAULTS` in health-check.ts, which also holds the
 * cross-field checks the master applies before launching: `healthCheckProblem`).
 */
export const HealthCheck = z.object({
  type: z.enum(["UNKNOWN", "COMMAND", "HTTP", "TCP"]).optional(),
  delay_seconds: z.number().nonnegative().optional(),
  interval_seconds: z.number().nonnegative().optional(),
  timeout_seconds: z.number().nonnegative().optional(),
  consecutive_failures: z.number().int().nonnegative().optional(),
  grace_period_seconds: z.number().nonnegative().optional(),
  command: CommandInfo.optional(),
  http: z
    .object({
      protocol: z.enum(["IPv4", "IPv6"]).optional(),
      scheme: nameText().optional(),
      port: z.number().int(),
      path: freeText().optional(),
      statuses: list(z.number().int()).optional(),
    })
    .optional(),
  tcp: z
    .object({
      protocol: z.enum(["IPv4", "IPv6"]).optional(),
      port: z.number().int(),
    })
    .optional(),
});
export type HealthCheck = z.infer<typeof HealthCheck>;

/** A task as a framework describes it in ACCEPT/LAUNCH: at most `MAX_MESSAGE_BYTES` as JSON (it is a row). */
export const TaskInfo = withinBytes(
  z.object({
    name: nameText(),
    task_id: TaskID,
    agent_id: AgentID,
    resources: list(Resource).default([]),
    command: CommandInfo.optional(),
    container: ContainerInfo.optional(),
    health_check: HealthCheck.optional(),
    kill_policy: KillPolicy.optional(),
    labels: Labels.optional(),
    data: dataText().optional(),
  }),
  "a task",
  MAX_MESSAGE_BYTES,
);
export type TaskInfo = z.infer<typeof TaskInfo>;

export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

export { isTerminal, TERMINAL_STATES } from "./task-states.ts";

export const TaskStatusSource = z.enum(["SOURCE_MASTER", "SOURCE_AGENT", "SOURCE_EXECUTOR"]);
export const TaskStatusReason = nameText(); // REASON_* names; open set, we never reject one.

/**
 * A task's state report. `uuid` (base64 bytes) is set when the update must be acknowledged.
 * Where one comes in (agent.ts `StatusRequest`) it is at most `MAX_MESSAGE_BYTES` as JSON.
 */
export const TaskStatus = z.object({
  task_id: TaskID,
  state: TaskState,
  message: freeText().optional(),
  source: TaskStatusSource.optional(),
  reason: TaskStatusReason.optional(),
  data: dataText().optional(),
  agent_id: AgentID.optional(),
  executor_id: ExecutorID.optional(),
  timestamp: z.number().optional(),
  uuid: tokenText().optional(),
  healthy: z.boolean().optional(),
  labels: Labels.optional(),
  /** When (the master's clock) the task's agent was marked unreachable: set only while it is (Mesos 1.1+). */
  unreachable_time: TimeInfo.optional(),
});
export type TaskStatus = z.infer<typeof TaskStatus>;

export const MasterInfo = z.object({
  id: tokenText(),
  ip: z.number().int(),
  port: z.number().int(),
  pid: freeText().optional(),
  hostname: hostText().optional(),
  version: nameText().optional(),
  address: Address.optional(),
});
export type MasterInfo = z.infer<typeof MasterInfo>;

export const FrameworkCapability = z.object({ type: nameText() });

const FrameworkInfoFields = z.object({
  user: nameText(),
  name: nameText(),
  id: FrameworkID.optional(),
  failover_timeout: z.number().nonnegative().optional(),
  checkpoint: z.boolean().optional(),
  role: nameText().optional(),
  roles: list(nameText()).optional(),
  hostname: hostText().optional(),
  principal: nameText().optional(),
  webui_url: freeText().optional(),
  capabilities: list(FrameworkCapability).optional(),
  labels: Labels.optional(),
});
/** A framework's self-description in SUBSCRIBE: at most `MAX_FRAMEWORK_INFO_BYTES` as JSON (it is a row). */
export const FrameworkInfo = withinBytes(FrameworkInfoFields, "framework_info", MAX_FRAMEWORK_INFO_BYTES);
export type FrameworkInfo = z.infer<typeof FrameworkInfo>;

/**
 * What a LAUNCH command (agent.ts `AgentCommand`) carries of its framework's info: the user a
 * task runs as by default and the capabilities (TASK_KILLING_STATE), which the agent needs, and
 * the name and id, which it logs. Not the rest: labels, roles and URLs would weigh on every
 * command row. A `FrameworkInfo` too, so that agents parse it as they always did.
 */
export const LaunchFrameworkInfo = withinBytes(
  FrameworkInfoFields.pick({ user: true, name: true, id: true, capabilities: true }),
  "framework_info",
  MAX_FRAMEWORK_INFO_BYTES,
);
export type LaunchFrameworkInfo = z.infer<typeof LaunchFrameworkInfo>;

export const Filters = z.object({ refuse_seconds: z.number().nonnegative().optional() });
export type Filters = z.infer<typeof Filters>;

/**
 * A machine (Mesos `MachineID`): what maintenance is scheduled for. At least one of the two is
 * given; the hostname is not case-sensitive.
 */
export const MachineID = z.object({ hostname: hostText().optional(), ip: hostText().optional() });
export type MachineID = z.infer<typeof MachineID>;

/** When a machine may be unavailable (Mesos `Unavailability`): from `start`, for `duration` (or for good). */
export const Unavailability = z.object({
  start: TimeInfo,
  duration: DurationInfo.optional(),
});
export type Unavailability = z.infer<typeof Unavailability>;

/** Resources on one agent, offered to one framework until accepted, declined or rescinded. */
export const Offer = z.object({
  id: OfferID,
  framework_id: FrameworkID,
  agent_id: AgentID,
  hostname: hostText(),
  url: URL_.optional(),
  resources: list(Resource),
  attributes: list(Attribute).default([]),
  executor_ids: list(ExecutorID).default([]),
  allocation_info: AllocationInfo.optional(),
  /** Set when the agent's machine is scheduled for maintenance (see master-worker/src/decide/maintenance.ts). */
  unavailability: Unavailability.optional(),
});
export type Offer = z.infer<typeof Offer>;
