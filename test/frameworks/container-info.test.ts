import { describe, expect, it } from "vitest";
import {
  BRIDGE_NEEDS_DOCKER,
  CONTAINER_NETWORKS,
  containerProblems,
  DOCKER_PERSISTENT_VOLUMES,
  dockerParameterUnsupported,
  MESOS_DOCKER_IMAGE,
  MESOS_HOST_VOLUMES,
} from "../../frameworks/services/container-info.ts";
import { notYetLaunched } from "../../frameworks/services/not-yet-launched.ts";
import { planOffers } from "../../frameworks/services/offer-planner.ts";
import { tasksText } from "../../frameworks/services/tasks-api.ts";
import { app, instance, offer, record, stateOf, uuids } from "../support/services-fixtures.ts";

const ctx = () => ({ nowMs: 10_000, uuid: uuids(), role: "*" });
const envOf = (task: { command?: { environment?: { variables?: Array<{ name: string; value?: string }> } } }) =>
  Object.fromEntries((task.command?.environment?.variables ?? []).map((v) => [v.name, v.value]));
const base = { id: "/web", cpus: 0.1, mem: 32 };
const image = "strata-test/busybox:latest";

/** The first task planned for `definition` on one offer of ports 31000-31009. */
function firstTask(definition: Record<string, unknown>) {
  const plan = planOffers(stateOf([record(definition)]), [offer("o1", "a1", "host1")], ctx());
  return { task: plan.launches[0]!.tasks[0]!, instance: plan.launches[0]!.instances[0]! };
}

describe("Docker apps' tasks (Marathon's TaskBuilder and ContainerSerializer)", () => {
  it("runs a bridged app's image with each port mapping published on a host port of the offer", () => {
    const { task, instance } = firstTask({
      ...base,
      cmd: "httpd -f -p 8080",
      container: {
        type: "DOCKER",
        docker: { image, forcePullImage: true, parameters: [{ key: "env", value: "A=1" }] },
        portMappings: [
          { containerPort: 8080, hostPort: 0, name: "http" },
          { containerPort: 0, hostPort: 0, name: "any" },
          { containerPort: 53, hostPort: 31005, protocol: "udp,tcp" },
        ],
        volumes: [{ containerPath: "/data", hostPath: "/srv/data", mode: "RO" }],
      },
      networks: [{ mode: "container/bridge" }],
    });
    expect(task.container).toEqual({
      type: "DOCKER",
      docker: {
        image,
        network: "BRIDGE",
        port_mappings: [
          { host_port: 31000, container_port: 8080, protocol: "tcp" },
          { host_port: 31001, container_port: 31001, protocol: "tcp" },
          { host_port: 31005, container_port: 53, protocol: "udp" },
          { host_port: 31005, container_port: 53, protocol: "tcp" },
        ],
        privileged: false,
        parameters: [
          { key: "env", value: "A=1" },
          { key: "label", value: `MESOS_TASK_ID=${task.task_id.value}` },
        ],
        force_pull_image: true,
      },
      volumes: [{ container_path: "/data", host_path: "/srv/data", mode: "RO" }],
    });
    expect(task.command).toMatchObject({ shell: true, value: "httpd -f -p 8080" });
    expect(task.resources.find((r) => r.name === "ports")?.ranges?.range).toEqual([
      { begin: 31000, end: 31001 },
      { begin: 31005, end: 31005 },
    ]);
    expect(instance.ports).toEqual([31000, 31001, 31005]);
    expect(envOf(task)).toMatchObject({
      PORT0: "31000",
      PORT1: "31001",
      PORT2: "31005",
      PORT_8080: "31000",
      PORT_31001: "31001",
      PORT_53: "31005",
      PORT_HTTP: "31000",
      PORT_ANY: "31001",
      PORTS: "31000,31001,31005",
      HOST: "host1",
      MARATHON_APP_DOCKER_IMAGE: image,
    });
  });

  it("reads the deprecated docker.network BRIDGE and docker.portMappings as Marathon 1.5+ does", () => {
    const { task } = firstTask({
      ...base,
      cmd: "httpd -f -p 8080",
      container: { type: "DOCKER", docker: { image, network: "BRIDGE", portMappings: [{ containerPort: 8080 }] } },
    });
    expect(task.container?.docker).toMatchObject({ network: "BRIDGE", port_mappings: [{ host_port: 31000, container_port: 8080, protocol: "tcp" }] });
  });

  it("reads the deprecated docker.network HOST as host networking: the app's port definitions, no port mappings", () => {
    const { task } = firstTask({ ...base, cmd: "sleep 60", container: { type: "DOCKER", docker: { image, network: "HOST" } } });
    expect(task.container?.docker?.network).toBe("HOST");
    expect(task.container?.docker?.port_mappings).toBeUndefined();
    expect(envOf(task)).toMatchObject({ PORT0: "31000" });
  });

  it("runs a host-networked Docker app with its port definitions' ports and no port mappings", () => {
    const { task, instance } = firstTask({ ...base, cmd: "sleep 60", container: { docker: { image } }, portDefinitions: [{ port: 0 }, { port: 0 }] });
    expect(task.container).toEqual({
      type: "DOCKER",
      docker: {
        image,
        network: "HOST",
        privileged: false,
        parameters: [{ key: "label", value: `MESOS_TASK_ID=${task.task_id.value}` }],
        force_pull_image: false,
      },
    });
    expect(instance.ports).toEqual([31000, 31001]);
  });

  it.each([
    ["args go to the image's entrypoint", { args: ["-f", "-p", "80"] }, { shell: false, arguments: ["-f", "-p", "80"] }],
    ["no cmd nor args runs the image as built", {}, { shell: false }],
  ])("gives a Docker task Marathon's command: %s", (_name, what, command) => {
    const { task } = firstTask({ ...base, ...what, container: { docker: { image } } });
    expect(task.command).toMatchObject(command);
    expect(task.command?.value).toBeUndefined();
    if (!("arguments" in command)) expect(task.command?.arguments).toBeUndefined();
  });

  it("needs a fixed host port of a mapping in the offer", () => {
    const fixed = { ...base, cmd: "x y", container: { docker: { image, network: "BRIDGE", portMappings: [{ containerPort: 80, hostPort: 40000 }] } } };
    expect(planOffers(stateOf([record(fixed)]), [offer("o1", "a1", "host1")], ctx())).toMatchObject({ launches: [], declines: ["o1"] });
  });

  it("lists a bridged app's tasks under its port mappings' service ports", () => {
    const r = record({ ...base, cmd: "x y", container: { docker: { image, network: "BRIDGE", portMappings: [{ containerPort: 80, servicePort: 10001 }] } } });
    const text = tasksText(stateOf([r], [instance("t1", "/web", { ports: [31000] })]), [r]);
    expect(text).toBe("web\t10001\thost1:31000\t\n");
  });
});

