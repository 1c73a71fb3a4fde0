/**
 * The agent's light entry point to the agent protocol (agent.ts): the three answers an agent
 * receives from the master, with the Mesos messages inside them, as `zod/mini` schemas, to be
 * validated with parse.ts's `parseMessage` (which takes mini schemas too). The constants the
 * agent needs come from agent-limits.ts and task-states.ts, which have no zod either.
 *
 * Why a second spelling: classic `zod` cannot be tree-shaken (every schema carries every
 * method), and importing it and constructing all of mesos.ts and agent.ts cost an idle agent
 * 1.5 MB of RSS more than these (2.4 MB with the JIT on; BENCHMARKS.md, footprint). `zod/mini`
 * keeps only the functions used here.
 *
 * The definitions in mesos.ts and agent.ts stay the reference; the agent takes its types from
 * them. The type checks at the end of this file fail to compile when these schemas' output
 * types drift from theirs, and test/agent/core/agent-wire.test.ts checks that both accept and
 * reject the same inputs with the same field paths and messages. Change both or neither.
 *
 * The agent parses poll answers with `parsePollAnswer`: the same schema, but each file request
 * on its own, so one malformed request cannot cost the whole answer.
 *
 * Import no value from mesos.ts, agent.ts or index.ts here, nor from parse.ts into anything
 * that imports those: that would bring classic zod back into the agent binary (type imports
 * are erased and cost nothing).
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import type * as Agent from "./agent.ts";
import {
  jsonBytes,
  MAX_AGENT_LIST_LENGTH,
  MAX_DATA_LENGTH,
  MAX_FRAMEWORK_INFO_BYTES,
  MAX_HOSTNAME_LENGTH,
  MAX_ID_LENGTH,
  MAX_LIST_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  tooManyBytes,
} from "./field-limits.ts";
import { FILE_OFFSET_EXPECTED, isFileOffset } from "./file-limits.ts";
import { parseMessage, stripNulls } from "./parse.ts";

// Classic zod installs its English messages on import; without them mini says "Invalid input".
z.config(en());

// ---- Mesos messages (mesos.ts): only those inside the answers below ----

// The bounds of bounded.ts, from the same numbers (field-limits.ts).
const idText = () => z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
const tokenText = () => z.string().check(z.maxLength(MAX_ID_LENGTH));
const hostText = () => z.string().check(z.maxLength(MAX_HOSTNAME_LENGTH));
const nameText = () => z.string().check(z.maxLength(MAX_NAME_LENGTH));
const nonEmptyName = () => z.string().check(z.maxLength(MAX_NAME_LENGTH), z.minLength(1));
const freeText = () => z.string().check(z.maxLength(MAX_TEXT_LENGTH));
const dataText = () => z.string().check(z.maxLength(MAX_DATA_LENGTH));
const list = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.maxLength(MAX_LIST_LENGTH));
const agentList = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.maxLength(MAX_AGENT_LIST_LENGTH));
const withinBytes = <T extends z.ZodMiniType>(schema: T, what: string, max: number) =>
  schema.check(z.refine((v) => jsonBytes(v) <= max, tooManyBytes(what, max)));
const int = () => z.number().check(z.int());
const nonNegative = () => z.number().check(z.nonnegative());
const id = () => z.object({ value: idText() });
const FrameworkID = id();
const AgentID = id();
const TaskID = id();

const Int64 = z.union([
  z.number().check(z.refine(Number.isInteger, "expected an integer")),
  z.pipe(z.string().check(z.maxLength(32), z.regex(/^-?\d+$/)), z.transform(Number)),
]);
const DurationInfo = z.object({ nanoseconds: Int64 });

const ValueType = z.enum(["SCALAR", "RANGES", "SET", "TEXT"]);
const Labels = z.object({
  labels: z._default(list(z.object({ key: nameText(), value: z.optional(freeText()) })), []),
});
const ReservationInfo = z.object({
  type: z.optional(z.enum(["STATIC", "DYNAMIC"])),
  role: z.optional(nameText()),
  principal: z.optional(nameText()),
  labels: z.optional(Labels),
});
const Resource = z.object({
  name: nonEmptyName(),
  type: ValueType,
  scalar: z.optional(z.object({ value: nonNegative() })),
  ranges: z.optional(z.object({ range: z._default(list(z.object({ begin: Int64, end: Int64 })), []) })),
  set: z.optional(z.object({ item: z._default(list(nameText()), []) })),
  role: z.optional(nameText()),
  reservation: z.optional(ReservationInfo),
  reservations: z.optional(list(ReservationInfo)),
  disk: z.optional(
    z.object({
      persistence: z.optional(z.object({ id: idText(), principal: z.optional(nameText()) })),
      volume: z.optional(
        z.looseObject({ container_path: z.string().check(z.maxLength(MAX_TEXT_LENGTH), z.minLength(1)), mode: z.optional(z.enum(["RW", "RO"])) }),
      ),
      source: z.optional(z.looseObject({ type: nameText() })),
    }),
  ),
  revocable: z.optional(z.looseObject({})),
  shared: z.optional(z.looseObject({})),
  allocation_info: z.optional(z.object({ role: z.optional(nameText()) })),
});

const Address = z.object({
  hostname: z.optional(hostText()),
  ip: z.optional(hostText()),
  port: int(),
});

const CommandInfo = z.object({
  shell: z.optional(z.boolean()),
  value: z.optional(freeText()),
  arguments: z.optional(list(freeText())),
  environment: z.optional(
    z.object({
      variables: z._default(
        list(
          z.object({
            name: nonEmptyName(),
            type: z.optional(z.enum(["UNKNOWN", "VALUE", "SECRET"])),
            value: z.optional(freeText()),
          }),
        ),
        [],
      ),
    }),
  ),
  uris: z.optional(
    list(
      z.object({
        value: freeText(),
        executable: z.optional(z.boolean()),
        extract: z.optional(z.boolean()),
        cache: z.optional(z.boolean()),
        output_file: z.optional(freeText()),
      }),
    ),
  ),
  user: z.optional(nameText()),
});

const KillPolicy = z.object({ grace_period: z.optional(DurationInfo) });

const ContainerInfo = z.looseObject({
  type: z.enum(["DOCKER", "MESOS"]),
  docker: z.optional(
    z.looseObject({
      image: freeText(),
      network: z.optional(nameText()),
      port_mappings: z.optional(list(z.object({ host_port: int(), container_port: int(), protocol: z.optional(nameText()) }))),
      privileged: z.optional(z.boolean()),
      parameters: z.optional(list(z.object({ key: nameText(), value: freeText() }))),
      force_pull_image: z.optional(z.boolean()),
    }),
  ),
  volumes: z.optional(
    list(
      z.looseObject({
        container_path: freeText(),
        host_path: z.optional(freeText()),
        mode: z.optional(z.enum(["RW", "RO"])),
      }),
    ),
  ),
  hostname: z.optional(hostText()),
});

/** = mesos.ts `HealthCheck`. */
const HealthCheck = z.object({
  type: z.optional(z.enum(["UNKNOWN", "COMMAND", "HTTP", "TCP"])),
  delay_seconds: z.optional(nonNegative()),
  interval_seconds: z.optional(nonNegative()),
  timeout_seconds: z.optional(nonNegative()),
  consecutive_failures: z.optional(z.number().check(z.int(), z.nonnegative())),
  grace_period_seconds: z.optional(nonNegative()),
  command: z.optional(CommandInfo),
  http: z.optional(
    z.object({
      protocol: z.optional(z.enum(["IPv4", "IPv6"])),
      scheme: z.optional(nameText()),
      port: int(),
      path: z.optional(freeText()),
      statuses: z.optional(list(int())),
    }),
  ),
  tcp: z.optional(
    z.object({
      protocol: z.optional(z.enum(["IPv4", "IPv6"])),
      port: int(),
    }),
  ),
});

