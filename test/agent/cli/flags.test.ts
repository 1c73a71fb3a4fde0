/// <reference types="node" />
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isIpAddress, parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { flagErrorOf, runFlags } from "./flag-helpers.ts";

const run = runFlags;
const errorOf = flagErrorOf;

describe("agent flags", () => {
  it("uses the documented defaults", () => {
    const f = run(["--join-token", "t"]);
    expect(f.master).toBe("http://127.0.0.1:8787");
    expect(f.workDir).toBe("./.strata/agent");
    expect(f.port).toBe(5051);
    expect(f.cgroups).toBe("auto");
    expect(f.cgroupsRoot).toBe("strata");
    expect(f.pollWaitSeconds).toBe(25);
    expect(f.logLevel).toBe("info");
    expect(f.resources).toEqual([]);
    expect(f.hostname.length).toBeGreaterThan(0);
  });

  it("accepts --flag=value and --flag value, and flags win over the environment", () => {
    const f = run(["--master=https://m.example:9000/", "--port", "6000", "--cgroups=v1"], {
      STRATA_JOIN_TOKEN: "tok",
      STRATA_PORT: "7000",
      STRATA_CGROUPS_ROOT: "strata/a1",
      STRATA_LOG_LEVEL: "debug",
    });
    expect(f.master).toBe("https://m.example:9000");
    expect(f.port).toBe(6000);
    expect(f.joinToken).toBe("tok");
    expect(f.cgroups).toBe("v1");
    expect(f.cgroupsRoot).toBe("strata/a1");
    expect(f.logLevel).toBe("debug");
  });

  it("parses resources and attributes", () => {
    const f = run(["--join-token=t", "--resources", "cpus:2;ports:[31000-31100]", "--attributes", "rack:r1;level:3"]);
    expect(f.resources).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31100 }] } },
    ]);
    expect(f.attributes).toEqual([
      { name: "rack", type: "TEXT", text: { value: "r1" } },
      { name: "level", type: "SCALAR", scalar: { value: 3 } },
    ]);
  });

  it("reads the join token from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-flags-"));
    writeFileSync(join(dir, "token"), "  s3cret\n");
    expect(run(["--join-token-file", join(dir, "token")]).joinToken).toBe("s3cret");
    expect(errorOf(["--join-token-file", join(dir, "missing")]).flag).toBe("--join-token-file");
  });

  it.each([
    [["--port", "abc"], "--port"],
    [["--port=70000"], "--port"],
    [["--master", "not a url"], "--master"],
    [["--master", "ftp://x"], "--master"],
    [["--resources", "cpus:lots"], "--resources"],
    [["--attributes", "rack"], "--attributes"],
    [["--cgroups", "v3"], "--cgroups"],
    [["--cgroups-root", "../escape"], "--cgroups-root"],
    [["--cgroups-root", "/abs"], "--cgroups-root"],
    [["--poll-wait-seconds", "-1"], "--poll-wait-seconds"],
    [["--log-level", "loud"], "--log-level"],
    [["--bogus", "1"], "--bogus"],
    [["--port"], "--port"],
  ])("rejects %j naming %s", (argv, flag) => {
    const e = errorOf([...argv, "--join-token", "t"]);
    expect(e.flag).toBe(flag);
    expect(e.message.startsWith(`${flag}:`)).toBe(true);
  });

  it("requires a join token", () => {
    expect(errorOf([]).flag).toBe("--join-token");
  });

  it("never puts the token in error messages", () => {
    const e = errorOf(["--join-token", "SUPERSECRET", "--port", "x"]);
    expect(e.message).not.toContain("SUPERSECRET");
  });

  it("recognises --help and --version", () => {
    expect(parseFlags(["--help"], {}).kind).toBe("help");
    expect(parseFlags(["--version"], {}).kind).toBe("version");
  });
});

describe("--ip", () => {
  it("is absent by default and taken from the flag or STRATA_IP, IPv4 or IPv6", () => {
    expect(run(["--join-token", "t"]).ip).toBeUndefined();
    expect(run(["--join-token", "t", "--ip", "10.0.0.5"]).ip).toBe("10.0.0.5");
    expect(run(["--join-token", "t", "--ip=fd00::5"]).ip).toBe("fd00::5");
    expect(run(["--join-token", "t"], { STRATA_IP: "192.0.2.1" }).ip).toBe("192.0.2.1");
    expect(run(["--join-token", "t", "--ip", "::ffff:10.0.0.1"], { STRATA_IP: "192.0.2.1" }).ip).toBe("::ffff:10.0.0.1");
  });

  it.each(["10.0.0.256", "10.0.0", "host.example", "fd00::5::1", "10.0.0.5:80", " 10.0.0.5"])("rejects %j naming the flag", (ip) => {
    const e = errorOf(["--join-token", "t", "--ip", ip]);
    expect(e.flag).toBe("--ip");
    expect(e.message).toBe(`--ip: expected an IPv4 or IPv6 address like 10.0.0.5 or fd00::5, got '${ip}'`);
  });

  it("rejects a bad STRATA_IP naming the flag too", () => {
    expect(errorOf(["--join-token", "t"], { STRATA_IP: "nope" }).flag).toBe("--ip");
  });
});

describe("isIpAddress (the --ip check, without node:net)", () => {
  it("takes IPv4 dotted quads and IPv6 addresses, refuses the rest", () => {
    for (const ok of ["10.0.0.5", "255.255.255.255", "0.0.0.0", "fd00::5", "::1", "::", "2001:db8::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8"])
      expect(isIpAddress(ok), ok).toBe(true);
    for (const bad of ["256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1:2:3:4:5:6:7:8:9", "gggg::1", ":::", "host.example", "", "fe80::1%eth0"])
      expect(isIpAddress(bad), bad).toBe(false);
  });
});
