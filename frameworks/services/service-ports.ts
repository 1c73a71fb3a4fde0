/**
 * Service ports: the cluster-wide port a load balancer (marathon-lb, Strata's HAProxy routing)
 * serves an app on. A definition that leaves a service port 0 (`portDefinitions[].port`, or a
 * port mapping's `servicePort`) is given one from the range `[10000, 20000)` (Marathon's
 * `--local_port_min`/`--local_port_max` defaults), unused by any app. As Marathon does
 * (src/main/scala/mesosphere/marathon/core/group/impl/AssignDynamicServiceLogic.scala): an
 * updated app takes first the ports in the range its previous version had and the new one no
 * longer names, so re-posting a definition with zeros keeps its ports; ports named explicitly
 * are kept as they are. Only new or changed apps are assigned; the others are left alone. When
 * the range is used up the change is refused (Marathon's PortRangeExhaustedException message).
 */
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import type { AppRecord, ServicesState } from "./service-records.ts";

/** Marathon's default service port range: `min` included, `max` excluded. */
export const SERVICE_PORT_RANGE = { min: 10_000, max: 20_000 } as const;

/** The service ports of `app`, in port order (0 where none is assigned yet). */
export function servicePortsOf(app: MarathonApp): number[] {
  const mappings = app.container?.portMappings ?? [];
  if (mappings.length > 0) return mappings.map((m) => m.servicePort);
  return (app.portDefinitions ?? []).map((p) => p.port);
}

/** `app` with `ports` as its service ports (in the order of servicePortsOf). */
function withServicePorts(app: MarathonApp, ports: readonly number[]): MarathonApp {
  const mappings = app.container?.portMappings ?? [];
  if (mappings.length > 0) return { ...app, container: { ...app.container!, portMappings: mappings.map((m, n) => ({ ...m, servicePort: ports[n]! })) } };
  if (app.portDefinitions) return { ...app, portDefinitions: app.portDefinitions.map((p, n) => ({ ...p, port: ports[n]! })) };
  return app;
}

/** The outcome: the apps with their ports assigned, or the range ran out. */
export type PortAssignment = { ok: true; apps: MarathonApp[] } | { ok: false; message: string };

/**
 * Assigns the dynamic (0) service ports of `changed` (new or updated definitions). `previous`
 * gives an updated app's earlier definition; `others` are every other app kept (their ports are
 * taken).
 */
export function assignServicePorts(
  changed: readonly MarathonApp[],
  previous: (id: string) => MarathonApp | undefined,
  others: Iterable<MarathonApp>,
  range: { min: number; max: number } = SERVICE_PORT_RANGE,
): PortAssignment {
  const used = new Set<number>();
  for (const app of others) for (const p of servicePortsOf(app)) used.add(p);
  for (const app of changed) {
    for (const p of servicePortsOf(app)) used.add(p);
    for (const p of servicePortsOf(previous(app.id) ?? app)) used.add(p);
  }
  let next = range.min;
  const fresh = (): number | undefined => {
    while (next < range.max && used.has(next)) next++;
    if (next >= range.max) return undefined;
    used.add(next);
    return next++;
  };
  const out: MarathonApp[] = [];
  for (const app of changed) {
    const ports = servicePortsOf(app);
    if (!ports.includes(0)) {
      out.push(app);
      continue;
    }
    const named = new Set(ports);
    const old = previous(app.id);
    const reusable = (old ? servicePortsOf(old) : []).filter((p) => p >= range.min && p < range.max && !named.has(p));
    const assigned: number[] = [];
    for (const p of ports) {
      if (p !== 0) {
        assigned.push(p);
        continue;
      }
      const port = reusable.shift() ?? fresh();
      if (port === undefined) return { ok: false, message: `All ports in the range ${range.min}-${range.max} are already in use` };
      assigned.push(port);
    }
    out.push(withServicePorts(app, assigned));
  }
  return { ok: true, apps: out };
}

/**
 * `changes` (apps stored by one API change) with their dynamic service ports assigned against
 * `state`'s other apps, or the refusal when the range is used up.
 */
export function withAssignedPorts<C extends { apps: AppRecord[]; removedApps: string[] }>(
  state: Pick<ServicesState, "apps">,
  changes: C,
): C | { refused: string } {
  // New definitions only (a creation or a configuration change): a scale change keeps the definition as it was.
  const fresh = changes.apps.filter((r) => r.lastConfigChangeAt === r.version && servicePortsOf(r.app).includes(0));
  if (fresh.length === 0) return changes;
  const changed = new Set(changes.apps.map((r) => r.app.id));
  const others = [...state.apps.values()].filter((r) => !changed.has(r.app.id) && !changes.removedApps.includes(r.app.id)).map((r) => r.app);
  others.push(...changes.apps.filter((r) => !fresh.includes(r)).map((r) => r.app));
  const assigned = assignServicePorts(
    fresh.map((r) => r.app),
    (id) => state.apps.get(id)?.app,
    others,
  );
  if (!assigned.ok) return { refused: assigned.message };
  const byId = new Map(assigned.apps.map((a) => [a.id, a]));
  return { ...changes, apps: changes.apps.map((r) => (fresh.includes(r) ? { ...r, app: byId.get(r.app.id)! } : r)) } as C;
}