const TaskInfo = withinBytes(
  z.object({
    name: nameText(),
    task_id: TaskID,
    agent_id: AgentID,
    resources: z._default(list(Resource), []),
    command: z.optional(CommandInfo),
    container: z.optional(ContainerInfo),
    health_check: z.optional(HealthCheck),
    kill_policy: z.optional(KillPolicy),
    labels: z.optional(Labels),
    data: z.optional(dataText()),
  }),
  "a task",
  MAX_MESSAGE_BYTES,
);

const MasterInfo = z.object({
  id: tokenText(),
  ip: int(),
  port: int(),
  pid: z.optional(freeText()),
  hostname: z.optional(hostText()),
  version: z.optional(nameText()),
  address: z.optional(Address),
});

/** = mesos.ts `LaunchFrameworkInfo`. */
const LaunchFrameworkInfo = withinBytes(
  z.object({
    user: nameText(),
    name: nameText(),
    id: z.optional(FrameworkID),
    capabilities: z.optional(list(z.object({ type: nameText() }))),
  }),
  "framework_info",
  MAX_FRAMEWORK_INFO_BYTES,
);

// ---- The answers of the agent protocol (agent.ts) ----

/** = agent.ts `RegisterResponse`. */
export const RegisterResponse = z.object({
  agent_id: AgentID,
  agent_token: tokenText(),
  master_info: MasterInfo,
  poll_hold_seconds: z.number(),
});

/** = agent.ts `AgentCommand`. */
export const AgentCommand = z.discriminatedUnion("type", [
  z.object({
    seq: int(),
    type: z.literal("LAUNCH"),
    framework_id: FrameworkID,
    framework_info: z.optional(LaunchFrameworkInfo),
    task: TaskInfo,
  }),
  z.object({
    seq: int(),
    type: z.literal("KILL"),
    framework_id: FrameworkID,
    task_id: TaskID,
    kill_policy: z.optional(KillPolicy),
    preemption: z.optional(z.object({ state: z.enum(["TASK_GONE", "TASK_LOST"]) })),
  }),
  z.object({
    seq: int(),
    type: z.literal("SHUTDOWN_FRAMEWORK"),
    framework_id: FrameworkID,
  }),
  z.object({
    seq: int(),
    type: z.literal("DESTROY_VOLUMES"),
    volumes: list(Resource).check(z.minLength(1)),
  }),
]);

