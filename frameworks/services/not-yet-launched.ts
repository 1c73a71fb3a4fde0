/**
 * The parts of an app definition the services framework reads but cannot carry out yet: rather
 * than keep an app whose container (one the agent cannot run: container-info.ts) or Marathon-run
 * health checks (HTTP, HTTPS, TCP) would silently not happen, it is refused (422, Marathon's "Object is not valid" shape) naming each such field, as is a resident app
 * whose role is `*` (when the framework's role is given). docs/services.md
 * lists what is not built yet. Strata's own labels with a value it cannot read (the deployment
 * deadline's, deployment-deadline.ts) are refused here too.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { type MarathonRefusal, objectNotValid } from "../../schemas/marathon/marathon-error.ts";
import { containerProblems } from "./container-info.ts";
import { deadlineLabelProblems } from "./deployment-deadline.ts";
import { isResidentApp } from "./service-records.ts";
import { MARATHON_RUN_CHECK, marathonRunChecks } from "./task-health.ts";

/** Marathon's refusal of a resident app whose role is `*` (AppsResourceTest: dynamic reservations need a role other than `*`). */
export const RESIDENT_STAR_ROLE = "Resident apps cannot have the role *";

/** The refusal of the fields of `app` that cannot be run yet, or undefined when it can run as it is. */
export function notYetLaunched(app: MarathonApp, frameworkRole?: string): MarathonRefusal | undefined {
  const problems: Array<readonly [string, string]> = containerProblems(app);
  if (frameworkRole !== undefined && isResidentApp(app) && (app.role ?? frameworkRole) === "*") problems.push(["/role", RESIDENT_STAR_ROLE]);
  for (const i of marathonRunChecks(app.healthChecks)) problems.push([`/healthChecks(${i})/protocol`, MARATHON_RUN_CHECK]);
  problems.push(...deadlineLabelProblems(app.labels)); // Strata's own labels, read by the services framework
  return problems.length > 0 ? objectNotValid(problems) : undefined;
}
