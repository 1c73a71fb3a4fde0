/**
 * `allocationOffers` with a cache kept across runs (incremental runs) must offer exactly what a
 * run with a fresh cache (a full run over the whole view) offers, through random sequences of
 * what the master does between runs: launches, task ends, declines with and without filters
 * (per framework, role and agent: MULTI_ROLE frameworks decline for one role), REVIVE clearing
 * the filters of one role or of all, rescinds, agents leaving, coming back and re-registering, frameworks suppressing, reviving,
 * disconnecting and leaving, filters expiring.
 */
import { describe, expect, it } from "vitest";
import { mulberry32, type Random, sameFilterTarget, shuffle, withoutFrameworkFilters } from "../../../master-worker/src/allocator/index.ts";
import { AllocationInputCache, type AllocationView } from "../../../master-worker/src/decide/allocation-input-cache.ts";
import { allocationOffers } from "../../../master-worker/src/decide/allocation-step.ts";
import type { RefuseFilter } from "../../../master-worker/src/decide/effects.ts";
import type { OfferRecord } from "../../../master-worker/src/decide/view.ts";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../../../master-worker/src/store/records.ts";
import type { FrameworkInfo, Offer, TaskInfo } from "../../../schemas/index.ts";
import { parseResources } from "../../../sdk/src/resources.ts";

const pick = <T>(random: Random, xs: readonly T[]): T | undefined => xs[Math.floor(random() * xs.length)];
const SHAPES = ["cpus:4;mem:4096;ports:[31000-31100]", "cpus:2;mem:1024;disk:100", "cpus:1;mem:512;cpus(web):2;mem(web):256", "cpus:8;mem:64;gpus:1"];

class FakeView implements AllocationView {
  readonly agents = new Map<string, AgentRecord>();
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly offers = new Map<string, OfferRecord>();
  filters: RefuseFilter[] = [];
  readonly suppressed = new Set<string>();
  readonly suppressedRoles = new Map<string, ReadonlySet<string>>();
  readonly connectedAgents = new Set<string>();
  readonly connectedFrameworks = new Set<string>();
  agentConnected(id: string) {
    return this.connectedAgents.has(id);
  }
  agentActive(id: string) {
    return this.agentConnected(id);
  }
  frameworkConnected(id: string) {
    return this.connectedFrameworks.has(id);
  }
}

const strip = (offers: readonly Offer[]) =>
  offers.map((o) => ({ fw: o.framework_id.value, agent: o.agent_id.value, role: o.allocation_info?.role, resources: o.resources }));

function agent(id: string, shape: string): AgentRecord {
  return { id, hostname: `h-${id}`, port: 5051, resources: parseResources(shape), attributes: [], registeredAt: 0 };
}

function framework(id: string, role: string, more?: string): FrameworkRecord {
  const info: FrameworkInfo = { user: "u", name: id, roles: more && more !== role ? [role, more] : [role] };
  return { id, info, registeredAt: 0, removed: false };
}

/** Commits a run's offers as the master does (all, in the order made) or, now and then, otherwise: shuffled, only some, or copies. */
function commit(view: FakeView, offers: readonly Offer[], random: Random, now: number): void {
  const r = random();
  const list = r < 0.1 ? shuffle(offers, random) : r < 0.2 ? offers.filter(() => random() < 0.5) : r < 0.3 ? offers.map((o) => ({ ...o })) : offers;
  for (const offer of list) view.offers.set(offer.id.value, { offer, createdAt: now });
}

