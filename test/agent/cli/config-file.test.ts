/// <reference types="node" />
/**
 * The agent's config file (`--config`, `STRATA_CONFIG`): KEY=value lines under flag or
 * environment names, precedence flag > environment > file > default, and errors that name the
 * file and line.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../agent-bun/src/cli/config-file.ts";
import { FLAG_SPECS, helpText } from "../../../agent-bun/src/cli/flag-specs.ts";
import { flagErrorOf, runFlags } from "./flag-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "strata-config-"));
let files = 0;
/** Writes `text` to a fresh config file and returns its path. */
const configFile = (text: string): string => {
  const path = join(dir, `agent-${files++}.env`);
  writeFileSync(path, text);
  return path;
};

const run = runFlags;
const errorOf = flagErrorOf;

describe("agent config file", () => {
  it("sets flags by their env names or flag names, with comments, blank lines and quotes", () => {
    const path = configFile(
      [
        "# Strata agent",
        "STRATA_MASTER=https://strata.example.com",
        "",
        "  join-token = s3cret  ",
        'STRATA_RESOURCES="cpus:2;mem:1024"',
        "attributes='rack:r1'",
        "port=6000",
        "STRATA_CGROUPS=off",
      ].join("\n"),
    );
    const f = run(["--config", path]);
    expect(f.master).toBe("https://strata.example.com");
    expect(f.joinToken).toBe("s3cret");
    expect(f.resources).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
      { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
    ]);
    expect(f.attributes).toEqual([{ name: "rack", type: "TEXT", text: { value: "r1" } }]);
    expect(f.port).toBe(6000);
    expect(f.cgroups).toBe("off");
    expect(f.logLevel).toBe("info"); // not in the file: the default
    expect(f.configFile).toBe(path);
    expect(run(["--join-token", "t"]).configFile).toBeUndefined();
  });

  it("is found through STRATA_CONFIG too, and a CRLF file reads the same", () => {
    const path = configFile("STRATA_JOIN_TOKEN=tok\r\nSTRATA_PORT=6001\r\n");
    const f = run([], { STRATA_CONFIG: path });
    expect(f.joinToken).toBe("tok");
    expect(f.port).toBe(6001);
  });

  it("loses to the environment, which loses to flags", () => {
    const path = configFile("STRATA_JOIN_TOKEN=from-file\nSTRATA_PORT=6000\nSTRATA_LOG_LEVEL=debug\nSTRATA_CGROUPS_ROOT=file/root\n");
    const f = run(["--config", path, "--port", "6002"], { STRATA_PORT: "6001", STRATA_LOG_LEVEL: "warn" });
    expect(f.port).toBe(6002); // flag > env > file
    expect(f.logLevel).toBe("warn"); // env > file
    expect(f.cgroupsRoot).toBe("file/root"); // file > default
    expect(f.joinToken).toBe("from-file");
  });

  it("--config beats STRATA_CONFIG", () => {
    const a = configFile("join-token=a\n");
    const b = configFile("join-token=b\n");
    expect(run(["--config", a], { STRATA_CONFIG: b }).joinToken).toBe("a");
  });

  it("treats an empty value as not set, as an empty environment variable", () => {
    const path = configFile('join-token=t\nSTRATA_PORT=\nlog-level=""\n');
    const f = run(["--config", path]);
    expect(f.port).toBe(5051);
    expect(f.logLevel).toBe("info");
  });

  it("keeps '#' and inner quotes inside a value and strips only one matching outer pair", () => {
    const entries = parseConfigText("hostname=a#b\nattributes=\"x:'y'\"\nip='10.0.0.1\n", "f", [
      { name: "hostname", env: "STRATA_HOSTNAME" },
      { name: "attributes", env: "STRATA_ATTRIBUTES" },
      { name: "ip", env: "STRATA_IP" },
    ]).entries;
    expect(entries.get("hostname")).toEqual({ value: "a#b", line: 1 });
    expect(entries.get("attributes")).toEqual({ value: "x:'y'", line: 2 });
    expect(entries.get("ip")).toEqual({ value: "'10.0.0.1", line: 3 });
  });

  it("names the file and line of an unknown key, a line without '=', a repeated key and 'config' itself", () => {
    const unknown = configFile("join-token=t\n\nSTRATA_MASTR=http://x\n");
    expect(errorOf(["--config", unknown]).message).toBe(
      `--config: ${unknown}:3: unknown key 'STRATA_MASTR' (expected a flag name like 'master' or its variable like 'STRATA_MASTER'; see --help)`,
    );
    const noEq = configFile("# comment\njoin-token t\n");
    expect(errorOf(["--config", noEq]).message).toBe(`--config: ${noEq}:2: expected KEY=value, got 'join-token t'`);
    const twice = configFile("master=http://a\njoin-token=t\nSTRATA_MASTER=http://b\n");
    expect(errorOf(["--config", twice]).message).toBe(`--config: ${twice}:3: 'STRATA_MASTER' is already set on line 1`);
    const nested = configFile("STRATA_CONFIG=/other\n");
    expect(errorOf(["--config", nested]).message).toBe(`--config: ${nested}:1: 'STRATA_CONFIG' cannot be set in a config file`);
  });

  it("names the file and line of a bad value taken from it, but not of one a flag overrides", () => {
    const path = configFile("join-token=t\n# ports\nSTRATA_PORT=70000\nresources=cpus:x\n");
    const e = errorOf(["--config", path]);
    expect(e.flag).toBe("--port");
    expect(e.message).toBe(`--port: expected an integer 0-65535, got '70000' (set at ${path}:3)`);
    const r = errorOf(["--config", path, "--port", "1"]);
    expect(r.flag).toBe("--resources");
    expect(r.message).toMatch(new RegExp(`\\(set at ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4\\)$`));
    // The same bad value from the environment is the environment's: no file named.
    expect(errorOf(["--config", path], { STRATA_PORT: "abc" }).message).toBe("--port: expected an integer 0-65535, got 'abc'");
  });

  it("fails clearly when the file cannot be read", () => {
    const missing = join(dir, "nope.env");
    const e = errorOf(["--config", missing]);
    expect(e.flag).toBe("--config");
    expect(e.message).toContain(`cannot read '${missing}'`);
  });

  it("is listed in --help with STRATA_CONFIG, as is every other flag with its variable", () => {
    const help = helpText();
    expect(help).toMatch(/--config\s[\s\S]*env STRATA_CONFIG/);
    for (const f of FLAG_SPECS) expect(help, f.name).toMatch(new RegExp(`--${f.name} [^\\n]*\\n\\s+env ${f.env}\\b`));
  });
});
