/**
 * The parts of an app definition the services framework reads but cannot carry out yet: rather
 * than keep an app whose containers (those the agent cannot run: container-info.ts), Marathon-run health checks (HTTP, HTTPS,
 * TCP) or volumes would silently not happen, it is refused (422, Marathon's "Object is not valid" shape) naming each such field. docs/services.md
 * lists what is not built yet.
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { type MarathonRefusal, objectNotValid } from "../../schemas/marathon/marathon-error.ts";
import { containerProblems } from "./container-info.ts";
import { MARATHON_RUN_CHECK, marathonRunChecks } from "./task-health.ts";

/** The words of each refusal. */
export const NOT_YET_BUILT = "not supported by Strata's services framework yet (see docs/services.md, 'Not yet built')";

/** The refusal of the fields of `app` that cannot be run yet, or undefined when it can run as it is. */
export function notYetLaunched(app: MarathonApp): MarathonRefusal | undefined {
  const paths: string[] = [];
  if (app.residency) paths.push("/residency");
  const problems: Array<readonly [string, string]> = paths.map((p) => [p, NOT_YET_BUILT] as const);
  problems.push(...containerProblems(app));
  for (const i of marathonRunChecks(app.healthChecks)) problems.push([`/healthChecks(${i})/protocol`, MARATHON_RUN_CHECK]);
  return problems.length > 0 ? objectNotValid(problems) : undefined;
}
