/**
 * Sends an operator call to a harness' master the way the Worker does (validated with
 * `parseOperatorCall`, so schema defaults apply), and checks the refusals: a returned one is
 * thrown as the `HttpError` the edge would answer with (refused.ts).
 */
import { expect } from "vitest";
import { HttpError } from "../../master-worker/src/edge/http-error.ts";
import { operatorCall } from "../../master-worker/src/operator/index.ts";
import { parseOperatorCall } from "../../schemas/operator.ts";
import type { MasterHarness } from "./master-harness.ts";
import { caughtOrRefused, orThrow } from "./refused.ts";

/** Answers `json` as `POST /api/v1` would, on behalf of `principal`. */
export function operator(h: MasterHarness, json: Record<string, unknown>, principal?: string): any {
  return orThrow(operatorCall(h.core, parseOperatorCall(json), { now: h.now, ...(principal !== undefined ? { principal } : {}) }));
}

/** Runs `fn`, expecting an `HttpError` of `status` (thrown, or a refusal returned) whose message matches. */
export function expectHttpError(fn: () => unknown, status: number, message: string | RegExp): HttpError {
  const caught = caughtOrRefused(fn);
  expect(caught).toBeInstanceOf(HttpError);
  const err = caught as HttpError;
  expect({ status: err.status, message: err.message }).toMatchObject({ status, message: expect.stringMatching(message) });
  return err;
}
