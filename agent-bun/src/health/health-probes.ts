/**
 * The real health checks of a task (Mesos `HealthCheck` types): COMMAND runs a process in the
 * task's sandbox with the task's environment (inside the task's cgroup when it has one, so the
 * check counts against the task's limits, as in Mesos); HTTP sends a GET to the task on the
 * loopback address; TCP opens a connection there. Tasks share the agent's network, so the
 * loopback address reaches them. Node modules are loaded at the first check: an agent whose
 * tasks have none never holds them.
 */
import type { ChildProcess } from "node:child_process";
import { checkHost, httpCheckUrl } from "../../../schemas/health-check.ts";
import type { HealthCheck } from "../../../schemas/mesos.ts";
import type { LaunchSpec } from "../containerizers/containerizer.ts";
import { SH_WRAPPER } from "../containerizers/process-containerizer.ts";
import { taskEnvironment } from "../containerizers/task-env.ts";
import { CgroupTask, nodeCgroupHost, type Placement } from "../isolation/cgroup-task.ts";
import { errorText } from "../system/log.ts";
import { killGroup } from "../system/proc.ts";
import type { Probe, ProbeResult } from "./health-checker.ts";

/** What a check is run against: the task as launched and, when it has one, its cgroup's name. */
export interface HealthTarget {
  check: HealthCheck;
  spec: LaunchSpec;
  cgroup?: string;
}

/** Makes the probe for a task's check (tests pass a fake). */
export interface HealthProber {
  probeFor(target: HealthTarget): Probe;
}

/** The real checks; `placements` are the cgroup controllers' places (none: checks run outside cgroups). */
export class LocalHealthProber implements HealthProber {
  constructor(private readonly placements: readonly Placement[] = []) {}

  probeFor(target: HealthTarget): Probe {
    const { check } = target;
    if (check.type === "COMMAND") {
      const cgroup = target.cgroup && this.placements.length > 0 ? new CgroupTask(target.cgroup, this.placements, nodeCgroupHost) : undefined;
      return (signal) => commandProbe(target, cgroup, signal);
    }
    if (check.type === "HTTP" && check.http) {
      const http = check.http;
      return (signal) => httpProbe(http, signal);
    }
    if (check.type === "TCP" && check.tcp) {
      const tcp = check.tcp;
      return (signal) => tcpProbe(checkHost(tcp.protocol), tcp.port, signal);
    }
    const problem: ProbeResult = { ok: false, message: `cannot run a ${check.type ?? "typeless"} health check` };
    return async () => problem;
  }
}

/** The check's command; exit status 0 is healthy. Killed (its whole process group) when `signal` aborts. */
export async function commandProbe(target: HealthTarget, cgroup: CgroupTask | undefined, signal: AbortSignal): Promise<ProbeResult> {
  const command = target.check.command;
  if (!command?.value) return { ok: false, message: "the health check has no command" };
  const shell = command.shell ?? true;
  const file = shell ? "/bin/sh" : command.value;
  const args = shell ? ["-c", command.value] : (command.arguments ?? []).slice(1);
  const env = taskEnvironment(target.spec);
  for (const v of command.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
  const { spawn } = await import("node:child_process");
  const options = { cwd: target.spec.sandbox, env, detached: true };
  let child: ChildProcess;
  try {
    child = cgroup
      ? spawn("/bin/sh", ["-c", SH_WRAPPER, "sh", file, ...args], { ...options, stdio: ["ignore", "ignore", "ignore", "pipe"] })
      : spawn(file, args, { ...options, stdio: "ignore" });
  } catch (e) {
    return { ok: false, message: `cannot start the health check command: ${errorText(e)}` };
  }
  const exited = new Promise<ProbeResult>((resolve) => {
    child.once("error", (e) => resolve({ ok: false, message: `cannot start the health check command: ${errorText(e)}` }));
    child.once("exit", (code, sig) =>
      resolve(
        code === 0
          ? { ok: true, message: "exit status 0" }
          : { ok: false, message: sig ? `command terminated by ${sig}` : `command exited with status ${code}` },
      ),
    );
  });
  const kill = () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) killGroup(child.pid, "SIGKILL");
  };
  signal.addEventListener("abort", kill, { once: true });
  if (signal.aborted) kill();
  if (cgroup && child.pid) {
    const go = child.stdio[3] as NodeJS.WritableStream & { on(e: "error", f: () => void): void };
    go.on("error", () => {});
    try {
      cgroup.addProcess(child.pid);
    } catch {
      // The task's cgroup is going away (the task is ending): the check runs outside it.
    }
    go.end("go\n");
  }
  try {
    return await exited;
  } finally {
    signal.removeEventListener("abort", kill);
  }
}

/** GET the check's URL: healthy for 200-399 (or one of `statuses` when given); redirects are not followed. */
export async function httpProbe(http: NonNullable<HealthCheck["http"]>, signal: AbortSignal): Promise<ProbeResult> {
  const url = httpCheckUrl(http);
  // Bun's fetch option: a task's certificate is not checked (Mesos runs curl with -k).
  const init = { method: "GET", redirect: "manual", signal, ...(http.scheme === "https" ? { tls: { rejectUnauthorized: false } } : {}) };
  let res: Response;
  try {
    res = await fetch(url, init as RequestInit);
  } catch (e) {
    return { ok: false, message: `GET ${url} failed: ${causeText(e)}` };
  }
  await res.body?.cancel().catch(() => {});
  const ok = http.statuses && http.statuses.length > 0 ? http.statuses.includes(res.status) : res.status >= 200 && res.status <= 399;
  return { ok, message: `GET ${url} answered ${res.status}` };
}

/** Opens a TCP connection to `host:port` (and closes it): healthy when it connects. */
export async function tcpProbe(host: string, port: number, signal: AbortSignal): Promise<ProbeResult> {
  const { connect } = await import("node:net");
  const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise<ProbeResult>((resolve) => {
    const socket = connect({ host, port });
    const finish = (result: ProbeResult) => {
      signal.removeEventListener("abort", abort);
      socket.destroy();
      resolve(result);
    };
    const abort = () => finish({ ok: false, message: `connecting to ${where} aborted` });
    signal.addEventListener("abort", abort, { once: true });
    socket.once("connect", () => finish({ ok: true, message: `connected to ${where}` }));
    socket.once("error", (e) => finish({ ok: false, message: `cannot connect to ${where}: ${causeText(e)}` }));
  });
}

/** An error's message with its cause's (fetch's "fetch failed" hides the reason in `cause`). */
function causeText(e: unknown): string {
  const cause = (e as { cause?: unknown })?.cause;
  const code = (cause as { code?: string })?.code ?? (e as { code?: string })?.code;
  return code ? `${errorText(e)} (${code})` : errorText(e);
}
