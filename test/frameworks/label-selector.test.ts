/** Marathon's label selectors (LabelSelectorParsers) and the `label` filter of GET `/v2/apps`. */
import { describe, expect, it } from "vitest";
import { labelsMatch, parseLabelSelectors } from "../../frameworks/services/label-selector.ts";
import { type ApiRequest, serveApi } from "../../frameworks/services/services-api.ts";
import { record, stateOf, uuids } from "../support/services-fixtures.ts";

const labels = { env: "prod", tier: "web", "a-b": "x.y", flag: "" };
const matches = (query: string, l: Record<string, string> = labels): boolean => {
  const s = parseLabelSelectors(query);
  if ("error" in s) throw new Error(s.error);
  return labelsMatch(s, l);
};

describe("label selectors", () => {
  it.each([
    ["env", true],
    ["missing", false],
    ["env==prod", true],
    ["env == prod", true],
    ["env==qa", false],
    ["env!=qa", true],
    ["missing!=qa", false],
    ["env in (prod, qa)", true],
    ["env notin (prod, qa)", false],
    ["tier notin (backend)", true],
    ["env==prod, tier==web", true],
    ["env==prod,tier==db", false],
    ["a\\-b==x\\.y", true],
    ["flag", true],
    ["", true],
  ])("%s → %s", (query, expected) => {
    expect(matches(query)).toBe(expected);
  });

  it.each(["env==", "env=prod", "a-b", "env in (prod", ",env", "env,", "env==prod tier"])("refuses %s", (query) => {
    expect(parseLabelSelectors(query)).toHaveProperty("error");
  });
});

describe("GET /v2/apps?label=", () => {
  const state = stateOf([
    record({ id: "/a", cmd: "sleep 1", labels: { env: "prod" } }),
    record({ id: "/b", cmd: "sleep 1", labels: { env: "qa" } }),
    record({ id: "/c", cmd: "sleep 1" }),
  ]);
  const ids = (query: string) => {
    const req: ApiRequest = { method: "GET", path: "/v2/apps", query: new URLSearchParams(query), body: "", origin: "http://m:8787" };
    const { answer } = serveApi(state, req, { nowMs: 1, uuid: uuids(), role: "*", user: "root" });
    return answer.status === 200 ? (answer.json as { apps: Array<{ id: string }> }).apps.map((a) => a.id) : answer;
  };

  it("keeps the apps whose labels match every selector", () => {
    expect(ids("label=env")).toEqual(["/a", "/b"]);
    expect(ids("label=env==prod")).toEqual(["/a"]);
    expect(ids("label=env!=prod")).toEqual(["/b"]);
    expect(ids("label=env in (prod, qa)&cmd=sleep")).toEqual(["/a", "/b"]);
  });

  it("a selector that does not parse is 422 with Marathon's message", () => {
    expect(ids("label=env=prod")).toEqual({
      status: 422,
      json: { message: expect.stringMatching(/^Can not parse label selector env=prod\. Reason: /) },
    });
  });
});
