/**
 * failover_timeout (failover.ts) with the fake clock: a framework whose stream broke keeps its
 * tasks until its failover timeout, then is removed as by TEARDOWN; the deadline survives a
 * master restart; frameworks that never come back after a restart expire too. Also the
 * operator's TEARDOWN.
 */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../master-worker/src/edge/http-error.ts";
import { operatorCall } from "../../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { breakStream, launchRunning, subscribeWith } from "../../support/lifecycle.ts";
import { MasterHarness, TEST_OPERATOR } from "../../support/master-harness.ts";
import { caughtOrRefused, orThrow } from "../../support/refused.ts";

/** Agents stay reachable here (partitions.test.ts covers them) unless a test sets the timeout. */
function running(failoverTimeout: number | undefined, env: Record<string, string> = {}) {
  const h = new MasterHarness({ STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "1000000", ...env });
  const agent = h.addAgent("cpus:4;mem:4096");
  const { frameworkId: fid } = subscribeWith(h, "fw", { failover_timeout: failoverTimeout });
  launchRunning(h, fid, agent, "t1");
  h.pollCommands(agent);
  return { h, agent, fid };
}

function expectRemoved(h: MasterHarness, fid: string, agent: string) {
  expect(h.core.frameworks.get(fid)!.removed).toBe(true);
  expect(h.store.load().frameworks.find((f) => f.id === fid)!.removed).toBe(true);
  const task = h.core.tasks.get(`${fid}/t1`)!;
  expect(task.state).toBe("TASK_KILLED");
  expect(task.status).toMatchObject({ reason: "REASON_FRAMEWORK_REMOVED", source: "SOURCE_MASTER" });
  expect(h.pollCommands(agent)).toEqual([expect.objectContaining({ type: "SHUTDOWN_FRAMEWORK", framework_id: { value: fid } })]);
  // A removed framework cannot come back with its id.
  let caught: unknown;
  try {
    subscribeWith(h, "fw", {}, { frameworkId: fid });
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HttpError);
  expect((caught as HttpError).status).toBe(403);
}

/** Advances `ms` while the agent keeps polling (every 10 s), as a live agent does. */
function advancePolling(h: MasterHarness, agent: string, ms: number) {
  for (let left = ms; left > 0; left -= 10_000) {
    h.advance(Math.min(10_000, left));
    h.fakeAgentPoll(agent);
  }
}

const alive = (h: MasterHarness, fid: string) => {
  expect(h.core.frameworks.get(fid)!.removed).toBe(false);
  expect(h.core.tasks.get(`${fid}/t1`)!.state).toBe("TASK_RUNNING");
};

describe("failover_timeout", () => {
  it("absent (0, as Mesos): removed as soon as its stream breaks, at the next tick", () => {
    const { h, agent, fid } = running(undefined);
    breakStream(h, fid);
    expect(h.core.nextDeadline(h.now)).toBe(h.now);
    h.advance(0);
    expectRemoved(h, fid, agent);
  });

  it("the framework keeps its tasks until the timeout; re-subscribing in time cancels it", () => {
    const { h, agent, fid } = running(60);
    breakStream(h, fid);
    const stored = h.store.load().frameworks.find((f) => f.id === fid)!;
    expect(stored).toMatchObject({ disconnectedAt: h.now, failoverDeadline: h.now + 60_000 });
    expect(h.core.nextDeadline(h.now)).toBeLessThanOrEqual(h.now + 60_000);
    h.advance(59_999);
    alive(h, fid);
    subscribeWith(h, "fw", { failover_timeout: 60 }, { frameworkId: fid });
    expect(h.store.load().frameworks.find((f) => f.id === fid)!.failoverDeadline).toBeUndefined();
    h.advance(120_000);
    alive(h, fid);
    // A second disconnection starts a new deadline.
    breakStream(h, fid);
    h.advance(59_999);
    alive(h, fid);
    h.advance(1);
    expectRemoved(h, fid, agent);
  });

  it("the deadline survives a master restart", () => {
    const { h, agent, fid } = running(60);
    breakStream(h, fid);
    h.advance(30_000);
    h.restart();
    h.advance(29_999);
    alive(h, fid);
    h.advance(1);
    expectRemoved(h, fid, agent);
  });

  it("a framework that never re-subscribes after a master restart expires, with at least the agents' grace", () => {
    const long = running(600, { STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "100" });
    long.h.restart();
    long.h.core.tick(long.h.now); // first tick persists the start-derived deadline
    advancePolling(long.h, long.agent, 599_999);
    alive(long.h, long.fid);
    long.h.advance(1);
    expectRemoved(long.h, long.fid, long.agent);

    const short = running(undefined, { STRATA_AGENT_UNREACHABLE_TIMEOUT_SECONDS: "100" });
    const started = short.h.now;
    short.h.restart();
    advancePolling(short.h, short.agent, 50_000);
    // Another restart does not push the deadline back.
    short.h.restart();
    advancePolling(short.h, short.agent, 49_999);
    alive(short.h, short.fid);
    short.h.advance(1);
    expect(short.h.now).toBe(started + 100_000);
    expectRemoved(short.h, short.fid, short.agent);
  });
});

describe("operator TEARDOWN", () => {
  it("removes the framework as its own TEARDOWN does and ends its stream with an ERROR", () => {
    const { h, agent, fid } = running(3600);
    const stream = h.streamOf(fid);
    expect(
      orThrow(
        operatorCall(h.core, parseOperatorCall({ type: "TEARDOWN", teardown: { framework_id: { value: fid } } }), { now: h.now, principal: TEST_OPERATOR }),
      ),
    ).toBeUndefined();
    expect(h.outbox.closed.at(-1)).toMatchObject({ fid, streamId: stream, last: { type: "ERROR" } });
    expect(h.core.frameworkConnected(fid)).toBe(false);
    expectRemoved(h, fid, agent);
    const caught = caughtOrRefused(() =>
      operatorCall(h.core, parseOperatorCall({ type: "TEARDOWN", teardown: { framework_id: { value: fid } } }), { now: h.now, principal: TEST_OPERATOR }),
    );
    expect((caught as HttpError).status).toBe(400);
    expect((caught as HttpError).message).toBe(`teardown.framework_id: no framework '${fid}' to tear down`);
  });
});
