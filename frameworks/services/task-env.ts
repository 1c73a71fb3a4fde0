/**
 * The environment Marathon gives a task (mesosphere/marathon src/main/scala/mesosphere/mesos/
 * TaskBuilder.scala `taskContextEnv`, `commandInfo`, and EnvironmentHelper.scala `portsEnv`,
 * `labelsToEnvVars`): MESOS_TASK_ID, MARATHON_APP_ID, MARATHON_APP_VERSION,
 * MARATHON_APP_RESOURCE_{CPUS,MEM,DISK,GPUS} (as Scala prints a Double: `32.0`),
 * MARATHON_APP_DOCKER_IMAGE for Docker apps, MARATHON_APP_LABELS and MARATHON_APP_LABEL_<NAME>,
 * then the ports (PORT0…, PORT, PORTS, PORT_<number>, PORT_<NAME>) and HOST, and last the app's
 * own `env`, which overrides any of them.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { javaDouble } from "../../schemas/marathon/app-validation.ts";

/** Marathon's limit on a variable's length; labels whose key or value is longer are left out. */
const MAX_ENV_LENGTH = 512;
const LABEL_PREFIX = "MARATHON_APP_LABEL_";

/** The ports an app declares: its port definitions (host networking), or its port mappings. */
export function declaredPorts(app: MarathonApp): Array<{ port: number; name?: string }> {
  const mappings = app.container?.portMappings;
  if (mappings && mappings.length > 0) return mappings.map((m) => ({ port: m.containerPort, ...(m.name ? { name: m.name } : {}) }));
  return (app.portDefinitions ?? []).map((p) => ({ port: p.port, ...(p.name ? { name: p.name } : {}) }));
}

/** PORT0…, PORT_<requested or assigned>, PORT_<NAME>, PORT and PORTS for the host ports assigned. */
export function portsEnv(declared: ReadonlyArray<{ port: number; name?: string }>, hostPorts: readonly number[]): Record<string, string> {
  if (hostPorts.length === 0) return {};
  const env: Record<string, string> = {};
  hostPorts.forEach((p, i) => {
    env[`PORT${i}`] = String(p);
  });
  hostPorts.forEach((p, i) => {
    const requested = declared[i]?.port ?? 0;
    env[`PORT_${requested !== 0 ? requested : p}`] = String(p);
  });
  hostPorts.forEach((p, i) => {
    const name = declared[i]?.name;
    if (name) env[`PORT_${name.toUpperCase()}`] = String(p);
  });
  env.PORT = String(hostPorts[0]);
  env.PORTS = hostPorts.join(",");
  return env;
}

/** MARATHON_APP_LABELS (the escaped keys, space separated) and one MARATHON_APP_LABEL_<KEY> per label. */
export function labelsEnv(labels: Readonly<Record<string, string>>): Record<string, string> {
  const envName = (key: string) => key.replace(/[^a-zA-Z0-9_]+/g, "_").toUpperCase();
  const valid = Object.entries(labels).filter(([k, v]) => k.length < MAX_ENV_LENGTH - LABEL_PREFIX.length && v.length < MAX_ENV_LENGTH);
  const env: Record<string, string> = { MARATHON_APP_LABELS: valid.map(([k]) => envName(k)).join(" ") };
  for (const [k, v] of valid) env[`${LABEL_PREFIX}${envName(k)}`] = v;
  return env;
}

/** What a task of `app` is launched with: its id, the app version's text, its agent's hostname and host ports. */
export interface TaskEnvInput {
  taskId: string;
  /** The app version as Marathon writes it (ISO 8601, UTC). */
  version: string;
  host: string;
  hostPorts: readonly number[];
}

/** The task's environment, in Marathon's order of precedence (the app's `env` last, overriding). */
export function taskEnv(app: MarathonApp, input: TaskEnvInput): Record<string, string> {
  const image = app.container?.docker?.image;
  return {
    MESOS_TASK_ID: input.taskId,
    MARATHON_APP_ID: app.id,
    MARATHON_APP_VERSION: input.version,
    ...(image !== undefined ? { MARATHON_APP_DOCKER_IMAGE: image } : {}),
    MARATHON_APP_RESOURCE_CPUS: javaDouble(app.cpus),
    MARATHON_APP_RESOURCE_MEM: javaDouble(app.mem),
    MARATHON_APP_RESOURCE_DISK: javaDouble(app.disk),
    MARATHON_APP_RESOURCE_GPUS: String(app.gpus),
    ...labelsEnv(app.labels),
    ...portsEnv(declaredPorts(app), input.hostPorts),
    HOST: input.host,
    ...app.env,
  };
}
