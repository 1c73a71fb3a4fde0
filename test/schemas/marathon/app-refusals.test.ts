/**
 * Refused app definitions, in Marathon's words: JSON that does not parse (400, details the
 * parser's message), a field of the wrong shape (422 "Invalid JSON", play-json's key at the
 * field's path), a rule broken across fields (422 "Object is not valid"); every failing field is
 * listed at once; every string, list and map is bounded.
 */
import { describe, expect, it } from "vitest";
import { MAX_LIST_LENGTH, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from "../../../schemas/field-limits.ts";
import {
  CMD_ARGS_OR_CONTAINER,
  EXTERNAL_VOLUMES_DISABLED,
  isMarathonRefusal,
  type MarathonRefusal,
  parseAppDefinition,
  SECRETS_DISABLED,
} from "../../../schemas/marathon/index.ts";

/** The refusal a definition gets (fails the test when it is accepted). */
function refused(body: unknown): MarathonRefusal {
  const r = parseAppDefinition(body);
  if (!isMarathonRefusal(r)) throw new Error(`accepted: ${JSON.stringify(r.app)}`);
  return r;
}

const base = { id: "/app", cmd: "sleep 100" };

describe("JSON that does not parse", () => {
  it("is a 400 Invalid JSON whose details are the parser's message", () => {
    const r = refused('{"id":"/test"');
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("Invalid JSON");
    expect(typeof r.body.details).toBe("string");
    expect((r.body.details as string).length).toBeGreaterThan(0);
  });

  it("a body that is not an object is a 422 at the root", () => {
    expect(refused("[]")).toEqual({ status: 422, body: { message: "Invalid JSON", details: [{ path: "", errors: ["error.expected.jsobject"] }] } });
  });
});

describe("fields of the wrong shape: 422 Invalid JSON, play-json's key at the path", () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ["id a number (Marathon's own test)", { id: 123, cmd: "x y" }, "/id", "error.expected.jsstring"],
    ["id missing", { cmd: "x y" }, "/id", "error.path.missing"],
    ["cpus 0 (minimum 0.001)", { ...base, cpus: 0 }, "/cpus", "error.min"],
    ["cpus a string", { ...base, cpus: "1" }, "/cpus", "error.expected.jsnumber"],
    ["mem negative", { ...base, mem: -1 }, "/mem", "error.min"],
    ["disk negative", { ...base, disk: -0.5 }, "/disk", "error.min"],
    ["gpus a fraction", { ...base, gpus: 0.5 }, "/gpus", "error.expected.int"],
    ["instances negative", { ...base, instances: -1 }, "/instances", "error.min"],
    ["instances past int32", { ...base, instances: 2 ** 31 }, "/instances", "error.expected.int"],
    ["backoffFactor under 1", { ...base, backoffFactor: 0.5 }, "/backoffFactor", "error.min"],
    ["backoffSeconds negative", { ...base, backoffSeconds: -1 }, "/backoffSeconds", "error.min"],
    ["maxLaunchDelaySeconds negative", { ...base, maxLaunchDelaySeconds: -1 }, "/maxLaunchDelaySeconds", "error.min"],
    ["cmd empty", { id: "/app", cmd: "" }, "/cmd", "error.minLength"],
    ["requirePorts a string", { ...base, requirePorts: "True" }, "/requirePorts", "error.expected.jsboolean"],
    ["env value a number", { ...base, env: { A: 1 } }, "/env/A", "error.expected.jsstring"],
    ["labels a list", { ...base, labels: ["a"] }, "/labels", "error.expected.jsobject"],
    [
      "a constraint in the pods' object form (apps take arrays only)",
      { ...base, constraints: [{ fieldName: "hostname", operator: "UNIQUE" }] },
      "/constraints(0)",
      "error.expected.jsarray",
    ],
    ["a constraint of one field", { ...base, constraints: [["hostname"]] }, "/constraints(0)", "error.minLength"],
    ["a constraint of four fields", { ...base, constraints: [["a", "b", "c", "d"]] }, "/constraints(0)", "error.maxLength"],
    ["an unknown health check protocol", { ...base, healthChecks: [{ protocol: "FOO" }] }, "/healthChecks(0)/protocol", "error.unknown.enum.literal"],
    ["a negative health check interval", { ...base, healthChecks: [{ intervalSeconds: -1 }] }, "/healthChecks(0)/intervalSeconds", "error.min"],
    ["an unknown container type", { ...base, container: { type: "RKT" } }, "/container/type", "error.unknown.enum.literal"],
    ["a docker image empty", { ...base, container: { docker: { image: "" } } }, "/container/docker/image", "error.minLength"],
    ["a port past 65535", { ...base, portDefinitions: [{ port: 70000 }] }, "/portDefinitions(0)/port", "error.max"],
    ["a port name with capitals", { ...base, portDefinitions: [{ name: "HTTP" }] }, "/portDefinitions(0)/name", "error.pattern"],
    [
      "a volume without mode",
      { ...base, container: { type: "MESOS", volumes: [{ containerPath: "/a", hostPath: "/b" }] } },
      "/container/volumes(0)/mode",
      "error.path.missing",
    ],
    [
      "minimumHealthCapacity over 1",
      { ...base, upgradeStrategy: { minimumHealthCapacity: 1.5, maximumOverCapacity: 0 } },
      "/upgradeStrategy/minimumHealthCapacity",
      "error.max",
    ],
    [
      "upgradeStrategy without maximumOverCapacity",
      { ...base, upgradeStrategy: { minimumHealthCapacity: 1 } },
      "/upgradeStrategy/maximumOverCapacity",
      "error.path.missing",
    ],
    ["inactiveAfterSeconds negative", { ...base, unreachableStrategy: { inactiveAfterSeconds: -1 } }, "/unreachableStrategy/inactiveAfterSeconds", "error.min"],
    ["unreachableStrategy an unknown word", { ...base, unreachableStrategy: "never" }, "/unreachableStrategy", "error.unknown.enum.literal"],
    ["killSelection unknown", { ...base, killSelection: "RANDOM" }, "/killSelection", "error.unknown.enum.literal"],
    [
      "readiness status code under 100",
      { ...base, readinessChecks: [{ httpStatusCodesForReady: [99] }] },
      "/readinessChecks(0)/httpStatusCodesForReady(0)",
      "error.min",
    ],
    ["executor outside its pattern", { ...base, executor: "a//b" }, "/executor", "error.pattern"],
  ])("%s", (_what, body, path, error) => {
    const r = refused(body);
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ message: "Invalid JSON", details: [{ path, errors: [error] }] });
  });

  it("every failing field is listed at once", () => {
    const r = refused({ id: "/app", cmd: "run", cpus: 0, mem: -1, instances: "3", healthChecks: [{ protocol: "X" }] });
    expect(r.body).toEqual({
      message: "Invalid JSON",
      details: [
        { path: "/cpus", errors: ["error.min"] },
        { path: "/healthChecks(0)/protocol", errors: ["error.unknown.enum.literal"] },
        { path: "/instances", errors: ["error.expected.jsnumber"] },
        { path: "/mem", errors: ["error.min"] },
      ].sort((a, b) => order(r, a.path) - order(r, b.path)),
    });
  });
});

