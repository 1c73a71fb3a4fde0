/**
 * Human-readable output of the example frameworks: a block per task (where it ran, how
 * it ended, what it printed) and a summary line. Colour only on a terminal, never with NO_COLOR.
 */
import { TASK_OUTPUT_TAIL_BYTES } from "../../schemas/agent.ts";

/** How one task ended, as the report shows it. */
export interface TaskOutcome {
  taskId: string;
  hostname?: string;
  state: string;
  exitStatus?: number;
  output: string;
  message?: string;
  reason?: string;
  seconds?: number;
  ok: boolean;
}

/** Text decorations (identity functions when colour is off). */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

/** ANSI styling when `enabled`, plain text otherwise. */
export function style(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39) };
}

/** The report: one block per task, then a summary line. */
export function formatReport(outcomes: readonly TaskOutcome[], s: Style): string {
  const lines: string[] = [];
  const idWidth = Math.max(...outcomes.map((o) => o.taskId.length), 4);
  const hostWidth = Math.max(...outcomes.map((o) => (o.hostname ?? "-").length), 4);
  for (const o of outcomes) {
    const mark = o.ok ? s.green("✔") : s.red("✘");
    const state = o.ok ? s.green(o.state) : o.state === "NOT LAUNCHED" || !o.state.startsWith("TASK_") ? s.yellow(o.state) : s.red(o.state);
    const exit = o.exitStatus === undefined ? "" : `exit ${o.exitStatus}`;
    const took = o.seconds === undefined ? "" : s.dim(`${o.seconds.toFixed(1)} s`);
    lines.push(`${mark} ${s.bold(o.taskId.padEnd(idWidth))}  on ${(o.hostname ?? "-").padEnd(hostWidth)}  ${state}  ${exit}  ${took}`.trimEnd());
    if (!o.ok && o.message && o.exitStatus === undefined) {
      lines.push(`    ${s.dim(o.reason ? `${o.message} (${o.reason})` : o.message)}`);
    }
    const text = o.output.replace(/\n$/, "");
    if (text) {
      if (new TextEncoder().encode(o.output).byteLength >= TASK_OUTPUT_TAIL_BYTES - 4)
        lines.push(`    ${s.dim("│ … (only the last 4 KiB of output is kept)")}`);
      for (const line of text.split("\n")) lines.push(`    ${s.dim("│")} ${line}`);
    } else if (o.state.startsWith("TASK_")) {
      lines.push(`    ${s.dim("│ (no output)")}`);
    }
    lines.push("");
  }
  const ok = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.length - ok;
  const summary = `${outcomes.length} task${outcomes.length === 1 ? "" : "s"}: ${ok} succeeded${failed ? `, ${failed} did not` : ""}`;
  lines.push(failed ? s.red(s.bold(summary)) : s.green(s.bold(summary)));
  return lines.join("\n");
}
