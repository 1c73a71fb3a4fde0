/** The header the Worker names the master's origin in (as the client reached it) when it forwards a Marathon API request. */
export const SERVICES_ORIGIN_HEADER = "strata-origin";
/** The header the Worker names the client's address in when it forwards a request to the services object (events' `clientIp`, `remoteAddress`). */
export const SERVICES_CLIENT_HEADER = "x-strata-services-client";

/** `host:port` of the master's origin, as Marathon names its leader. */
export function leaderHostPort(origin: string): string {
  const url = new URL(origin);
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
}
