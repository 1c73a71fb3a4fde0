import { describe, expect, it } from "vitest";
import { assignServicePorts, servicePortsOf } from "../../frameworks/services/service-ports.ts";
import { serveApi } from "../../frameworks/services/services-api.ts";
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import { apiRequest, app, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ports = (id: string, p: number[]) => app({ id, cmd: "sleep 1", portDefinitions: p.map((port) => ({ port })) });
const bridged = (id: string, servicePorts: number[]) =>
  app({
    id,
    container: { type: "DOCKER", docker: { image: "busybox" }, portMappings: servicePorts.map((servicePort, n) => ({ containerPort: 80 + n, servicePort })) },
    networks: [{ mode: "container/bridge" }],
  });
const assigned = (changed: MarathonApp[], previous: MarathonApp[] = [], others: MarathonApp[] = [], range?: { min: number; max: number }) => {
  const r = assignServicePorts(changed, (id) => previous.find((a) => a.id === id), others, range);
  if (!r.ok) throw new Error(r.message);
  return r.apps.map(servicePortsOf);
};

describe("service port assignment (Marathon's AssignDynamicServiceLogic)", () => {
  it.each([
    ["a definition's default port (0) takes the range's first port", [ports("/a", [0])], [], [], [[10000]]],
    ["two zeros take two ports", [ports("/a", [0, 0])], [], [], [[10000, 10001]]],
    ["named ports are kept and not given again", [ports("/a", [10000, 0])], [], [], [[10000, 10001]]],
    ["ports of other apps are skipped", [ports("/b", [0])], [], [ports("/a", [10000, 10002])], [[10001]]],
    ["an update with zeros takes its earlier ports back", [ports("/a", [0, 0])], [ports("/a", [10005, 10007])], [ports("/x", [10000])], [[10005, 10007]]],
    ["an update keeps a named port and reuses the other", [ports("/a", [10007, 0])], [ports("/a", [10005, 10007])], [], [[10007, 10005]]],
    ["a port outside the range is not reused", [ports("/a", [0])], [ports("/a", [8080])], [], [[10000]]],
    ["two new apps take different ports", [ports("/a", [0]), ports("/b", [0])], [], [], [[10000], [10001]]],
    ["port mappings' servicePort 0 is assigned", [bridged("/d", [0, 12000])], [], [], [[10000, 12000]]],
    ["an app without ports is left alone", [ports("/a", [])], [], [], [[]]],
  ])("%s", (_what, changed, previous, others, expected) => {
    expect(assigned(changed, previous, others)).toEqual(expected);
  });

  it("puts the assigned ports in the definition (portDefinitions[].port, portMappings[].servicePort)", () => {
    const r = assignServicePorts([ports("/a", [0]), bridged("/d", [0])], () => undefined, []);
    expect(r.ok && r.apps[0]!.portDefinitions![0]!.port).toBe(10000);
    expect(r.ok && r.apps[1]!.container!.portMappings![0]!.servicePort).toBe(10001);
  });

  it("a port reserved by an app's previous version is not given to another app", () => {
    const r = assignServicePorts([ports("/a", [10009]), ports("/b", [0])], (id) => (id === "/a" ? ports("/a", [10000]) : undefined), [], {
      min: 10000,
      max: 10002,
    });
    expect(r.ok && r.apps.map(servicePortsOf)).toEqual([[10009], [10001]]);
  });

  it("says so when the range is used up", () => {
    const r = assignServicePorts([ports("/a", [0, 0])], () => undefined, [], { min: 10000, max: 10001 });
    expect(r).toEqual({ ok: false, message: "All ports in the range 10000-10001 are already in use" });
  });
});

describe("the API assigns service ports to the definitions it stores", () => {
  const req = apiRequest;
  const ctx = { nowMs: 50_000, uuid: uuids(), role: "*", user: "root" };

  it("POST /v2/apps answers and stores the assigned ports; the next app gets the next port; a scale change keeps them", () => {
    const state = stateOf([record({ id: "/a", cmd: "sleep 1", portDefinitions: [{ port: 10000 }] })]);
    const created = serveApi(state, req("POST", "/v2/apps", { id: "/b", cmd: "sleep 1", portDefinitions: [{ port: 0 }, { port: 0 }] }), ctx);
    expect(created.answer.status).toBe(201);
    expect((created.answer.json as { portDefinitions: { port: number }[] }).portDefinitions.map((p) => p.port)).toEqual([10001, 10002]);
    expect(servicePortsOf(created.changes!.apps[0]!.app)).toEqual([10001, 10002]);
    const put = serveApi(state, req("PUT", "/v2/apps/c", { cmd: "sleep 1" }), ctx);
    expect(servicePortsOf(put.changes!.apps[0]!.app)).toEqual([10001]); // the default port definition
  });

  it("a bulk PUT gives each new app its own ports", () => {
    const { changes } = serveApi(
      stateOf([]),
      req("PUT", "/v2/apps", [
        { id: "/x", cmd: "sleep 1" },
        { id: "/y", cmd: "sleep 1" },
      ]),
      ctx,
    );
    expect(changes?.apps.map((r) => servicePortsOf(r.app))).toEqual([[10000], [10001]]);
  });
});
