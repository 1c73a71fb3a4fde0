/**
 * The metrics in Prometheus' text exposition format (`GET /metrics`), so a Prometheus server can
 * scrape the master without an exporter. Names are Mesos' with every character Prometheus does
 * not allow (`/` above all) turned into `_`: `master/tasks_running` → `master_tasks_running`.
 */

/** A Mesos metric name as a Prometheus one. */
export const prometheusName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1");

/** Counters only grow; everything else (gauges, timer figures) is a gauge. */
const isCounter = (name: string) => /^master\/(http_requests|scheduler_calls_|messages_)|allocation_runs$|\/count$/.test(name);

const format = (v: number) => (Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v));

/** The exposition text for `metrics` (sorted by name; one HELP and TYPE line each). */
export function prometheusText(metrics: Record<string, number>): string {
  const lines: string[] = [];
  for (const name of Object.keys(metrics).sort()) {
    const p = prometheusName(name);
    lines.push(`# HELP ${p} Mesos metric ${name}`, `# TYPE ${p} ${isCounter(name) ? "counter" : "gauge"}`, `${p} ${format(metrics[name]!)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The content type Prometheus expects for the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
