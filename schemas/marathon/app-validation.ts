/**
 * The rules across fields Marathon checks after reading a definition (mesosphere/marathon,
 * src/main/scala/mesosphere/marathon/api/v2/validation/AppValidation.scala,
 * SchedulingValidation.scala, state/PathId.scala), in its words and at its paths; a breach is a
 * 422 "Object is not valid". Strata's own refusals (features it does not have yet) use Marathon's
 * words for a disabled feature where Marathon has them.
 */
import type { MarathonApp, MarathonNetwork } from "./app-definition.ts";
import { appIdProblem } from "./app-id.ts";
import type { AppInput } from "./app-input.ts";
import { MESOS_CHECK_PROTOCOLS } from "./health-checks.ts";

/** Marathon's refusal of secrets while its `secrets` feature is off (Strata has no secret store yet). */
export const SECRETS_DISABLED = "Feature secrets is not enabled. Enable with --enable_features secrets)";
/** Marathon's refusal of external volumes while that feature is off (Strata has no volume drivers). */
export const EXTERNAL_VOLUMES_DISABLED = "Feature external_volumes is not enabled. Enable with --enable_features external_volumes)";
/** Marathon's rule that an app says what to run. */
export const CMD_ARGS_OR_CONTAINER = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.";

/** Marathon's refusal of an instance replaced after it is expunged (state/UnreachableStrategy.scala). */
export const inactiveAfterExpunge = (inactive: number, expunge: number): string =>
  `inactiveAfterSeconds (${inactive}) must be less or equal to expungeAfterSeconds, which is ${expunge}`;

/** A number as Java prints a double (`1.0`, `0.5`): the way accord's messages show one. */
export const javaDouble = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** Marathon's refusal of an unknown constraint operator (SchedulingValidationMessages; IS is accepted too). */
export const CONSTRAINT_OPERATOR_INVALID = "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER or UNLIKE";
/** Marathon's refusal of an IS value that is not a Mesos text or scalar. */
export const IS_ONLY_SUPPORTS_TEXT = "IS only supports Mesos text and float values (see http://mesos.apache.org/documentation/latest/attributes-resources/)";

/** Whether Java's `Integer.parseInt` (Scala's `toInt`) reads `v`. */
const isJavaInt = (v: string) => /^[+-]?\d+$/.test(v) && Math.abs(Number(v)) <= 2_147_483_647;

/**
 * What is wrong with one constraint `[field, operator, value?]`, or undefined: Marathon's
 * `complyWithAppConstraintRules` (api/v2/validation/SchedulingValidation.scala, 1.6+). The
 * operator is read case-insensitively; CLUSTER's value is optional; an expression is checked
 * with JavaScript's RegExp (Marathon: java.util.regex).
 */
export function constraintProblem(c: readonly string[]): string | undefined {
  if (c.length < 2 || c.length > 3) return "Each constraint must have either 2 or 3 fields";
  const [field, op, value] = c;
  if (!field) return "illegal constraint specification";
  switch (op!.toUpperCase()) {
    case "UNIQUE":
      return value === undefined ? undefined : "UNIQUE does not accept a value";
    case "CLUSTER":
      return undefined;
    case "GROUP_BY":
      return value === undefined || isJavaInt(value) ? undefined : "GROUP BY must define an integer value or else no value at all";
    case "MAX_PER":
      return value !== undefined && isJavaInt(value) ? undefined : "MAX_PER requires an integer value";
    case "LIKE":
    case "UNLIKE":
      if (value === undefined) return "LIKE and UNLIKE require a non-empty, regular expression value";
      try {
        new RegExp(value);
        return undefined;
      } catch {
        return "is not a valid regular expression";
      }
    case "IS":
      return /^[a-zA-Z0-9_/.-]*$/.test(value ?? "") ? undefined : IS_ONLY_SUPPORTS_TEXT;
    default:
      return CONSTRAINT_OPERATOR_INVALID;
  }
}

/** Marathon's refusal of a container network without a name (Strata has no default network name). */
export const NETWORK_NAME_REQUIRED = "Network name must be specified when container network is selected.";

/** What is wrong with an app's networks (Marathon's `ramlNetworksValidator`, api/v2/validation/NetworkValidation.scala). */
export function networkProblems(nets: readonly MarathonNetwork[]): string[] {
  const out: string[] = [];
  const named = (n: MarathonNetwork) => (n.name ?? "") !== "";
  if (nets.some((n) => n.mode === "host" && (named(n) || Object.keys(n.labels ?? {}).length > 0))) out.push("Host networks may not have names or labels");
  if (nets.some((n) => n.mode === "container/bridge" && named(n))) out.push("Bridge networks may not have names");
  const names = nets.flatMap((n) => (n.name === undefined ? [] : [n.name]));
  if (nets.filter((n) => n.name === undefined && n.mode === "container").length > 1 || duplicates(names)) out.push("Duplicate networks are not allowed");
  const count = (mode: MarathonNetwork["mode"]) => nets.filter((n) => n.mode === mode).length;
  const [host, bridge, container] = [count("host"), count("container/bridge"), count("container")];
  const ok = (host <= 1 && bridge === 0 && container === 0) || (host === 0 && bridge <= 1 && container === 0) || (host === 0 && bridge === 0 && container > 0);
  if (!ok) out.push("May specify a single host network, single bridge network, or else 1-to-n container networks");
  return out;
}

