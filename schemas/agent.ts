/**
 * The agent protocol (ours, not Mesos'): agents only make outbound requests.
 *
 *  POST /agent/v1/register  RegisterRequest  → RegisterResponse
 *  POST /agent/v1/poll      PollRequest      → PollResponse   (held up to `poll_hold_seconds`)
 *  POST /agent/v1/status    StatusRequest    → StatusResponse
 *  POST /agent/v1/files     FileAnswer       → FileAnswerResponse (docs/files.md)
 *
 * Every request carries `Authorization: Bearer <cluster join token>`. Registration also hands the
 * agent a secret of its own, `agent_token`, which it must present on every later call (polls,
 * status updates, re-registration): the join token is shared by all agents, the agent token
 * proves which agent is calling.
 * Commands are durable on the master until the agent reports their `seq` in `ack_seq`;
 * status updates are durable on the agent until the master reports their uuid acknowledged
 * by the framework (in `acks` of a poll or `acknowledged` of a status answer); the agent then
 * confirms with `acked_uuids` in its next poll so the master can forget them.
 */
import { z } from "zod";
import { agentList, freeText, hostText, idText, list, nameText, tokenText, withinBytes } from "./bounded.ts";
import { jsonBytes, MAX_FILE_DATA_LENGTH, MAX_MESSAGE_BYTES, tooManyBytes } from "./field-limits.ts";
import { FILE_OFFSET_EXPECTED, isFileOffset } from "./file-limits.ts";
import { AgentID, Attribute, FrameworkID, KillPolicy, LaunchFrameworkInfo, MasterInfo, Resource, TaskID, TaskInfo, TaskState, TaskStatus } from "./mesos.ts";

/** A task the agent reports as present when it (re-)registers. */
export const AgentTaskReport = z.object({
  framework_id: FrameworkID,
  task_id: TaskID,
  state: TaskState,
});
export type AgentTaskReport = z.infer<typeof AgentTaskReport>;

export const RegisterRequest = z
  .object({
    /** Set when the agent re-registers with the id it checkpointed. */
    agent_id: AgentID.optional(),
    /** With `agent_id`: the token the master issued at the last registration. */
    agent_token: tokenText().optional(),
    hostname: hostText().min(1),
    /** The machine's IP as the agent announces it (Mesos `--ip`): with the hostname, the machine maintenance is scheduled for. */
    ip: hostText().min(1).optional(),
    /** The address the agent advertises in offers' `url` (it need not listen). */
    port: z.number().int().min(0).max(65535).default(5051),
    resources: list(Resource).min(1),
    attributes: list(Attribute).default([]),
    version: nameText().optional(),
    tasks: agentList(AgentTaskReport).default([]),
  })
  .superRefine((r, ctx) => {
    // What the agent's row keeps of it, the resources and attributes together: at most `MAX_MESSAGE_BYTES` as JSON.
    if (jsonBytes({ resources: r.resources, attributes: r.attributes }) > MAX_MESSAGE_BYTES)
      ctx.addIssue({ code: "custom", message: tooManyBytes("an agent's resources and attributes", MAX_MESSAGE_BYTES), path: ["resources"] });
  });
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const RegisterResponse = z.object({
  agent_id: AgentID,
  /** This agent's secret for its later calls; a new one at every registration. */
  agent_token: tokenText(),
  master_info: MasterInfo,
  poll_hold_seconds: z.number(),
});
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/** Work the master hands an agent. `seq` increases per agent. */
export const AgentCommand = z.discriminatedUnion("type", [
  z.object({
    seq: z.number().int(),
    type: z.literal("LAUNCH"),
    framework_id: FrameworkID,
    framework_info: LaunchFrameworkInfo.optional(),
    task: TaskInfo,
  }),
  z.object({
    seq: z.number().int(),
    type: z.literal("KILL"),
    framework_id: FrameworkID,
    task_id: TaskID,
    kill_policy: KillPolicy.optional(),
    /**
     * Set when the master evicts a revocable task to give its resources back to regular tasks
     * (oversubscription's QoS correction): the task ends in `state` with reason
     * REASON_CONTAINER_PREEMPTED and source SOURCE_AGENT instead of TASK_KILLED, as Mesos
     * reports a QoS kill (TASK_GONE to partition-aware frameworks, TASK_LOST to the others).
     */
    preemption: z.object({ state: z.enum(["TASK_GONE", "TASK_LOST"]) }).optional(),
  }),
  z.object({
    seq: z.number().int(),
    type: z.literal("SHUTDOWN_FRAMEWORK"),
    framework_id: FrameworkID,
  }),
  /** Persistent volumes were destroyed (DESTROY): remove their directories (see agent-bun/src/sandbox/volumes.ts). */
  z.object({
    seq: z.number().int(),
    type: z.literal("DESTROY_VOLUMES"),
    volumes: list(Resource).min(1),
  }),
]);
export type AgentCommand = z.infer<typeof AgentCommand>;

export { MAX_POLL_HOLD_SECONDS, TASK_OUTPUT_TAIL_BYTES } from "./agent-limits.ts";

/**
 * What one running task actually uses (Mesos `ResourceStatistics`, reduced to what
 * oversubscription reads): `cpus` is the average number of cores it used over the last
 * measuring interval, `mem_mb` its resident memory now.
 */
export const TaskUsage = z.object({
  framework_id: FrameworkID,
  task_id: TaskID,
  cpus: z.number().nonnegative(),
  mem_mb: z.number().nonnegative(),
  /** Cpu time the task used in user and in system mode since it started, and its resident memory in bytes (Mesos `ResourceStatistics`; shown by GET_CONTAINERS and /monitor/statistics). Absent from agents before they were added. */
  cpus_user_time_secs: z.number().nonnegative().optional(),
  cpus_system_time_secs: z.number().nonnegative().optional(),
  mem_rss_bytes: z.number().nonnegative().optional(),
});
export type TaskUsage = z.infer<typeof TaskUsage>;