/** One random thing the master might do between two runs. */
function step(view: FakeView, random: Random, now: number, n: number): void {
  const offers = [...view.offers.values()].map((r) => r.offer);
  const r = random();
  if (r < 0.25) {
    // launch a task with part or all of an offer
    const o = pick(random, offers);
    if (!o) return;
    view.offers.delete(o.id.value);
    const resources =
      random() < 0.5
        ? o.resources
        : o.resources.filter((x) => x.type === "SCALAR").map((x) => ({ ...x, scalar: { value: Math.round(x.scalar!.value * 500) / 1000 } }));
    const taskId = `t${n}`;
    const info = { name: taskId, task_id: { value: taskId }, agent_id: o.agent_id, resources } as TaskInfo;
    view.tasks.set(`${o.framework_id.value}/${taskId}`, {
      frameworkId: o.framework_id.value,
      taskId,
      agentId: o.agent_id.value,
      info,
      state: "TASK_STAGING",
      updatedAt: now,
    });
  } else if (r < 0.4) {
    // a task moves on, maybe to a terminal state
    const t = pick(random, [...view.tasks.values()]);
    if (t)
      view.tasks.set(`${t.frameworkId}/${t.taskId}`, { ...t, state: pick(random, ["TASK_RUNNING", "TASK_FINISHED", "TASK_FAILED"] as const)!, updatedAt: now });
  } else if (r < 0.55) {
    // decline, sometimes with a filter
    const o = pick(random, offers);
    if (!o) return;
    view.offers.delete(o.id.value);
    if (random() < 0.6) {
      const filter = {
        frameworkId: o.framework_id.value,
        role: o.allocation_info!.role!,
        agentId: o.agent_id.value,
        until: now + 1 + Math.floor(random() * 5),
      };
      view.filters = [...view.filters.filter((f) => !sameFilterTarget(f, filter)), filter];
    }
  } else if (r < 0.62) {
    // rescind
    const o = pick(random, offers);
    if (o) view.offers.delete(o.id.value);
  } else if (r < 0.7) {
    // an agent disconnects (its offers go) or comes back
    const id = pick(random, [...view.agents.keys()])!;
    if (view.connectedAgents.delete(id)) {
      for (const o of offers) if (o.agent_id.value === id) view.offers.delete(o.id.value);
    } else view.connectedAgents.add(id);
  } else if (r < 0.74) {
    // an agent re-registers with other resources, or a new one joins
    const id = random() < 0.5 ? pick(random, [...view.agents.keys()])! : `a${view.agents.size}`;
    for (const o of offers) if (o.agent_id.value === id) view.offers.delete(o.id.value);
    view.agents.set(id, agent(id, pick(random, SHAPES)!));
    view.connectedAgents.add(id);
  } else if (r < 0.77) {
    // suppress / revive
    const id = pick(random, [...view.frameworks.keys()])!;
    if (!view.suppressed.delete(id)) view.suppressed.add(id);
  } else if (r < 0.8) {
    // REVIVE's filter clearing: one role's filters, or all of the framework's
    const f = pick(random, [...view.frameworks.values()])!;
    view.filters = withoutFrameworkFilters(view.filters, f.id, random() < 0.6 ? [pick(random, f.info.roles!)!] : undefined);
  } else if (r < 0.85) {
    // a framework disconnects (its offers go) or resubscribes
    const id = pick(random, [...view.frameworks.keys()])!;
    if (view.connectedFrameworks.delete(id)) {
      for (const o of offers) if (o.framework_id.value === id) view.offers.delete(o.id.value);
    } else view.connectedFrameworks.add(id);
  } else if (r < 0.87) {
    // teardown, or a new framework
    if (random() < 0.5) {
      const f = pick(random, [...view.frameworks.values()])!;
      view.frameworks.set(f.id, { ...f, removed: true });
      view.connectedFrameworks.delete(f.id);
      for (const o of offers) if (o.framework_id.value === f.id) view.offers.delete(o.id.value);
    } else {
      const id = `f${view.frameworks.size}`;
      view.frameworks.set(id, framework(id, pick(random, ["*", "web"])!, random() < 0.4 ? pick(random, ["*", "web", "batch"]) : undefined));
      view.connectedFrameworks.add(id);
    }
  } else if (r < 0.9) {
    // expired filters are dropped
    view.filters = view.filters.filter((f) => f.until > now);
  }
  // otherwise: nothing changes, time passes (filters may lapse)
}

