/**
 * Where a Strata master listens when nothing says otherwise: `wrangler dev` and the
 * local-cluster starter serve it there, so agents and example frameworks default to it.
 */
export const DEFAULT_MASTER_URL = "http://127.0.0.1:8787";
