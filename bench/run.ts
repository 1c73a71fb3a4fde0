/**
 * `npm run bench [-- --quick] [-- --only allocator,launch] [-- --minutes N]`: runs the benchmarks, prints one
 * table (each figure beside its target), and writes the figures as JSON with the machine,
 * the commit and the date to bench/results/ (latest.json and a dated copy).
 */
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem, type } from "node:os";
import { join } from "node:path";
import { ROOT, stopAllProcesses } from "../scripts/cluster-processes.ts";
import { type Benchmark, type Figure, meets } from "./result.ts";

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  allocator: async () => (await import("./allocator.ts")).allocatorBenchmark,
  footprint: async () => (await import("./footprint.ts")).footprintBenchmark,
  launch: async () => (await import("./launch.ts")).launchBenchmark,
  processes: async () => (await import("./processes.ts")).processesBenchmark,
  peer: async () => (await import("./peer.ts")).peerBenchmark,
  scale: async () => (await import("./scale.ts")).scaleBenchmark,
  cost: async () => (await import("./cost.ts")).costBenchmark,
  state: async () => (await import("./state-read.ts")).stateReadBenchmark,
  soak: async () => (await import("./soak.ts")).soakBenchmark,
  services: async () => (await import("./services.ts")).servicesBenchmark,
};

// Interrupted: masters and agents run in their own process groups, so stop them before leaving.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stopAllProcesses().finally(() => process.exit(130)));
}

const quick = process.argv.includes("--quick");
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt > 0 ? new Set((process.argv[onlyAt + 1] ?? "").split(",")) : undefined;
const unknown = [...(only ?? [])].filter((n) => !(n in BENCHMARKS));
if (unknown.length) {
  console.error(`--only: unknown benchmark(s) ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}

const minutesAt = process.argv.indexOf("--minutes");
const minutes = minutesAt > 0 ? Number(process.argv[minutesAt + 1]) : undefined;
if (minutes !== undefined && !(minutes > 0 && minutes <= 24 * 60)) {
  console.error(`--minutes: expected a number of minutes above 0 and at most 1440, got '${process.argv[minutesAt + 1] ?? ""}'`);
  process.exit(2);
}

const figures: Figure[] = [];
for (const [name, load] of Object.entries(BENCHMARKS)) {
  if (only && !only.has(name)) continue;
  console.error(`running ${name}…`);
  try {
    figures.push(...(await (await load())({ quick, ...(minutes !== undefined ? { minutes } : {}) })));
  } catch (err) {
    // One benchmark failing must not hide the others' figures: record why, carry on.
    const why = err instanceof Error ? err.message : String(err);
    console.error(`${name} failed: ${why}`);
    figures.push({ group: name, name: "benchmark failed", value: NaN, unit: "", note: why.slice(0, 200) });
    process.exitCode = 1;
  }
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
const rows = figures.map((f) => {
  const ok = meets(f);
  return [
    f.group,
    f.name,
    `${fmt(f.value)} ${f.unit}`,
    f.target ? `${f.target.op} ${fmt(f.target.value)} ${f.unit}` : "",
    ok === undefined ? "" : ok ? "ok" : "MISSED",
    f.note ?? "",
  ];
});
const head = ["benchmark", "figure", "value", "target", "", "note"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) =>
  r
    .map((c, i) => c.padEnd(widths[i]!))
    .join("  ")
    .trimEnd();
console.log(line(head));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));

const commit = (() => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: ROOT }).toString().trim();
  } catch {
    return "unknown";
  }
})();
const report = {
  date: new Date().toISOString(),
  commit,
  machine: {
    os: type(),
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_bytes: totalmem(),
    runtime: `bun ${process.versions.bun ?? "?"} / node ${process.versions.node}`,
  },
  quick,
  figures,
};
const dir = join(ROOT, "bench", "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(dir, `${report.date.slice(0, 19).replace(/:/g, "-")}-${commit}.json`), `${JSON.stringify(report, null, 2)}\n`);
console.error(`\nfigures written to bench/results/latest.json`);