/** = agent.ts `FileRequest`. */
export const FileRequest = z.object({
  request_id: idText(),
  op: z.enum(["LIST", "READ"]),
  framework_id: FrameworkID,
  task_id: TaskID,
  path: freeText(),
  offset: z.optional(z.number().check(z.refine(isFileOffset, FILE_OFFSET_EXPECTED))),
  length: z.optional(z.number().check(z.refine(isFileOffset, FILE_OFFSET_EXPECTED))),
});

/** = agent.ts `PollResponse`. */
export const PollResponse = z.object({
  commands: agentList(AgentCommand),
  acks: agentList(z.object({ task_id: TaskID, uuid: tokenText() })),
  reregister: z.optional(z.boolean()),
  master_id: z.optional(tokenText()),
  file_requests: z.optional(agentList(FileRequest)),
});

/** A file request of a poll answer that `FileRequest` refused: its id when it has one, and why. */
export interface RefusedFileRequest {
  request_id?: string;
  /** The refusal, naming the field (`file_requests[1].offset: …`). */
  message: string;
}

/** A poll answer as the agent takes it: `PollResponse`, plus the file requests it refused. */
export type PollAnswer = z.output<typeof PollResponse> & { refused_file_requests?: RefusedFileRequest[] };

/**
 * Parses a poll answer as `PollResponse` does, except that each file request is parsed on its
 * own: one malformed request is left out (in `refused_file_requests`, for the agent to answer
 * with an error) instead of refusing the whole answer and every command and request in it.
 * Throws `ValidationError` when the rest of the answer is bad, as `parseMessage` does.
 */
export function parsePollAnswer(input: unknown): PollAnswer {
  const raw = input !== null && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
  if (!raw || !Array.isArray(raw.file_requests)) return parseMessage(PollResponse, input, "response");
  const { file_requests: requests, ...rest } = raw;
  const answer: PollAnswer = parseMessage(PollResponse, rest, "response");
  const taken: z.output<typeof FileRequest>[] = [];
  const refused: RefusedFileRequest[] = [];
  requests.forEach((request, i) => {
    if (request === null) return; // protobuf JSON: null is "not set" (parseMessage drops it too)
    const result = FileRequest.safeParse(stripNulls(request));
    if (result.success) {
      taken.push(result.data);
      return;
    }
    const issue = result.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    const id = (request as { request_id?: unknown } | undefined)?.request_id;
    refused.push({
      ...(typeof id === "string" && id !== "" ? { request_id: id } : {}),
      message: `file_requests[${i}]${path}: ${issue.message}`,
    });
  });
  answer.file_requests = taken;
  if (refused.length) answer.refused_file_requests = refused;
  return answer;
}

/** = agent.ts `FileAnswerResponse`. */
export const FileAnswerResponse = z.object({ accepted: z.boolean() });

/** = agent.ts `StatusResponse`. */
export const StatusResponse = z.object({
  acknowledged: agentList(tokenText()),
});

// ---- Compile-time check: the same types as the reference schemas ----

/** Each assignable to the other: no field missing, added, optional on one side only or typed apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * The same field names: mutual assignability alone misses an optional field one side lacks
 * (zod drops it from the answer, silently).
 */
type SameKeys<A, B> = Same<keyof A, keyof B>;
type Check<T extends true> = T;
export type WireMatchesReference = [
  Check<Same<z.output<typeof RegisterResponse>, Agent.RegisterResponse>>,
  Check<Same<z.output<typeof AgentCommand>, Agent.AgentCommand>>,
  Check<Same<z.output<typeof PollResponse>, Agent.PollResponse>>,
  Check<Same<z.output<typeof StatusResponse>, Agent.StatusResponse>>,
  Check<Same<z.input<typeof RegisterResponse>, z.input<typeof Agent.RegisterResponse>>>,
  Check<Same<z.input<typeof PollResponse>, z.input<typeof Agent.PollResponse>>>,
  Check<Same<z.input<typeof StatusResponse>, z.input<typeof Agent.StatusResponse>>>,
  Check<SameKeys<z.output<typeof RegisterResponse>, Agent.RegisterResponse>>,
  Check<SameKeys<z.output<typeof PollResponse>, Agent.PollResponse>>,
  Check<SameKeys<z.output<typeof StatusResponse>, Agent.StatusResponse>>,
  Check<Same<z.output<typeof FileRequest>, Agent.FileRequest>>,
  Check<SameKeys<z.output<typeof FileRequest>, Agent.FileRequest>>,
  Check<Same<z.output<typeof FileAnswerResponse>, Agent.FileAnswerResponse>>,
];
