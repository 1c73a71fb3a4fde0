import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseEnvFile, resolveCluster } from "../../examples/lib/cluster-config.ts";
import { DEFAULT_MASTER_URL } from "../../sdk/src/defaults.ts";

const dir = mkdtempSync(join(tmpdir(), "strata-cluster-env-"));
const file = join(dir, "cluster.env");
writeFileSync(
  file,
  "# written by the local cluster\nSTRATA_MASTER=http://127.0.0.1:9999\nexport STRATA_PRINCIPAL='local'\nSTRATA_SECRET=\"s=cret\"\n\nnot a pair\n",
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("examples cluster config", () => {
  it("parses KEY=VALUE files", () => {
    expect(parseEnvFile("A=1\n# c\nexport B = two \nC='x y'\nD=\"q\"\nE=a=b\nbad\n=nokey")).toEqual({ A: "1", B: "two", C: "x y", D: "q", E: "a=b" });
  });

  it("prefers flags, then the environment, then cluster.env", () => {
    expect(resolveCluster({}, {}, file)).toEqual({
      master: "http://127.0.0.1:9999",
      credentials: { principal: "local", secret: "s=cret" },
      credentialsFrom: file,
    });
    expect(resolveCluster({}, { STRATA_MASTER: "http://m:1", STRATA_TOKEN: "t" }, file)).toEqual({
      master: "http://m:1",
      credentials: { token: "t" },
      credentialsFrom: "environment",
    });
    expect(resolveCluster({ master: "http://f:2", principal: "p", secret: "s" }, { STRATA_TOKEN: "t" }, file)).toEqual({
      master: "http://f:2",
      credentials: { principal: "p", secret: "s" },
      credentialsFrom: "flags",
    });
    expect(resolveCluster({}, {}, join(dir, "missing.env"))).toEqual({ master: DEFAULT_MASTER_URL, credentialsFrom: "none" });
  });

  it("rejects a principal without a secret", () => {
    expect(() => resolveCluster({ principal: "p" }, {}, file)).toThrow(/principal needs a secret/);
  });
});
