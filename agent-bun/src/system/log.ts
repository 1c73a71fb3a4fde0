/**
 * Leveled, line-oriented logging to stderr. Secrets (the join token) are never handed to the
 * logger: callers log flags through `redactFlags` in cli/agent-flags.ts.
 */
import { writeSync } from "node:fs";

/** Severity names accepted by `--log-level`, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every agent component logs through, so tests can capture or silence it. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function format(fields?: Record<string, unknown>): string {
  if (!fields) return "";
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join("");
}

/**
 * Writes `text` to stderr (fd 2) at once, as Node's `process.stderr` does for files and pipes,
 * but without that stream: under Bun, creating `process.stderr` loads Node's stream and tty
 * modules, ~1.4 MB of an idle agent's RSS (BENCHMARKS.md, footprint).
 */
export function writeStderr(text: string): void {
  let written = 0;
  try {
    written = writeSync(2, text);
  } catch {
    // e.g. EAGAIN on a non-blocking stderr: nothing was written, the stream queues it all
  }
  if (written < Buffer.byteLength(text)) process.stderr.write(Buffer.from(text).subarray(written));
}

/** A logger writing `<iso time> <LEVEL> <message> key=value…` lines at or above `level`. */
export function createLogger(level: LogLevel = "info", write: (line: string) => void = writeStderr): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${msg}${format(fields)}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Error text for logs, whatever was thrown. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
