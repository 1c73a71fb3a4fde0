/**
 * Master settings, read from the Worker's environment (wrangler `[vars]` and secrets locally in
 * `.dev.vars`, `wrangler secret put` when deployed). Every setting is listed in the README.
 */
import { z } from "zod";
import { MAX_POLL_HOLD_SECONDS } from "../../../schemas/agent.ts";
import { parseMessage } from "../../../schemas/parse.ts";
import { ALLOCATOR_SORTERS, type AllocatorSorterName } from "../allocator/index.ts";
import { type Authorizer, parseAcls } from "./authorizer.ts";
import { AUTHORIZATION_MODES, type AuthorizationMode, type OperatorAccess } from "./operator-access.ts";

const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => (v === undefined ? def : v === "true" || v === "1"));
const num = (def: number, min: number) =>
  z.coerce
    .number()
    .min(min)
    .optional()
    .transform((v) => v ?? def);

/** Mesos' default time to mark an agent unreachable: agent_ping_timeout (15 s) × max_agent_ping_timeouts (5). */
const MESOS_UNREACHABLE_SECONDS = 15 * 5;

/**
 * The default of `STRATA_MAX_BODY_BYTES`, the largest POST body the Worker reads: ample for the
 * largest real calls (an agent re-registering thousands of tasks, a 1 MiB file chunk in base64)
 * and small enough that parsing it stays well inside a Worker's 128 MB of memory. Mesos sets no
 * byte limit of its own on HTTP bodies below protobuf's 64 MiB message limit.
 */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const EnvSchema = z.object({
  STRATA_JOIN_TOKEN: z.string().optional(),
  STRATA_CREDENTIALS: z.string().optional(),
  STRATA_AUTHENTICATE_FRAMEWORKS: bool(true),
  STRATA_AUTHENTICATE_AGENTS: bool(true),
  STRATA_AUTHENTICATE_HTTP_READONLY: bool(true),
  STRATA_HEARTBEAT_INTERVAL_SECONDS: num(5, 0.1),
  STRATA_ALLOCATION_INTERVAL_MS: num(1000, 0),
  STRATA_AGENT_PING_TIMEOUT_SECONDS: num(75, 1),
  STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: z.coerce.number().min(1).optional(),
  STRATA_POLL_HOLD_SECONDS: num(MAX_POLL_HOLD_SECONDS, 0),
  STRATA_OFFER_TIMEOUT_SECONDS: num(0, 0),
  STRATA_DEFAULT_REFUSE_SECONDS: num(5, 0),
  STRATA_CLUSTER_NAME: z.string().optional(),
  STRATA_ACLS: z.string().optional(),
  STRATA_AUTHORIZATION: z.enum(AUTHORIZATION_MODES).optional(),
  STRATA_OPERATORS: z.string().optional(),
  STRATA_OVERSUBSCRIPTION_FACTOR: z.coerce
    .number()
    .min(0)
    .max(1)
    .optional()
    .transform((v) => v ?? 0.8),
  STRATA_ALLOCATOR_SORTER: z.enum(ALLOCATOR_SORTERS).optional(),
  STRATA_MAX_COMPLETED_TASKS_PER_FRAMEWORK: z.coerce.number().int().min(0).optional(),
  STRATA_MAX_COMPLETED_FRAMEWORKS: z.coerce.number().int().min(0).optional(),
  STRATA_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .optional()
    .transform((v) => v ?? DEFAULT_MAX_BODY_BYTES),
});

/** The parsed settings the master runs with. */
export interface MasterConfig {
  joinToken?: string;
  /** principal → secret (Basic auth); each secret is also accepted as a bearer token. */
  credentials: Map<string, string>;
  authenticateFrameworks: boolean;
  authenticateAgents: boolean;
  authenticateReadonly: boolean;
  heartbeatIntervalMs: number;
  allocationIntervalMs: number;
  agentPingTimeoutMs: number;
  /**
   * An agent not heard from for this long is marked unreachable and its tasks reported
   * TASK_UNREACHABLE / TASK_LOST (partitions.ts). Never shorter than `agentPingTimeoutMs`.
   */
  agentUnreachableTimeoutMs: number;
  pollHoldMs: number;
  /** 0 = offers never time out. */
  offerTimeoutMs: number;
  defaultRefuseMs: number;
  clusterName: string;
  /** ACLs from `STRATA_ACLS` (permissive when unset). */
  authorizer: Authorizer;
  /** `STRATA_AUTHORIZATION`: `operators` (default) or `permissive` (Mesos); see operator-access.ts. */
  authorization: AuthorizationMode;
  /** Principals that are operators (`STRATA_OPERATORS`). */
  operators: readonly string[];
  /**
   * Share (0-1) of the allocated-but-unused cpus and mem of regular tasks offered again as
   * revocable resources; 0 turns oversubscription off (docs/oversubscription.md).
   */
  oversubscriptionFactor: number;
  /** How the allocator orders roles and frameworks (`STRATA_ALLOCATOR_SORTER`, default drf). */
  allocatorSorter: AllocatorSorterName;
  /** The largest POST body the Worker reads (`STRATA_MAX_BODY_BYTES`); a larger one is answered 413. */
  maxBodyBytes: number;
  /**
   * Terminal tasks kept per framework (`STRATA_MAX_COMPLETED_TASKS_PER_FRAMEWORK`, as Mesos'
   * `--max_completed_tasks_per_framework`); older ones are forgotten (decide/retention.ts).
   */
  maxCompletedTasksPerFramework: number;
  /** Torn-down frameworks kept (`STRATA_MAX_COMPLETED_FRAMEWORKS`, as Mesos' `--max_completed_frameworks`). */
  maxCompletedFrameworks: number;
}