describe("containerProblems: what Strata's agent cannot run", () => {
  it.each([
    ["a Docker image in a Mesos container", { container: { type: "MESOS", docker: { image } } }, [["/container/docker", MESOS_DOCKER_IMAGE]]],
    [
      "a host volume in a Mesos container",
      { container: { type: "MESOS", volumes: [{ containerPath: "/a", hostPath: "/b", mode: "RW" }] } },
      [["/container/volumes(0)", MESOS_HOST_VOLUMES]],
    ],
    ["a named container network", { container: { docker: { image } }, networks: [{ mode: "container", name: "dcos" }] }, [["/networks", CONTAINER_NETWORKS]]],
    ["the bridge without a Docker container", { networks: [{ mode: "container/bridge" }] }, [["/networks", BRIDGE_NEEDS_DOCKER]]],
    [
      "a docker parameter the agent does not apply",
      {
        container: {
          docker: {
            image,
            parameters: [
              { key: "env", value: "A=1" },
              { key: "cap-add", value: "NET_ADMIN" },
            ],
          },
        },
      },
      [["/container/docker/parameters(1)/key", dockerParameterUnsupported("cap-add")]],
    ],
    [
      "a persistent volume in a Docker container",
      { container: { type: "DOCKER", docker: { image }, volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 10 } }] }, role: "r" },
      [["/container/volumes(0)", DOCKER_PERSISTENT_VOLUMES]],
    ],
    ["nothing for a bridged Docker app", { container: { docker: { image, network: "BRIDGE" } } }, []],
    ["nothing for a Mesos container without an image or host volumes", { container: { type: "MESOS" } }, []],
  ])("%s", (_name, extra, problems) => {
    expect(containerProblems(app({ ...base, cmd: "sleep 60", ...extra }))).toEqual(problems);
  });

  it("is the services API's 422 refusal, in Marathon's shape", () => {
    expect(notYetLaunched(app({ ...base, cmd: "sleep 60", container: { type: "MESOS", docker: { image } } }))).toEqual({
      status: 422,
      body: { message: "Object is not valid", details: [{ path: "/container/docker", errors: [MESOS_DOCKER_IMAGE] }] },
    });
    expect(
      notYetLaunched(
        app({ ...base, cmd: "sleep 60", container: { docker: { image }, portMappings: [{ containerPort: 80 }] }, networks: [{ mode: "container/bridge" }] }),
      ),
    ).toBeUndefined();
  });
});
