/**
 * Choosing host ports from an offer's `ports` ranges. A request lists one entry per port: a port
 * number asks for exactly that port, 0 for any free one. Ports are taken lowest first, from the
 * offer's entries in order (Marathon's PortsMatcher picks dynamic ports at random; a planner has
 * no randomness, and lowest-first is as good for the agent). Sources: mesosphere/marathon
 * src/main/scala/mesosphere/mesos/RunSpecOfferMatcher.scala (`requirePorts`) and
 * src/main/scala/mesosphere/mesos/PortsMatcher.scala.
 */
import type { Resource } from "../../schemas/mesos.ts";
import { normalize } from "../../sdk/src/resources.ts";

/**
 * The host ports an app asks for: with `requirePorts` its port numbers exactly (0 still meaning
 * any), without it one free port per port number (Marathon: `if (requirePorts) portNumbers else
 * portNumbers.map(_ => 0)`). Docker `portMappings` pass their `hostPort`s as they are.
 */
export function hostPortsOf(portNumbers: readonly number[], requirePorts: boolean): number[] {
  return requirePorts ? [...portNumbers] : portNumbers.map(() => 0);
}

/** Ports chosen from an offer: the port for each request entry, and the resources that carry them. */
export interface ChosenPorts {
  /** One port per requested entry, in the request's order. */
  hostPorts: number[];
  /** The offer's `ports` entries cut down to the chosen ports (role, reservation and allocation_info kept). */
  resources: Resource[];
}

/**
 * Chooses `wanted` ports (0 = any) from the RANGES `ports` entries of `available`; undefined when
 * the offer cannot give them all (a fixed port missing or asked twice, too few free ports).
 */
export function choosePorts(available: readonly Resource[], wanted: readonly number[]): ChosenPorts | undefined {
  const entries = available.filter((r) => r.name === "ports" && r.type === "RANGES");
  const taken = new Map<number, Resource>(); // port → the offer entry it comes from
  const holder = (port: number) => entries.find((r) => (r.ranges?.range ?? []).some((x) => x.begin <= port && port <= x.end));
  const hostPorts: number[] = [];
  for (const port of wanted) {
    if (port === 0) {
      hostPorts.push(0);
      continue;
    }
    const from = holder(port);
    if (!from || taken.has(port)) return undefined;
    taken.set(port, from);
    hostPorts.push(port);
  }
  for (let i = 0; i < hostPorts.length; i++) {
    if (hostPorts[i] !== 0) continue;
    const pick = freePort(entries, (p) => taken.has(p)); // the fixed ports are taken already
    if (!pick) return undefined;
    taken.set(pick.port, pick.from);
    hostPorts[i] = pick.port;
  }
  const pieces = [...taken].map(([port, from]): Resource => ({ ...from, ranges: { range: [{ begin: port, end: port }] } }));
  return { hostPorts, resources: normalize(pieces) };
}

/** The lowest port of the first entry that has one not `used`. */
function freePort(entries: readonly Resource[], used: (port: number) => boolean): { port: number; from: Resource } | undefined {
  for (const from of entries) {
    const rs = [...(from.ranges?.range ?? [])].sort((a, b) => a.begin - b.begin);
    for (const r of rs) for (let p = r.begin; p <= r.end; p++) if (!used(p)) return { port: p, from };
  }
  return undefined;
}
