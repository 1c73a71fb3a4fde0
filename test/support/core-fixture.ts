/**
 * The set-ups the core behaviour tests share (test/master/core/*): one agent, one framework and
 * its first offer; a task launched on it; the last update a framework got; and a check that a
 * call is refused with a given status and message.
 */
import { expect } from "vitest";
import { HttpError } from "../../master-worker/src/edge/http-error.ts";
import type { TaskStatus } from "../../schemas/index.ts";
import { INTERVAL } from "./lifecycle.ts";
import { MasterHarness, type TaskSpec } from "./master-harness.ts";
import { caughtOrRefused } from "./refused.ts";

/** One agent, one framework, and the first offer. */
export function setup(resources = "cpus:4;mem:4096;ports:[31000-32000]", env: Record<string, string> = {}) {
  const h = new MasterHarness(env);
  const agent = h.addAgent(resources);
  const { frameworkId: fid } = h.subscribe("fw-one");
  h.advance(INTERVAL);
  const offers = h.offersFor(fid);
  expect(offers).toHaveLength(1);
  return { h, agent, fid, offer: offers[0]! };
}

/** Sets up, launches `task` on the whole offer and lets the agent take the LAUNCH. */
export function launched(task: Partial<TaskSpec> = {}) {
  const s = setup();
  s.h.accept(s.fid, [s.offer.id.value], [{ taskId: "t1", agentId: s.agent, ...task }]);
  const commands = s.h.pollCommands(s.agent);
  expect(commands.map((c) => c.type)).toEqual(["LAUNCH"]);
  return s;
}

/**
 * Runs `fn` and checks it is refused (a thrown error, or a returned refusal as the edge answers
 * it) with `status` and a message matching `messagePart`.
 */
export function expectHttpError(fn: () => unknown, status: number, messagePart: string | RegExp): HttpError {
  const caught = caughtOrRefused(fn);
  expect(caught).toBeInstanceOf(HttpError);
  const err = caught as HttpError;
  expect(err.status).toBe(status);
  expect(err.message).toMatch(messagePart);
  return err;
}

/** The last status update `fid` got (there must be one). */
export const lastUpdate = (h: MasterHarness, fid: string): TaskStatus => {
  const all = h.updates(fid);
  expect(all.length).toBeGreaterThan(0);
  return all[all.length - 1]!;
};
