/** The header the Worker names the master's origin in (as the client reached it) when it forwards a Marathon API request. */
export const SERVICES_ORIGIN_HEADER = "strata-origin";
