/**
 * The services framework's settings, from the Worker's environment (README "Configuration"):
 * `STRATA_SERVICES_ROLE` (the role it subscribes with, default `*`), `STRATA_SERVICES_PRINCIPAL`
 * (the principal of `STRATA_CREDENTIALS` it authenticates as; default the first one listed) and
 * `STRATA_SERVICES_USER` (the user tasks run as when an app names none, default `root`, as
 * Marathon's `--mesos_user` defaults to the user it runs as).
 */

/** The settings the object runs with. */
export interface ServicesSettings {
  role: string;
  principal?: string;
  user: string;
}

const text = (env: Record<string, unknown>, name: string): string | undefined => {
  const v = env[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
};

/** Reads the settings (the master refuses a bad role when the framework subscribes, naming it). */
export function readServicesSettings(env: Record<string, unknown>): ServicesSettings {
  const principal = text(env, "STRATA_SERVICES_PRINCIPAL");
  return {
    role: text(env, "STRATA_SERVICES_ROLE") ?? "*",
    user: text(env, "STRATA_SERVICES_USER") ?? "root",
    ...(principal ? { principal } : {}),
  };
}