const duplicates = <T>(xs: readonly T[]): boolean => new Set(xs).size !== xs.length;

/**
 * Every rule `input` and `app` (its defaults filled) break, as (path, error) pairs. `sent` is what
 * the client sent when `input` merges it into a stored definition (a partial update): the rules
 * Marathon applies only to fields sent look at it.
 */
export function appRuleBreaches(input: AppInput, app: MarathonApp, sent: Pick<AppInput, "upgradeStrategy"> = input): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (path: string, error: string) => out.push([path, error]);

  const idProblem = appIdProblem(input.id);
  if (idProblem) add("/id", idProblem);
  if (app.id === "/") add("/", "must not be root");
  (input.dependencies ?? []).forEach((d, i) => {
    const p = appIdProblem(d);
    if (p) add(`/dependencies(${i})`, p);
  });

  const c = input.container;
  const hasImage = c?.docker !== undefined && c.appc === undefined;
  const cmd = input.cmd !== undefined;
  const args = (input.args ?? []).length > 0;
  if (!(cmd !== args || (!(cmd && args) && hasImage))) add("/", CMD_ARGS_OR_CONTAINER);
  if (input.cmd !== undefined && input.cmd.length <= 1) add("/", "must not be an empty string");

  if ((input.uris ?? []).length > 0 && (input.fetch ?? []).length > 0) add("/uris", "may not be set in conjunction with fetch");
  if (input.ports && input.portDefinitions && input.ports.length > 0 && input.portDefinitions.length > 0) {
    const same = input.ports.length === input.portDefinitions.length && input.ports.every((p, i) => p === (input.portDefinitions![i]!.port ?? 0));
    if (!same) add("/", "cannot specify both ports and port definitions");
  }
  const fixedPorts = (input.ports ?? []).filter((p) => p !== 0);
  if (duplicates(fixedPorts)) add("/", "ports must be unique");
  if (input.ipAddress !== undefined) add("/ipAddress", "ipAddress is not supported by Strata: use networks");

  for (const problem of networkProblems(app.networks)) add("/networks", problem);
  if (app.networks.some((n) => n.mode === "container" && n.name === undefined)) add("/", NETWORK_NAME_REQUIRED);
  const explicitNetworks = input.networks ?? [];
  if (c?.docker?.network !== undefined && explicitNetworks.length > 0) add("/", "must not specify both container.docker.network and networks");
  if (c?.docker?.network === "NONE") add("/container/docker/network", "is not one of (BRIDGE,HOST,USER)");
  const hostMode = app.networks.some((n) => n.mode === "host");
  if (explicitNetworks.some((n) => n.mode === "host") && (c?.portMappings ?? []).length > 0) add("/", "portMappings are not allowed with host-networking");
  if (!hostMode && (input.portDefinitions ?? input.ports ?? []).length > 0) add("/", "portDefinitions are only allowed with host-networking");

  if (app.portDefinitions) {
    if (duplicates(app.portDefinitions.flatMap((p) => (p.name === undefined ? [] : [p.name])))) add("/portDefinitions", "Port names must be unique.");
    if (duplicates(app.portDefinitions.map((p) => p.port).filter((p) => p !== 0))) add("/portDefinitions", "Ports must be unique.");
  }
  if (c) {
    const mappings = c.portMappings ?? c.docker?.portMappings ?? [];
    if (duplicates(mappings.flatMap((m) => (m.name === undefined ? [] : [m.name])))) add("/container/portMappings", "Port names must be unique.");
    if (c.portMappings && c.docker?.portMappings) add("/container", "cannot specify both portMappings and docker.portMappings");
    if (c.appc !== undefined) add("/container/appc", "AppC images are not supported by Strata: use docker.image");
    if ((c.type ?? "DOCKER") === "DOCKER" && c.docker === undefined) add("/container/docker", "not defined");
    if (c.type === "MESOS" && c.docker?.credential !== undefined) add("/container/docker/credential", "must be empty");
    if ((c.type ?? "DOCKER") === "DOCKER" && app.networks.filter((n) => n.mode === "container").length > 1) {
      add("/", "may only specify a single container network when using the Docker container engine");
    }
    (c.volumes ?? []).forEach((v, i) => {
      const at = `/container/volumes(${i})`;
      if (v.external !== undefined && v.persistent !== undefined) add(at, "illegal combination of persistent and external volume fields");
      else if (v.external !== undefined) add(at, EXTERNAL_VOLUMES_DISABLED);
      else if (v.persistent !== undefined) {
        if (v.containerPath.includes("/")) add(`${at}/containerPath`, 'value must not contain "/"');
        if (v.containerPath === "." || v.containerPath === "..") add(`${at}/containerPath`, "can not be one of (.,..)");
        if (v.mode !== "RW") add(`${at}/mode`, "does not equal RW");
        if (v.persistent.size <= 0) add(`${at}/persistent/size`, `got ${v.persistent.size}, expected more than 0`);
        const type = v.persistent.type ?? "root";
        if (v.persistent.maxSize !== undefined && type !== "mount") add(`${at}/persistent`, "Only mount volumes can have maxSize");
        if (v.persistent.maxSize !== undefined && v.persistent.maxSize <= v.persistent.size) add(`${at}/persistent`, "Max size must be larger than size");
      } else if (v.hostPath === undefined) add(`${at}/hostPath`, "not defined");
    });
  }

  const portCount =
    (c?.portMappings ?? c?.docker?.portMappings ?? []).length > 0 && !hostMode ? app.container!.portMappings!.length : (app.portDefinitions ?? []).length;
  app.healthChecks.forEach((h, i) => {
    if (h.protocol === "COMMAND" && h.command === undefined) add(`/healthChecks(${i})/command`, "not defined");
    if (h.command === undefined && ["HTTP", "HTTPS", "TCP"].includes(h.protocol)) {
      const ok = h.portIndex !== undefined ? h.portIndex < portCount : h.port !== undefined || portCount === 1;
      if (!ok) add(`/healthChecks(${i})`, "Health check port indices must address an element of the ports array or container port mappings.");
    }
  });
  const mesosChecks = app.healthChecks.filter((h) => h.command === undefined && MESOS_CHECK_PROTOCOLS.has(h.protocol)).length;
  if (mesosChecks > 1) add("/", "AppDefinition can contain at most one Mesos health check");

  if (app.readinessChecks.length > 1) add("/readinessChecks", `got ${app.readinessChecks.length}, expected 1 or less`);
  const portNames = new Set((app.container?.portMappings ?? app.portDefinitions ?? []).flatMap((p) => (p.name === undefined ? [] : [p.name])));
  app.readinessChecks.forEach((r, i) => {
    if (!portNames.has(r.portName)) add(`/readinessChecks(${i})/portName`, `No port definition reference for portName ${r.portName}`);
    if (r.timeoutSeconds >= r.intervalSeconds) add(`/readinessChecks(${i})/timeoutSeconds`, `got ${r.timeoutSeconds}, expected less than ${r.intervalSeconds}`);
  });

  const resident = (c?.volumes ?? []).some((v) => v.persistent !== undefined);
  if (input.residency !== undefined && !resident) add("/", "App must contain persistent volumes and define residency");
  if (resident && input.unreachableStrategy !== undefined && input.unreachableStrategy !== "disabled")
    add("/", "unreachableStrategy must be disabled for resident tasks");
  // Marathon checks an upgrade strategy against residency and single instance only when one is sent.
  const sentStrategy = sent.upgradeStrategy;
  const mustBeZero = (field: "minimumHealthCapacity" | "maximumOverCapacity") => {
    if (sentStrategy && sentStrategy[field] !== 0) add(`/upgradeStrategy/${field}`, `got ${javaDouble(sentStrategy[field])}, expected 0.0`);
  };
  if (resident) mustBeZero("maximumOverCapacity");
  if (app.labels.MARATHON_SINGLE_INSTANCE_APP === "true") {
    if (app.instances > 1) add("/", "Single instance app may only have one instance");
    mustBeZero("minimumHealthCapacity");
    if (!resident) mustBeZero("maximumOverCapacity");
  }
  if (app.unreachableStrategy !== "disabled" && app.unreachableStrategy.inactiveAfterSeconds > app.unreachableStrategy.expungeAfterSeconds) {
    const u = app.unreachableStrategy;
    add("/unreachableStrategy/inactiveAfterSeconds", inactiveAfterExpunge(u.inactiveAfterSeconds, u.expungeAfterSeconds));
  }
  if (app.gpus > 0 && c?.type !== "MESOS" && c !== undefined) add("/", "GPU resources only work with the Mesos containerizer");
  if (input.acceptedResourceRoles !== undefined && input.acceptedResourceRoles.length === 0) add("/acceptedResourceRoles", "must not be empty");
  app.constraints.forEach((k, i) => {
    const p = constraintProblem(k);
    if (p) add(`/constraints(${i})`, p);
  });
  for (const [name, value] of Object.entries(input.env ?? {})) if (typeof value !== "string") add(`/env/${name}`, SECRETS_DISABLED);
  if (Object.keys(input.secrets ?? {}).length > 0) add("/secrets", SECRETS_DISABLED);
  return out;
}
