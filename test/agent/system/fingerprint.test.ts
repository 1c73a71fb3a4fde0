/// <reference types="node" />
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diskForTasksMB, fingerprint, type HostProbe, memoryForTasksMB, parseAttributes } from "../../../agent-bun/src/system/fingerprint.ts";
import { parseResources, rangesOf, scalarOf } from "../../../sdk/src/resources.ts";

const GiB = 1024 ** 3;
const probe = (cpuCount: number, mem: number, disk: number): HostProbe => ({
  cpuCount: () => cpuCount,
  totalMemoryBytes: () => mem,
  filesystemBytes: () => disk,
});

describe("fingerprint", () => {
  it("keeps a memory reserve like Mesos", () => {
    expect(memoryForTasksMB(1 * GiB)).toBe(512);
    expect(memoryForTasksMB(16 * GiB)).toBe(15 * 1024);
    expect(diskForTasksMB(4 * GiB)).toBe(2048);
    expect(diskForTasksMB(100 * GiB)).toBe(95 * 1024);
  });

  it("detects cpus, mem, disk and the default ports", () => {
    const rs = fingerprint("/ignored", [], probe(8, 16 * GiB, 100 * GiB));
    expect(scalarOf(rs, "cpus")).toBe(8);
    expect(scalarOf(rs, "mem")).toBe(15 * 1024);
    expect(scalarOf(rs, "disk")).toBe(95 * 1024);
    expect(rangesOf(rs, "ports")).toEqual([[31000, 32000]]);
  });

  it("lets --resources replace detected entries of the same name and add new ones", () => {
    const rs = fingerprint("/ignored", parseResources("cpus:2;ports:[31000-31100];gpus:1"), probe(8, 16 * GiB, 100 * GiB));
    expect(scalarOf(rs, "cpus")).toBe(2);
    expect(scalarOf(rs, "mem")).toBe(15 * 1024);
    expect(scalarOf(rs, "gpus")).toBe(1);
    expect(rangesOf(rs, "ports")).toEqual([[31000, 31100]]);
  });

  it("reads the real machine", () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-fp-"));
    const rs = fingerprint(dir);
    expect(scalarOf(rs, "cpus")).toBe(cpus().length);
    expect(scalarOf(rs, "mem")).toBe(memoryForTasksMB(totalmem()));
    expect(scalarOf(rs, "disk")).toBeGreaterThan(0);
  });

  it("parses attributes as SCALAR, RANGES or TEXT and names bad entries", () => {
    expect(parseAttributes("rack:r1; zone:a ;cores:2.5;slots:[1-4]")).toEqual([
      { name: "rack", type: "TEXT", text: { value: "r1" } },
      { name: "zone", type: "TEXT", text: { value: "a" } },
      { name: "cores", type: "SCALAR", scalar: { value: 2.5 } },
      { name: "slots", type: "RANGES", ranges: { range: [{ begin: 1, end: 4 }] } },
    ]);
    expect(() => parseAttributes("rack:r1;broken")).toThrow(/broken/);
  });
});
