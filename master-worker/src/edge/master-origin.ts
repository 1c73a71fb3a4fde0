/**
 * How the master learns its own address: it has none of its own (a Durable Object listens on no
 * port), so it takes the origin the Worker saw on the first forwarded request and shows it as
 * Mesos' MasterInfo (`hostname`, `ip`, `port`, `pid`, `address`) from then on.
 */
import type { MasterInfo } from "../../../schemas/index.ts";

/** A dotted IPv4 address as Mesos' MasterInfo `ip` (one integer); 0 for anything else (a name). */
export function ipv4ToInt(host: string): number {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Sets `holder.masterInfo`'s address from `origin` (a URL's origin), unless it already has a port. */
export function learnOrigin(holder: { masterInfo: MasterInfo }, origin: string): void {
  if (holder.masterInfo.port) return;
  const url = new URL(origin);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  holder.masterInfo = {
    ...holder.masterInfo,
    hostname: url.hostname,
    ip: ipv4ToInt(url.hostname),
    port,
    pid: `master@${url.hostname}:${port}`,
    address: { hostname: url.hostname, ip: url.hostname, port },
  };
}
