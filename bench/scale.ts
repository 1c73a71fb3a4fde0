/**
 * Scale: 10,000 hollow agents registered and long-polling one local master. Measured over a
 * window once all are registered: the requests per second the master serves, the master
 * process's CPU per request, the latency of a poll that is answered at once (a probe agent
 * polling with wait_seconds 0 among the 10,000 held polls), and whether anything timed out or
 * failed (the fleet's own error counts, agents the master marked inactive).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { masterMetrics, waitForAgents, withTempCluster } from "../scripts/cluster-processes.ts";
import { treeCpuSeconds } from "./proc-cpu.ts";
import { type Benchmark, type Figure, percentile } from "./result.ts";

const AGENTS = 10_000;

/** Failed calls the hollow fleet logged in its summaries after `since` (ISO time), by kind. */
function fleetErrors(agentLog: string, since: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(agentLog, "utf8").split("\n")) {
    if (!line.includes(" hollow agents") || line.slice(0, 24) < since) continue;
    const m = / errors=(\{.*?\})(?: \w+=|$)/.exec(line);
    if (!m) continue;
    for (const [k, v] of Object.entries(JSON.parse(m[1]!) as Record<string, number>)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

export const scaleBenchmark: Benchmark = async ({ quick }) => {
  const windowS = quick ? 30 : 60;
  return withTempCluster(
    { name: "bench-scale", agentArgs: ["--hollow", String(AGENTS), "--log-level", "info"] },
    async ({ url, secrets, master, stateDir }) => {
      const metrics = () => masterMetrics(url, secrets);
      const t0 = performance.now();
      await waitForAgents(url, secrets, AGENTS, 300_000);
      const registerS = (performance.now() - t0) / 1000;

      // A probe agent among the 10,000: how long a poll that has an answer at once takes.
      const post = (path: string, body: unknown) =>
        fetch(`${url}/agent/v1/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${secrets.joinToken}` },
          body: JSON.stringify(body),
        }).then(async (r) => {
          if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
          return r.json() as Promise<Record<string, unknown>>;
        });
      const reg = await post("register", { hostname: "scale-probe", resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }] });

      const since = new Date().toISOString();
      const before = await metrics();
      const cpuBefore = treeCpuSeconds(master.child.pid!);
      const start = performance.now();
      const latencies: number[] = [];
      while (performance.now() - start < windowS * 1000) {
        const t = performance.now();
        await post("poll", { agent_id: reg.agent_id, agent_token: reg.agent_token, ack_seq: 0, wait_seconds: 0 });
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - start) / 1000;
      const cpu = treeCpuSeconds(master.child.pid!) - cpuBefore;
      const after = await metrics();
      const served = after["master/http_requests"]! - before["master/http_requests"]!;
      const errors = fleetErrors(join(stateDir, "agent.log"), since);
      const count = (match: (kind: string) => boolean) =>
        Object.entries(errors)
          .filter(([k]) => match(k))
          .reduce((a, [, v]) => a + v, 0);
      const timedOut = count((k) => k.includes("timed out"));
      const resets = count((k) => k.includes("ECONNRESET"));
      const failed = count((k) => !k.includes("timed out") && !k.includes("ECONNRESET"));
      const inactive = after["master/slaves_inactive"] ?? 0;
      const g = "scale (10,000 hollow agents)";
      const figures: Figure[] = [
        {
          group: g,
          name: "agents registered and polling",
          value: after["master/slaves_active"] ?? NaN,
          unit: "agents",
          target: { op: ">=", value: AGENTS },
          note: `all registered in ${registerS.toFixed(0)} s`,
        },
        { group: g, name: `master requests served per second (${seconds.toFixed(0)} s window)`, value: served / seconds, unit: "req/s" },
        { group: g, name: "master CPU per request (workerd, all threads)", value: (cpu * 1000) / Math.max(served, 1), unit: "ms" },
        {
          group: g,
          name: "immediate poll latency p50 / p99 (probe agent)",
          value: percentile(latencies, 50),
          unit: `ms (p99 ${percentile(latencies, 99).toFixed(1)} ms)`,
        },
        { group: g, name: "agent calls timed out in the window", value: timedOut, unit: "calls", target: { op: "<=", value: 0 } },
        {
          group: g,
          name: "agent calls whose connection was reset (retried by the agent)",
          value: resets,
          unit: "calls",
          note: `of ~${Math.round(served)} requests`,
        },
        {
          group: g,
          name: "agent calls failed otherwise",
          value: failed,
          unit: "calls",
          target: { op: "<=", value: 0 },
          ...(failed ? { note: JSON.stringify(errors).slice(0, 200) } : {}),
        },
        { group: g, name: "agents the master marked inactive", value: inactive, unit: "agents", target: { op: "<=", value: 0 } },
      ];
      return figures;
    },
  );
};