/** Where `path` appears among the refusal's details (keeps the test independent of field order). */
const order = (r: MarathonRefusal, path: string) => (r.body.details as Array<{ path: string }>).findIndex((d) => d.path === path);

describe("rules across fields: 422 Object is not valid", () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ["no cmd, args nor container (Marathon's own test)", { id: "/test" }, "/", CMD_ARGS_OR_CONTAINER],
    ["both cmd and args", { id: "/a", cmd: "run it", args: ["run"] }, "/", CMD_ARGS_OR_CONTAINER],
    ["a one-character cmd (Marathon's check is length > 1)", { id: "/a", cmd: "x" }, "/", "must not be an empty string"],
    ["an env secret", { ...base, env: { PW: { secret: "db" } } }, "/env/PW", SECRETS_DISABLED],
    ["secrets", { ...base, secrets: { db: { source: "db/pw" } } }, "/secrets", SECRETS_DISABLED],
    ["UNIQUE with a value", { ...base, constraints: [["hostname", "UNIQUE", "x"]] }, "/constraints(0)", "UNIQUE does not accept a value"],
    [
      "IS with a range",
      { ...base, constraints: [["rack", "IS", "[1-2]"]] },
      "/constraints(0)",
      "IS only supports Mesos text and float values (see http://mesos.apache.org/documentation/latest/attributes-resources/)",
    ],
    ["an empty field", { ...base, constraints: [["", "UNIQUE"]] }, "/constraints(0)", "illegal constraint specification"],
    ["MAX_PER without a value", { ...base, constraints: [["rack", "MAX_PER"]] }, "/constraints(0)", "MAX_PER requires an integer value"],
    [
      "GROUP_BY with a word",
      { ...base, constraints: [["rack", "GROUP_BY", "x"]] },
      "/constraints(0)",
      "GROUP BY must define an integer value or else no value at all",
    ],
    ["MAX_PER with a word", { ...base, constraints: [["rack", "MAX_PER", "x"]] }, "/constraints(0)", "MAX_PER requires an integer value"],
    ["LIKE without a value", { ...base, constraints: [["rack", "LIKE"]] }, "/constraints(0)", "LIKE and UNLIKE require a non-empty, regular expression value"],
    ["LIKE with a bad expression", { ...base, constraints: [["rack", "LIKE", "("]] }, "/constraints(0)", "is not a valid regular expression"],
    [
      "an unknown operator",
      { ...base, constraints: [["rack", "NEAR"]] },
      "/constraints(0)",
      "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER or UNLIKE",
    ],
    [
      "two Mesos health checks",
      { ...base, healthChecks: [{ protocol: "MESOS_HTTP" }, { protocol: "MESOS_TCP" }] },
      "/",
      "AppDefinition can contain at most one Mesos health check",
    ],
    [
      "an HTTP check past the ports",
      { ...base, healthChecks: [{ protocol: "HTTP", portIndex: 1 }] },
      "/healthChecks(0)",
      "Health check port indices must address an element of the ports array or container port mappings.",
    ],
    ["a COMMAND check without a command", { ...base, healthChecks: [{ protocol: "COMMAND" }] }, "/healthChecks(0)/command", "not defined"],
    ["two readiness checks", { ...base, portDefinitions: [{ name: "http-api" }], readinessChecks: [{}, {}] }, "/readinessChecks", "got 2, expected 1 or less"],
    [
      "a readiness check on an unknown port",
      { ...base, readinessChecks: [{ portName: "web" }] },
      "/readinessChecks(0)/portName",
      "No port definition reference for portName web",
    ],
    [
      "a readiness timeout not under its interval",
      { ...base, portDefinitions: [{ name: "http-api" }], readinessChecks: [{ intervalSeconds: 5, timeoutSeconds: 5 }] },
      "/readinessChecks(0)/timeoutSeconds",
      "got 5, expected less than 5",
    ],
    ["residency without persistent volumes", { ...base, residency: {} }, "/", "App must contain persistent volumes and define residency"],
    [
      "a resident app with an unreachable strategy",
      {
        ...base,
        container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 1 } }] },
        unreachableStrategy: { inactiveAfterSeconds: 1 },
      },
      "/",
      "unreachableStrategy must be disabled for resident tasks",
    ],
    [
      "a resident app over capacity",
      {
        ...base,
        container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 1 } }] },
        upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 1 },
      },
      "/upgradeStrategy/maximumOverCapacity",
      "got 1.0, expected 0.0",
    ],
    [
      "a persistent volume path with a slash",
      { ...base, container: { type: "MESOS", volumes: [{ containerPath: "a/b", mode: "RW", persistent: { size: 1 } }] } },
      "/container/volumes(0)/containerPath",
      'value must not contain "/"',
    ],
    [
      "a persistent volume of size 0",
      { ...base, container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 0 } }] } },
      "/container/volumes(0)/persistent/size",
      "got 0, expected more than 0",
    ],
    [
      "an external volume",
      { ...base, container: { type: "MESOS", volumes: [{ containerPath: "/d", mode: "RW", external: {} }] } },
      "/container/volumes(0)",
      EXTERNAL_VOLUMES_DISABLED,
    ],
    [
      "a host volume without hostPath",
      { ...base, container: { type: "MESOS", volumes: [{ containerPath: "/d", mode: "RO" }] } },
      "/container/volumes(0)/hostPath",
      "not defined",
    ],
    ["a DOCKER container without docker", { ...base, container: { type: "DOCKER" } }, "/container/docker", "not defined"],
    [
      "a container network without a name",
      { ...base, networks: [{ mode: "container" }] },
      "/",
      "Network name must be specified when container network is selected.",
    ],
    ["a host network with a name", { ...base, networks: [{ mode: "host", name: "x" }] }, "/networks", "Host networks may not have names or labels"],
    ["a bridge network with a name", { ...base, networks: [{ mode: "container/bridge", name: "x" }] }, "/networks", "Bridge networks may not have names"],
    ["one container network twice", { ...base, networks: [{ name: "a" }, { name: "a" }] }, "/networks", "Duplicate networks are not allowed"],
    [
      "host and bridge together",
      { ...base, networks: [{ mode: "host" }, { mode: "container/bridge" }] },
      "/networks",
      "May specify a single host network, single bridge network, or else 1-to-n container networks",
    ],
    [
      "port definitions on a bridge",
      { ...base, networks: [{ mode: "container/bridge" }], portDefinitions: [{ port: 0 }] },
      "/",
      "portDefinitions are only allowed with host-networking",
    ],
    [
      "port mappings on host networking",
      { ...base, networks: [{ mode: "host" }], container: { type: "MESOS", portMappings: [{ containerPort: 80 }] } },
      "/",
      "portMappings are not allowed with host-networking",
    ],
    ["two ports of one name", { ...base, portDefinitions: [{ name: "web" }, { name: "web" }] }, "/portDefinitions", "Port names must be unique."],
    ["two fixed ports alike", { ...base, portDefinitions: [{ port: 80 }, { port: 80 }] }, "/portDefinitions", "Ports must be unique."],
    ["uris and fetch", { ...base, uris: ["http://a/b"], fetch: [{ uri: "http://c/d" }] }, "/uris", "may not be set in conjunction with fetch"],
    ["no accepted roles", { ...base, acceptedResourceRoles: [] }, "/acceptedResourceRoles", "must not be empty"],
    [
      "GPUs in a Docker container",
      { id: "/g", gpus: 1, container: { type: "DOCKER", docker: { image: "i" } } },
      "/",
      "GPU resources only work with the Mesos containerizer",
    ],
    [
      "inactive after expunge",
      { ...base, unreachableStrategy: { inactiveAfterSeconds: 600, expungeAfterSeconds: 300 } },
      "/unreachableStrategy/inactiveAfterSeconds",
      "inactiveAfterSeconds (600) must be less or equal to expungeAfterSeconds, which is 300",
    ],
    [
      "inactive alone past the default expunge of 0",
      { ...base, unreachableStrategy: { inactiveAfterSeconds: 60 } },
      "/unreachableStrategy/inactiveAfterSeconds",
      "inactiveAfterSeconds (60) must be less or equal to expungeAfterSeconds, which is 0",
    ],
    [
      "a single-instance app sending a strategy above 0",
      { ...base, labels: { MARATHON_SINGLE_INSTANCE_APP: "true" }, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } },
      "/upgradeStrategy/minimumHealthCapacity",
      "got 0.5, expected 0.0",
    ],
    [
      "a single-instance app of two",
      { ...base, instances: 2, labels: { MARATHON_SINGLE_INSTANCE_APP: "true" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } },
      "/",
      "Single instance app may only have one instance",
    ],
    [
      "a bad dependency id",
      { ...base, dependencies: ["/a-.b"] },
      "/dependencies(0)",
      "must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'",
    ],
  ])("%s", (_what, body, path, error) => {
    const r = refused(body);
    expect(r.status).toBe(422);
    expect(r.body.message).toBe("Object is not valid");
    expect(r.body.details).toContainEqual({ path, errors: [error] });
  });

  it("every broken rule is listed, errors of one path together", () => {
    const r = refused({ id: "/a", env: { PW: { secret: "x" } }, constraints: [["h", "UNIQUE", "v"]], acceptedResourceRoles: [] });
    expect(r.body).toEqual({
      message: "Object is not valid",
      details: [
        { path: "/", errors: [CMD_ARGS_OR_CONTAINER] },
        { path: "/acceptedResourceRoles", errors: ["must not be empty"] },
        { path: "/constraints(0)", errors: ["UNIQUE does not accept a value"] },
        { path: "/env/PW", errors: [SECRETS_DISABLED] },
      ],
    });
  });

  it("rules are checked only once the definition reads (shape errors first, as in Marathon)", () => {
    expect(refused({ id: "/a", cpus: 0 }).body).toEqual({ message: "Invalid JSON", details: [{ path: "/cpus", errors: ["error.min"] }] });
  });
});

