import { describe, expect, it } from "vitest";
import { type DependencyNode, deploymentSteps } from "../../frameworks/services/deployment-order.ts";

const app = (id: string, ...dependencies: string[]): DependencyNode => ({ id, dependencies });

describe("deploymentSteps", () => {
  it("apps without dependencies all go in one step", () => {
    expect(deploymentSteps([app("/b"), app("/a")])).toEqual({ ok: true, steps: [["/a", "/b"]] });
  });

  it("an app goes after what it depends on; independent chains share steps by longest path", () => {
    // web → api → db; cache alone; worker → db.
    const apps = [app("/web", "/api"), app("/api", "/db"), app("/db"), app("/cache"), app("/worker", "/db")];
    expect(deploymentSteps(apps)).toEqual({ ok: true, steps: [["/cache", "/db"], ["/api", "/worker"], ["/web"]] });
  });

  it("an app with two dependencies waits for the longer chain", () => {
    const apps = [app("/a", "/b", "/d"), app("/b", "/c"), app("/c"), app("/d")];
    expect(deploymentSteps(apps)).toEqual({ ok: true, steps: [["/c", "/d"], ["/b"], ["/a"]] });
  });

  it("a dependency on a group means every app in it, nested groups included", () => {
    const apps = [app("/front/web", "/back"), app("/back/api"), app("/back/store/db")];
    expect(
      deploymentSteps(apps, [
        { id: "/back", dependencies: [] },
        { id: "/back/store", dependencies: [] },
      ]),
    ).toEqual({
      ok: true,
      steps: [["/back/api", "/back/store/db"], ["/front/web"]],
    });
  });

  it("a group's dependencies hold for every app in it", () => {
    const apps = [app("/front/web"), app("/front/admin"), app("/db")];
    expect(deploymentSteps(apps, [{ id: "/front", dependencies: ["/db"] }])).toEqual({ ok: true, steps: [["/db"], ["/front/admin", "/front/web"]] });
  });

  it("a dependency on an empty group is no dependency", () => {
    expect(deploymentSteps([app("/a", "/empty")], [{ id: "/empty", dependencies: [] }])).toEqual({ ok: true, steps: [["/a"]] });
  });

  it("a cycle is refused, naming it", () => {
    const result = deploymentSteps([app("/a", "/b"), app("/b", "/c"), app("/c", "/a"), app("/d")]);
    expect(result).toEqual({
      ok: false,
      problem: "cycle",
      cycle: ["/a", "/b", "/c", "/a"],
      message: "Dependency graph has cyclic dependencies: /a -> /b -> /c -> /a",
    });
  });

  it("an app depending on itself is a cycle", () => {
    expect(deploymentSteps([app("/a", "/a")])).toMatchObject({ ok: false, problem: "cycle", cycle: ["/a", "/a"] });
  });

  it("a cycle through a group dependency is refused", () => {
    expect(deploymentSteps([app("/g/x"), app("/y", "/g")], [{ id: "/g", dependencies: ["/y"] }])).toMatchObject({
      ok: false,
      problem: "cycle",
      cycle: ["/g/x", "/y", "/g/x"],
    });
  });

  it("a dependency on nothing known is refused, naming it", () => {
    expect(deploymentSteps([app("/a", "/missing")])).toEqual({
      ok: false,
      problem: "unknown-dependency",
      from: "/a",
      dependency: "/missing",
      message: "/a depends on /missing, which is neither an app nor a group",
    });
  });
});
