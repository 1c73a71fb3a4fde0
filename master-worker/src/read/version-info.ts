/** `version_info` (GET_VERSION, `/version` of the object): the version this master runs. */
import { STRATA_VERSION as VERSION } from "../../../sdk/src/version.ts";

/** `version_info` (GET_VERSION, `/version`). */
export const versionInfo = () => ({ version: VERSION, build_user: "strata" });