describe("bounds", () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ["cmd past 128 KiB", { id: "/a", cmd: "x".repeat(MAX_TEXT_LENGTH + 1) }, "/cmd", "error.maxLength"],
    ["an argument past 128 KiB", { id: "/a", args: ["x".repeat(MAX_TEXT_LENGTH + 1)] }, "/args(0)", "error.maxLength"],
    ["an id past 1024 characters", { id: `/${"a".repeat(MAX_NAME_LENGTH)}`, cmd: "run" }, "/id", "error.maxLength"],
    ["a user past 1024 characters", { ...base, user: "u".repeat(MAX_NAME_LENGTH + 1) }, "/user", "error.maxLength"],
    ["an env value past 128 KiB", { ...base, env: { A: "v".repeat(MAX_TEXT_LENGTH + 1) } }, "/env/A", "error.maxLength"],
    [
      "a label name past 1024 characters",
      { ...base, labels: { ["k".repeat(MAX_NAME_LENGTH + 1)]: "v" } },
      `/labels/${"k".repeat(MAX_NAME_LENGTH + 1)}`,
      "error.maxLength",
    ],
    [
      "more than 1000 constraints",
      { ...base, constraints: Array.from({ length: MAX_LIST_LENGTH + 1 }, () => ["hostname", "UNIQUE"]) },
      "/constraints",
      "error.maxLength",
    ],
    ["more than 1000 health checks", { ...base, healthChecks: Array.from({ length: MAX_LIST_LENGTH + 1 }, () => ({})) }, "/healthChecks", "error.maxLength"],
    ["a URI past 1024 characters", { ...base, fetch: [{ uri: `http://${"u".repeat(1024)}` }] }, "/fetch(0)/uri", "error.maxLength"],
    ["a network name past 63 characters", { ...base, networks: [{ mode: "container", name: "n".repeat(64) }] }, "/networks(0)/name", "error.maxLength"],
  ])("%s", (_what, body, path, error) => {
    const r = refused(body);
    expect(r.status).toBe(422);
    expect(r.body.details).toContainEqual({ path, errors: [error] });
  });

  it("a map of more than 1000 entries is refused naming the map", () => {
    const labels = Object.fromEntries(Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => [`k${i}`, "v"]));
    const r = refused({ ...base, labels });
    expect(r.body.details).toEqual([{ path: "/labels", errors: [`Too big: expected map to have <=${MAX_LIST_LENGTH} entries`] }]);
  });
});
