/**
 * A field one past its bound (schemas/field-limits.ts), through the real Worker and Durable
 * Object: 400 with `Failed to validate call: <field path>: …`, on the scheduler, operator and
 * agent paths alike. The families and the state left unchanged are covered by
 * test/master/core/field-bounds.test.ts.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_HOSTNAME_LENGTH, MAX_NAME_LENGTH } from "../../schemas/field-limits.ts";

const BASE = "http://master.test";
const alice = `Basic ${btoa("alice:alice-secret")}`;
const post = (path: string, body: unknown, authorization: string) =>
  SELF.fetch(`${BASE}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", authorization } });
const chars = (n: number) => "x".repeat(n);

describe("a field past its bound, through the Worker", () => {
  it("SUBSCRIBE with a framework name one past its bound: 400 naming it", async () => {
    const res = await post(
      "/api/v1/scheduler",
      { type: "SUBSCRIBE", subscribe: { framework_info: { user: "root", name: chars(MAX_NAME_LENGTH + 1), principal: "alice" } } },
      alice,
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Failed to validate call: subscribe\.framework_info\.name: Too big: expected string to have <=1024 characters/);
  });

  it("a maintenance schedule with a hostname one past its bound: 400 naming it", async () => {
    const schedule = { windows: [{ machine_ids: [{ hostname: chars(MAX_HOSTNAME_LENGTH + 1) }], unavailability: { start: { nanoseconds: 0 } } }] };
    const res = await post("/api/v1", { type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule } }, alice);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Failed to validate call: update_maintenance_schedule\.schedule\.windows\[0\]\.machine_ids\[0\]\.hostname: Too big/);
  });

  it("an agent registering with a hostname one past its bound: 400 naming it", async () => {
    const res = await post(
      "/agent/v1/register",
      { hostname: chars(MAX_HOSTNAME_LENGTH + 1), resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }] },
      "Bearer test-join-token",
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Failed to validate call: hostname: Too big/);
  });
});
