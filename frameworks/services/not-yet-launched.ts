/**
 * The parts of an app definition the services framework reads but cannot carry out yet: rather
 * than keep an app whose containers, readiness checks, Marathon-run health checks (HTTP, HTTPS,
 * TCP) or host path volumes would silently not happen, it is refused (422, Marathon's "Object is not valid" shape) naming each such field, as is a resident app
 * whose role is `*` (when the framework's role is given). docs/services.md
 * lists what is not built yet. Strata's own labels with a value it cannot read (the deployment
 * deadline's, deployment-deadline.ts) are refused here too.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { type MarathonRefusal, objectNotValid } from "../../schemas/marathon/marathon-error.ts";
import { deadlineLabelProblems } from "./deployment-deadline.ts";
import { isResidentApp } from "./service-records.ts";
import { MARATHON_RUN_CHECK, marathonRunChecks } from "./task-health.ts";

/** Marathon's refusal of a resident app whose role is `*` (AppsResourceTest: dynamic reservations need a role other than `*`). */
export const RESIDENT_STAR_ROLE = "Resident apps cannot have the role *";

/** The words of each refusal. */
export const NOT_YET_BUILT = "not supported by Strata's services framework yet (see docs/services.md, 'Not yet built')";

/** The refusal of the fields of `app` that cannot be run yet, or undefined when it can run as it is. */
export function notYetLaunched(app: MarathonApp, frameworkRole?: string): MarathonRefusal | undefined {
  const paths: string[] = [];
  const c = app.container;
  // Local persistent volumes (resident apps, resident-planner.ts) run; host path volumes do not yet.
  const hostVolumes = (c?.volumes ?? []).some((v) => v.persistent === undefined);
  if (c && (c.type !== "MESOS" || c.docker !== undefined || hostVolumes || (c.portMappings?.length ?? 0) > 0)) paths.push("/container");
  if (app.networks.some((n) => n.mode !== "host")) paths.push("/networks");
  if (app.readinessChecks.length > 0) paths.push("/readinessChecks");
  const problems: Array<readonly [string, string]> = paths.map((p) => [p, NOT_YET_BUILT] as const);
  if (frameworkRole !== undefined && isResidentApp(app) && (app.role ?? frameworkRole) === "*") problems.push(["/role", RESIDENT_STAR_ROLE]);
  for (const i of marathonRunChecks(app.healthChecks)) problems.push([`/healthChecks(${i})/protocol`, MARATHON_RUN_CHECK]);
  problems.push(...deadlineLabelProblems(app.labels)); // Strata's own labels, read by the services framework
  return problems.length > 0 ? objectNotValid(problems) : undefined;
}
