/**
 * The services framework's settings, from the Worker's environment (README "Configuration"):
 * `STRATA_SERVICES_ROLE` (the role it subscribes with, default `*`), `STRATA_SERVICES_PRINCIPAL`
 * (the principal of `STRATA_CREDENTIALS` it authenticates as; default the first one listed) and
 * `STRATA_SERVICES_USER` (the user tasks run as when an app names none, default `root`, as
 * Marathon's `--mesos_user` defaults to the user it runs as) and
 * `STRATA_SERVICES_MAX_INSTANCES_PER_OFFER` (Marathon's `--max_instances_per_offer`; no limit by
 * default: Marathon's 5 made a 10,000-instance launch 2.5 times slower here, BENCHMARKS.md).
 */

/** The settings the object runs with. */
export interface ServicesSettings {
  role: string;
  principal?: string;
  user: string;
  /** At most this many instances launched on one offer (none: no limit). */
  maxInstancesPerOffer?: number;
}

const text = (env: Record<string, unknown>, name: string): string | undefined => {
  const v = env[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
};

/**
 * Reads the settings (the master refuses a bad role when the framework subscribes, naming it); a
 * `STRATA_SERVICES_MAX_INSTANCES_PER_OFFER` that is not a whole number from 1 to 1,000 is an
 * error naming it.
 */
export function readServicesSettings(env: Record<string, unknown>): ServicesSettings {
  const principal = text(env, "STRATA_SERVICES_PRINCIPAL");
  const perOffer = text(env, "STRATA_SERVICES_MAX_INSTANCES_PER_OFFER");
  if (perOffer !== undefined && !(/^\d+$/.test(perOffer) && Number(perOffer) >= 1 && Number(perOffer) <= 1_000)) {
    throw new Error(`STRATA_SERVICES_MAX_INSTANCES_PER_OFFER: expected a whole number from 1 to 1000, got '${perOffer}'`);
  }
  return {
    role: text(env, "STRATA_SERVICES_ROLE") ?? "*",
    user: text(env, "STRATA_SERVICES_USER") ?? "root",
    ...(perOffer !== undefined ? { maxInstancesPerOffer: Number(perOffer) } : {}),
    ...(principal ? { principal } : {}),
  };
}