describe("allocationOffers with a kept cache", () => {
  it("offers what a fresh full run offers, through random event sequences", () => {
    let runs = 0,
      offered = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const random = mulberry32(seed);
      const view = new FakeView();
      for (let i = 0; i < 12; i++) {
        const id = `a${i}`;
        view.agents.set(id, agent(id, pick(random, SHAPES)!));
        if (random() < 0.9) view.connectedAgents.add(id);
      }
      for (let i = 0; i < 5; i++) {
        const id = `f${i}`;
        view.frameworks.set(id, framework(id, pick(random, ["*", "*", "web"])!, random() < 0.4 ? pick(random, ["*", "web", "batch"]) : undefined));
        view.connectedFrameworks.add(id);
      }
      const cache = new AllocationInputCache();
      let ids = 0;
      const nextId = () => `O${++ids}`;
      let now = 1_000;
      for (let n = 0; n < 60; n++) {
        // a fresh full run with the same history of offers (the tie-break counts) as the kept cache
        const expected = allocationOffers(view, now, n, () => "fresh", new AllocationInputCache(cache.counts.copy()));
        const got = allocationOffers(view, now, n, nextId, cache);
        expect(strip(got), `seed ${seed}, run ${n}`).toEqual(strip(expected));
        commit(view, got, random, now);
        runs += 1;
        offered += got.length;
        for (let k = Math.floor(random() * 4); k >= 0; k--) step(view, random, now, n * 10 + k);
        now += Math.floor(random() * 3);
      }
    }
    expect(offered).toBeGreaterThan(runs / 2); // the sequences do offer things
  });

  it("keeps the tie-break counts between runs and drops those of a removed framework", () => {
    const view = new FakeView();
    view.agents.set("a0", agent("a0", SHAPES[0]!));
    view.connectedAgents.add("a0");
    for (const id of ["f0", "f1"]) {
      view.frameworks.set(id, framework(id, "*"));
      view.connectedFrameworks.add(id);
    }
    const cache = new AllocationInputCache();
    let ids = 0;
    const first = allocationOffers(view, 1, 1, () => `O${++ids}`, cache);
    expect(first.map((o) => o.framework_id.value)).toEqual(["f0"]);
    expect([cache.counts.of("f0", "*"), cache.counts.of("f1", "*")]).toEqual([1, 0]);
    view.offers.clear(); // declined, no filter: the agent is free again, and goes to the framework offered less
    const second = allocationOffers(view, 2, 2, () => `O${++ids}`, cache);
    expect(second.map((o) => o.framework_id.value)).toEqual(["f1"]);
    for (const offer of second) view.offers.set(offer.id.value, { offer, createdAt: 2 }); // outstanding: nothing left to offer
    view.frameworks.set("f0", { ...view.frameworks.get("f0")!, removed: true });
    allocationOffers(view, 3, 3, () => `O${++ids}`, cache);
    expect([cache.counts.of("f0", "*"), cache.counts.of("f1", "*")]).toEqual([0, 1]);
  });

  it("allocates only the agents that changed once nothing else did", () => {
    const view = new FakeView();
    for (let i = 0; i < 50; i++) {
      const id = `a${i}`;
      view.agents.set(id, agent(id, SHAPES[0]!));
      view.connectedAgents.add(id);
    }
    view.frameworks.set("f0", framework("f0", "*"));
    view.connectedFrameworks.add("f0");
    const cache = new AllocationInputCache();
    const first = cache.input(view, 1);
    expect(first.full).toBe(true);
    expect(first.agents).toHaveLength(50);
    const again = cache.input(view, 1);
    expect(again.full).toBe(false);
    expect(again.agents).toEqual([]);
    view.agents.set("a7", agent("a7", SHAPES[1]!));
    const one = cache.input(view, 1);
    expect(one.agents.map((a) => a.id)).toEqual(["a7"]);
    expect(one.pool.find((r) => r.name === "cpus")?.scalar?.value).toBe(49 * 4 + 2);
  });
});
