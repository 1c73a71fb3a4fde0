/**
 * The version an agent reports when it registers (RegisterRequest.version) is what operators
 * see: GET_AGENTS' `version` and /master/slaves' `version`, replaced when the agent comes back
 * upgraded, and absent (GET_AGENTS) or "" (/master/slaves, as Mesos) when it reports none.
 */
import { describe, expect, it } from "vitest";
import { serveRead } from "../../../master-worker/src/edge/read-routes.ts";
import { parseResources } from "../../../sdk/src/resources.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { op, readJson } from "../../support/operator-fixture.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const agentsById = (h: MasterHarness): Map<string, any> =>
  new Map(op(h, { type: "GET_AGENTS" }).get_agents.agents.map((a: { agent_info: { id: { value: string } } }) => [a.agent_info.id.value, a]));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const slavesById = async (h: MasterHarness): Promise<Map<string, any>> =>
  new Map((await readJson(serveRead(h.core, "/slaves", new URLSearchParams(), TEST_OPERATOR, h.now)!)).slaves.map((s: { id: string }) => [s.id, s]));

describe("agent version", () => {
  it("is shown by GET_AGENTS and /master/slaves as the agent reported it", async () => {
    const h = new MasterHarness();
    const versioned = h.addAgent("cpus:2;mem:1024", { version: "1.2.3" });
    const bare = h.addAgent("cpus:2;mem:1024");
    const agents = agentsById(h);
    expect(agents.get(versioned).version).toBe("1.2.3");
    expect(agents.get(bare)).not.toHaveProperty("version");
    const slaves = await slavesById(h);
    expect(slaves.get(versioned).version).toBe("1.2.3");
    expect(slaves.get(bare).version).toBe("");
  });

  it("follows the agent through an upgrade (re-registration with a new version)", async () => {
    const h = new MasterHarness();
    const id = h.addAgent("cpus:2;mem:1024", { version: "1.2.3" });
    h.register({ agent_id: { value: id }, hostname: "host-1.test", resources: parseResources("cpus:2;mem:1024"), version: "1.3.0" });
    expect(agentsById(h).get(id).version).toBe("1.3.0");
    expect((await slavesById(h)).get(id).version).toBe("1.3.0");
  });

  it("survives a master restart (it is part of the persisted agent record)", () => {
    const h = new MasterHarness();
    const id = h.addAgent("cpus:2;mem:1024", { version: "2.0.0-rc.1" });
    h.restart();
    expect(agentsById(h).get(id).version).toBe("2.0.0-rc.1");
  });
});
