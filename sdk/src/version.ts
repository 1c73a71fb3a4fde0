/** Strata's release, reported by the master (`/version`, `master_info`) and by agents. */
export const STRATA_VERSION = "0.1.0";