/**
 * An agent's report of its running tasks' usage (every task it runs; an empty list once none
 * runs). Sent at most every `--usage-interval-seconds` and only when it changed; the master
 * keeps the latest in memory only (see docs/oversubscription.md).
 */
export const UsageReport = z.object({ tasks: agentList(TaskUsage) });
export type UsageReport = z.infer<typeof UsageReport>;

export const PollRequest = z.object({
  agent_id: AgentID,
  agent_token: tokenText().optional(),
  /** Highest command `seq` the agent has durably taken over (0 when none). */
  ack_seq: z.number().int().min(0).default(0),
  /** Update uuids whose framework acknowledgement the agent has received and forgotten. */
  acked_uuids: agentList(tokenText()).default([]),
  /** Seconds the master may hold the poll when it has nothing to say (capped by the master). */
  wait_seconds: z.number().min(0).optional(),
  /**
   * The master instance the agent last heard from (`master_info.id` of its registration, or
   * `master_id` of a poll answer). When it is not the one answering, the poll is answered at
   * once with the new `master_id`.
   */
  master_id: tokenText().optional(),
  /** The running tasks' usage, when a report is due (see `UsageReport`). */
  usage: UsageReport.optional(),
});
export type PollRequest = z.infer<typeof PollRequest>;

export const UpdateAck = z.object({ task_id: TaskID, uuid: tokenText() });
export type UpdateAck = z.infer<typeof UpdateAck>;

/**
 * An operator's request for a file in a task's sandbox, relayed by the master (docs/files.md).
 * Not a command: it is kept in the master's memory only, carries no `seq`, is handed out once
 * and answered with `POST /agent/v1/files`. `path` is relative to the task's sandbox (`""` is
 * the sandbox itself), already split and checked by the master (no `.`/`..` segments).
 */
export const FileRequest = z.object({
  request_id: idText(),
  /** LIST: the entries of a directory (or a file's own entry); READ: bytes of a file. */
  op: z.enum(["LIST", "READ"]),
  framework_id: FrameworkID,
  task_id: TaskID,
  path: freeText(),
  /** READ: first byte to read (at most `MAX_FILE_OFFSET`, as the master's own calls). */
  offset: z.number().refine(isFileOffset, FILE_OFFSET_EXPECTED).optional(),
  /** READ: bytes to read at most (the agent cuts it to `MAX_FILE_READ_BYTES`); absent: to the end. */
  length: z.number().refine(isFileOffset, FILE_OFFSET_EXPECTED).optional(),
});
export type FileRequest = z.infer<typeof FileRequest>;

export const PollResponse = z.object({
  commands: agentList(AgentCommand),
  /** Updates the framework has acknowledged: the agent may stop retrying them. */
  acks: agentList(UpdateAck),
  /** The master no longer knows this agent id: register again without it. */
  reregister: z.boolean().optional(),
  /**
   * The answering master instance's id (new at every start). The master keeps an agent's
   * unacknowledged status updates in memory only, so an agent seeing a new id sends all of
   * its unacknowledged updates again at once.
   */
  master_id: tokenText().optional(),
  /** Sandbox file requests waiting for this agent (memory only; see `FileRequest`). */
  file_requests: agentList(FileRequest).optional(),
});
export type PollResponse = z.infer<typeof PollResponse>;

export const StatusRequest = z.object({
  agent_id: AgentID,
  agent_token: tokenText().optional(),
  updates: agentList(
    z.object({
      framework_id: FrameworkID,
      status: withinBytes(TaskStatus.extend({ uuid: tokenText().min(1) }), "a status update", MAX_MESSAGE_BYTES),
    }),
  ).min(1),
});
export type StatusRequest = z.infer<typeof StatusRequest>;

export const StatusResponse = z.object({
  /** Of the updates sent, those the framework has already acknowledged. */
  acknowledged: agentList(tokenText()),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/**
 * One entry of a sandbox listing, as the agent sees it (lstat: a symbolic link is listed as
 * itself). `path` is relative to the sandbox; the master turns it into the virtual path.
 * `mtime` is in seconds; `mode` is st_mode; `uid`/`gid` the numeric owner, as text.
 */
export const FileEntry = z.object({
  path: freeText(),
  nlink: z.number().int().min(0),
  size: z.number().int().min(0),
  mtime: z.number(),
  mode: z.number().int().min(0),
  uid: nameText(),
  gid: nameText(),
});
export type FileEntry = z.infer<typeof FileEntry>;

/**
 * The agent's answer to a `FileRequest`: `error` (an HTTP status the operator gets, and why),
 * or for LIST `file_infos`, for READ the file's `size` and the bytes read as base64 `data`.
 */
export const FileAnswer = z.object({
  agent_id: AgentID,
  agent_token: tokenText().optional(),
  request_id: idText(),
  error: z.object({ status: z.number().int().min(400).max(599), message: freeText() }).optional(),
  file_infos: agentList(FileEntry).optional(),
  size: z.number().int().min(0).optional(),
  data: z.string().max(MAX_FILE_DATA_LENGTH).optional(),
});
export type FileAnswer = z.infer<typeof FileAnswer>;

/** `accepted` is false when nobody waits for the answer any more (timed out, master restarted). */
export const FileAnswerResponse = z.object({ accepted: z.boolean() });
export type FileAnswerResponse = z.infer<typeof FileAnswerResponse>;
