import { describe, expect, it } from "vitest";
import { allInstancesOf, InstanceMap, instancesOf, stoppingInstances, unreachableInstances } from "../../frameworks/services/service-records.ts";
import { instance } from "../support/services-fixtures.ts";

const ids = (list: readonly { taskId: string }[]) => list.map((i) => i.taskId);

describe("InstanceMap: the instances by task id, indexed by app", () => {
  it("lists an app's instances in task id order, as a scan of every instance does", () => {
    const all = [instance("b.2", "/b"), instance("a.2", "/a"), instance("a.1", "/a"), instance("b.1", "/b"), instance("a.3", "/a")];
    const map = InstanceMap.of(all);
    const plain = new Map(all.map((i) => [i.taskId, i]));
    for (const app of ["/a", "/b", "/none"]) expect(ids(allInstancesOf({ instances: map }, app))).toEqual(ids(allInstancesOf({ instances: plain }, app)));
    expect(ids(map.ofApp("/a"))).toEqual(["a.1", "a.2", "a.3"]);
  });

  it("follows set, replace, a move to another app, delete and clear", () => {
    const map = InstanceMap.of([instance("a.1", "/a"), instance("a.2", "/a")]);
    expect(ids(map.ofApp("/a"))).toEqual(["a.1", "a.2"]); // cached now
    map.set("a.1", instance("a.1", "/a", { state: "TASK_FAILED" }));
    expect(map.ofApp("/a")[0]!.state).toBe("TASK_FAILED"); // replaced in the cached list
    map.set("a.0", instance("a.0", "/a"));
    expect(ids(map.ofApp("/a"))).toEqual(["a.0", "a.1", "a.2"]);
    map.set("a.2", instance("a.2", "/b"));
    expect([ids(map.ofApp("/a")), ids(map.ofApp("/b"))]).toEqual([["a.0", "a.1"], ["a.2"]]);
    expect(map.delete("a.0")).toBe(true);
    expect(map.delete("nope")).toBe(false);
    expect([ids(map.ofApp("/a")), map.size]).toEqual([["a.1"], 2]);
    map.clear();
    expect([map.ofApp("/a"), map.ofApp("/b"), map.size]).toEqual([[], [], 0]);
  });

  it("is filled by Map's constructor too, and instancesOf leaves suspended resident instances out", () => {
    const suspended = instance("r.1", "/r", { goal: "stopped", state: "TASK_KILLED", resident: { instanceId: "r", incarnation: 1, role: "x", volumes: [] } });
    const map = new InstanceMap([
      ["r.1", suspended],
      ["r.2", instance("r.2", "/r")],
    ]);
    expect(ids(map.ofApp("/r"))).toEqual(["r.1", "r.2"]);
    expect(ids(instancesOf({ instances: map }, "/r"))).toEqual(["r.2"]);
  });

  it("knows the instances being stopped and the unreachable ones, as a scan does, through every change", () => {
    const map = InstanceMap.of([instance("a", "/x"), instance("b", "/x", { goal: "stopped" }), instance("c", "/y", { state: "TASK_UNREACHABLE" })]);
    const sets = () => [ids(stoppingInstances({ instances: map })).sort(), ids(unreachableInstances({ instances: map })).sort()];
    const scans = () => {
      const plain = new Map(map);
      return [ids(stoppingInstances({ instances: plain })).sort(), ids(unreachableInstances({ instances: plain })).sort()];
    };
    expect(sets()).toEqual([["b"], ["c"]]);
    map.set("a", instance("a", "/x", { goal: "stopped", state: "TASK_UNREACHABLE" }));
    map.set("c", instance("c", "/y", { state: "TASK_RUNNING" }));
    expect(sets()).toEqual([["a", "b"], ["a"]]);
    map.delete("b");
    expect(sets()).toEqual([["a"], ["a"]]);
    expect(sets()).toEqual(scans());
    map.clear();
    expect(sets()).toEqual([[], []]);
  });
});
