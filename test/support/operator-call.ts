/**
 * Sends an operator call to a harness' master the way the Worker does (validated with
 * `parseOperatorCall`, so schema defaults apply), and checks the refusals: a returned one is
 * thrown as the `HttpError` the edge would answer with (refused.ts).
 */
import { expect } from "vitest";
import { HttpError } from "../../master-worker/src/edge/http-error.ts";
import { checkOperatorCall } from "../../master-worker/src/model/operator-access.ts";
import { operatorCall } from "../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../schemas/operator.ts";
import { type MasterHarness, TEST_OPERATOR } from "./master-harness.ts";
import { caughtOrRefused, orThrow } from "./refused.ts";

/**
 * Answers `json` as `POST /api/v1` would, on behalf of `principal` (the harness' operator unless
 * given; `null`: anonymous), first asking whether the principal may make the call at all.
 */
export function operator(h: MasterHarness, json: Record<string, unknown>, principal: string | null = TEST_OPERATOR): any {
  const call = parseOperatorCall(json);
  const who = principal ?? undefined;
  orThrow(checkOperatorCall(h.core.acls, h.core.access, who, call.type));
  return orThrow(operatorCall(h.core, call, { now: h.now, ...(who !== undefined ? { principal: who } : {}) }));
}

/** Runs `fn`, expecting an `HttpError` of `status` (thrown, or a refusal returned) whose message matches. */
export function expectHttpError(fn: () => unknown, status: number, message: string | RegExp): HttpError {
  const caught = caughtOrRefused(fn);
  expect(caught).toBeInstanceOf(HttpError);
  const err = caught as HttpError;
  expect({ status: err.status, message: err.message }).toMatchObject({ status, message: expect.stringMatching(message) });
  return err;
}
