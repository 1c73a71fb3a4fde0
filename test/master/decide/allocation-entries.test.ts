import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../../master-worker/src/allocator/index.ts";
import { type Use, type Uses, usedResources, withoutUse, withUse } from "../../../master-worker/src/decide/allocation-entries.ts";
import type { TaskRecord } from "../../../master-worker/src/store/records.ts";
import type { Offer, TaskInfo } from "../../../schemas/index.ts";
import { parseResources } from "../../../sdk/src/resources.ts";

const offer = (n: number): Offer => ({
  id: { value: `o${n}` },
  framework_id: { value: "f" },
  agent_id: { value: "a" },
  hostname: "h",
  resources: parseResources(`cpus:${n}`),
  attributes: [],
  executor_ids: [],
});
const task = (n: number): TaskRecord => ({
  frameworkId: "f",
  taskId: `t${n}`,
  agentId: "a",
  info: { name: "t", task_id: { value: `t${n}` }, agent_id: { value: "a" }, resources: parseResources(`mem:${n}`) } as TaskInfo,
  state: "TASK_RUNNING",
  updatedAt: 0,
});

describe("Uses (the tasks and offers on one agent)", () => {
  it("keeps one use without an array, and several in one", () => {
    const o = offer(1),
      t = task(2);
    let uses: Uses = withUse(undefined, o);
    expect(uses).toBe(o);
    uses = withUse(uses, t);
    expect(uses).toEqual([o, t]);
    expect(usedResources(uses)).toEqual([...o.resources, ...t.info.resources]);
    uses = withoutUse(uses, o);
    expect(uses).toEqual([t]);
    uses = withoutUse(uses, t);
    expect(uses).toBeUndefined();
    expect(usedResources(uses)).toEqual([]);
  });

  it("takes out that very object, once, and ignores what it does not hold", () => {
    const o = offer(1),
      copy = { ...o };
    expect(withoutUse(o, copy)).toBe(o);
    expect(withoutUse(undefined, o)).toBeUndefined();
    const twice = withUse(withUse(undefined, o), o);
    expect(withoutUse(twice, o)).toEqual([o]);
  });

  it("holds what a plain list would, through random additions and removals", () => {
    const random = mulberry32(3);
    const pool: Use[] = [offer(1), offer(2), task(3), task(4), offer(5)];
    let uses: Uses,
      list: Use[] = [];
    for (let i = 0; i < 500; i++) {
      const u = pool[Math.floor(random() * pool.length)]!;
      if (random() < 0.5) {
        uses = withUse(uses, u);
        list.push(u);
      } else {
        uses = withoutUse(uses, u);
        const at = list.lastIndexOf(u);
        if (at >= 0) list.splice(at, 1);
      }
      const held = uses === undefined ? [] : Array.isArray(uses) ? uses : [uses];
      const names = (us: Use[]) => us.map((x) => ("info" in x ? x.taskId : x.id.value)).sort();
      expect(names(held), `step ${i}`).toEqual(names(list));
    }
  });
});