/**
 * Defaults of the retention bounds: Mesos' 1,000 completed tasks per framework, and 10 completed
 * frameworks (Mesos keeps 50, in a master with gigabytes; a Durable Object has 128 MB).
 */
export const DEFAULT_MAX_COMPLETED_TASKS_PER_FRAMEWORK = 1000;
export const DEFAULT_MAX_COMPLETED_FRAMEWORKS = 10;

/** Parses `principal:secret[,principal:secret…]`; a bad entry names its position. */
export function parseCredentials(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, entry] of (text ?? "")
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const at = entry.indexOf(":");
    if (at <= 0 || at === entry.length - 1) throw new Error(`STRATA_CREDENTIALS[${i}]: expected principal:secret`);
    out.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return out;
}

/** A principal name as in `STRATA_CREDENTIALS`: no separator, blank or colon. */
const PRINCIPAL_NAME = /^[^\s,:]+$/;

/** Parses `STRATA_OPERATORS` (`principal[,principal…]`); a bad entry names its position. */
export function parseOperators(text: string | undefined): string[] {
  const names = (text ?? "").split(",").map((s) => s.trim());
  if (names.length === 1 && names[0] === "") return [];
  for (const [i, name] of names.entries()) {
    if (!PRINCIPAL_NAME.test(name)) throw new Error(`STRATA_OPERATORS[${i}]: expected a principal name (no blank, comma or colon), got '${name}'`);
  }
  return [...new Set(names)];
}

/** Reads the settings, throwing (with the variable's name) on a bad value. */
/** Who is an operator under `config` (`STRATA_AUTHORIZATION`, `STRATA_OPERATORS`; reads open when unauthenticated reads are). */
export const operatorAccessOf = (config: MasterConfig): OperatorAccess => ({
  mode: config.authorization,
  operators: config.operators,
  readsOpen: !config.authenticateReadonly,
});

export function readConfig(env: Record<string, unknown>): MasterConfig {
  const e = parseMessage(EnvSchema, env, "env");
  return {
    joinToken: e.STRATA_JOIN_TOKEN || undefined,
    credentials: parseCredentials(e.STRATA_CREDENTIALS),
    authenticateFrameworks: e.STRATA_AUTHENTICATE_FRAMEWORKS,
    authenticateAgents: e.STRATA_AUTHENTICATE_AGENTS,
    authenticateReadonly: e.STRATA_AUTHENTICATE_HTTP_READONLY,
    heartbeatIntervalMs: e.STRATA_HEARTBEAT_INTERVAL_SECONDS * 1000,
    allocationIntervalMs: e.STRATA_ALLOCATION_INTERVAL_MS,
    agentPingTimeoutMs: e.STRATA_AGENT_PING_TIMEOUT_SECONDS * 1000,
    agentUnreachableTimeoutMs: Math.max(e.STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS ?? MESOS_UNREACHABLE_SECONDS, e.STRATA_AGENT_PING_TIMEOUT_SECONDS) * 1000,
    pollHoldMs: Math.min(e.STRATA_POLL_HOLD_SECONDS, MAX_POLL_HOLD_SECONDS) * 1000,
    offerTimeoutMs: e.STRATA_OFFER_TIMEOUT_SECONDS * 1000,
    defaultRefuseMs: e.STRATA_DEFAULT_REFUSE_SECONDS * 1000,
    clusterName: e.STRATA_CLUSTER_NAME ?? "strata",
    authorizer: parseAcls(e.STRATA_ACLS),
    authorization: e.STRATA_AUTHORIZATION ?? "operators",
    operators: parseOperators(e.STRATA_OPERATORS),
    oversubscriptionFactor: e.STRATA_OVERSUBSCRIPTION_FACTOR,
    allocatorSorter: e.STRATA_ALLOCATOR_SORTER ?? "drf",
    maxBodyBytes: e.STRATA_MAX_BODY_BYTES,
    maxCompletedTasksPerFramework: e.STRATA_MAX_COMPLETED_TASKS_PER_FRAMEWORK ?? DEFAULT_MAX_COMPLETED_TASKS_PER_FRAMEWORK,
    maxCompletedFrameworks: e.STRATA_MAX_COMPLETED_FRAMEWORKS ?? DEFAULT_MAX_COMPLETED_FRAMEWORKS,
  };
}
