/**
 * Runs DOCKER tasks as containers of the local Docker engine (Engine API over its unix socket,
 * docker-client.ts; the create body comes from docker-config.ts). The container's output is
 * streamed into the sandbox's stdout/stderr files; its end (exit status, OOM kill) becomes the
 * task's end. Containers carry the agent's, framework's and task's ids in their name and labels,
 * and `recover` re-attaches to one that outlived an agent restart.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type Container, type ContainerExit, type Containerizer, LaunchError, type LaunchSpec } from "../containerizers/containerizer.ts";
import { tail } from "../sandbox/stdout-tail.ts";
import { volumesOf } from "../sandbox/volumes.ts";
import type { TaskRecord } from "../state/checkpoint.ts";
import { errorText, type Logger } from "../system/log.ts";
import { type DockerClient, DockerError, justAfter, type LogFrame } from "./docker-client.ts";
import { containerName, dockerCreateConfig } from "./docker-config.ts";

/** How long to wait before asking the engine again when a wait call or the output stream broke. */
const WAIT_RETRY_MS = 1_000;

/** The Docker containerizer. */
export class DockerContainerizer implements Containerizer {
  readonly description: string;

  /** `workDir`: the agent's, where persistent volumes live (volumes.ts); without it none are mounted. */
  constructor(
    readonly client: DockerClient,
    private readonly log: Logger,
    private readonly workDir?: string,
  ) {
    this.description = `docker containers (engine at ${client.socketPath})`;
  }

  async prepare(spec: LaunchSpec): Promise<void> {
    mkdirSync(spec.sandbox, { recursive: true });
  }

  async launch(spec: LaunchSpec): Promise<Container> {
    const volumes = this.workDir ? volumesOf(this.workDir, spec.task.resources) : [];
    const config = dockerCreateConfig(spec, volumes); // throws LaunchError on bad input
    const docker = spec.task.container!.docker!;
    await this.ensureImage(docker.image, docker.force_pull_image ?? false);
    const name = containerName(spec.agentId, spec.frameworkId, spec.task.task_id.value);
    // The output files exist before the container starts: after an agent restart, their last
    // change tells from when on the container's output is still to be copied (`recover`).
    for (const f of ["stdout", "stderr"]) closeSync(openSync(join(spec.sandbox, f), "a"));
    let id: string;
    try {
      // A container of this name is a leftover of an earlier launch of the same task id.
      await this.client.remove(name, true);
      id = await this.client.create(name, config);
    } catch (e) {
      throw new LaunchError(`cannot create the container: ${errorText(e)}`);
    }
    try {
      await this.client.start(id);
    } catch (e) {
      await this.client.remove(id, true).catch(() => {});
      throw new LaunchError(`cannot start the container: ${errorText(e)}`);
    }
    this.log.info("started container", { task_id: spec.task.task_id.value, container: name });
    return new DockerContainer(this.client, name, id, spec.sandbox, "0", this.log);
  }

  /**
   * Re-attaches to the container of a task started by an earlier agent process (the record's
   * `docker_container`): its output is streamed on into the sandbox from where the files were
   * last written, and `exited` resolves when it ends (at once, with its real exit status, when
   * it ended while the agent was away). Undefined when the record names no container or the
   * container is gone.
   */
  async recover(record: TaskRecord): Promise<Container | undefined> {
    if (!record.docker_container || !record.sandbox) return undefined;
    const info = await this.client.inspect(record.docker_container);
    if (!info) return undefined;
    this.log.info("re-attached to container", { task_id: record.task_id, container: record.docker_container, running: info.State.Running });
    return new DockerContainer(this.client, record.docker_container, info.Id, record.sandbox, resumeFrom(record.sandbox), this.log);
  }

  /** Removes (killing first) the container of a task of an earlier agent process. */
  async destroyOrphan(record: TaskRecord): Promise<void> {
    if (!record.docker_container) return;
    await this.client.remove(record.docker_container, true);
    this.log.info("removed container left by the previous agent", { task_id: record.task_id, container: record.docker_container });
  }

  /** Pulls the image when it is missing (or always with force_pull_image); a failure fails the launch. */
  private async ensureImage(image: string, force: boolean): Promise<void> {
    let present: boolean;
    try {
      present = await this.client.hasImage(image);
    } catch (e) {
      throw new LaunchError(`cannot reach the Docker engine: ${errorText(e)}`);
    }
    if (present && !force) return;
    try {
      this.log.info("pulling image", { image });
      await this.client.pull(image);
    } catch (e) {
      throw new LaunchError(`cannot pull image '${image}': ${errorText(e)}`);
    }
  }
}

/** A started (or re-attached) container. */
class DockerContainer implements Container {
  readonly identity: Container["identity"];
  readonly exited: Promise<ContainerExit>;
  private done = false;
  private stopping = false;

  constructor(
    private readonly client: DockerClient,
    private readonly name: string,
    id: string,
    sandbox: string,
    since: string,
    private readonly log: Logger,
  ) {
    this.identity = { docker_container: name };
    const logs = this.copyLogs(id, sandbox, since);
    this.exited = (async () => {
      const code = await this.waitExit(id);
      this.done = true;
      await logs;
      const info = await client.inspect(id).catch(() => undefined);
      const exit: ContainerExit = {
        code: info?.State.ExitCode ?? code,
        signal: null,
        oomKilled: info?.State.OOMKilled ?? false,
        stdoutTail: tail(join(sandbox, "stdout")),
      };
      // The output is in the sandbox: the container has nothing more to give.
      await client.remove(id, true).catch((e) => log.warn("cannot remove container", { container: name, error: errorText(e) }));
      return exit;
    })();
  }

  /** `docker stop` with the grace period: SIGTERM, SIGKILL after `graceMs` (whole seconds, rounded up). */
  kill(graceMs: number): void {
    if (this.done || this.stopping) return;
    this.stopping = true;
    this.client
      .stop(this.name, graceMs / 1000)
      .catch((e) => {
        this.log.warn("cannot stop container; killing it", { container: this.name, error: errorText(e) });
        return this.client.kill(this.name);
      })
      .catch(() => {});
  }

  /** The exit status; a broken wait call (engine restart) falls back to asking for the state. */
  private async waitExit(id: string): Promise<number> {
    for (;;) {
      try {
        return await this.client.wait(id);
      } catch (e) {
        const info = await this.client.inspect(id).catch(() => undefined);
        if (!info) return e instanceof DockerError && e.status === 404 ? 137 : 255;
        if (!info.State.Running && info.State.Status !== "created" && info.State.Status !== "restarting") return info.State.ExitCode;
        await new Promise((r) => setTimeout(r, WAIT_RETRY_MS));
      }
    }
  }

  /**
   * Streams the container's stdout/stderr (from `since`) into the sandbox files until it stops.
   * A stream that breaks while the container still runs (an HTTP idle timeout, an engine
   * restart) is opened again just after the last entry copied.
   */
  private async copyLogs(id: string, sandbox: string, since: string): Promise<void> {
    const out = openSync(join(sandbox, "stdout"), "a");
    const err = openSync(join(sandbox, "stderr"), "a");
    const cursor = openSync(join(sandbox, LOG_CURSOR), "w");
    let last: string | undefined;
    try {
      for (let from = since; ; from = last ? justAfter(last) : since) {
        try {
          await this.client.followLogs(id, from, (f: LogFrame) => {
            writeSync(f.stream === "stderr" ? err : out, f.data);
            last = f.time;
            writeSync(cursor, last.padEnd(CURSOR_WIDTH), 0);
          });
        } catch (e) {
          this.log.warn("the container's output stream broke", { container: this.name, error: errorText(e) });
        }
        const info = await this.client.inspect(id).catch(() => undefined);
        if (this.done || !info?.State.Running) return;
        await new Promise((r) => setTimeout(r, WAIT_RETRY_MS));
      }
    } finally {
      closeSync(out);
      closeSync(err);
      closeSync(cursor);
    }
  }
}

/**
 * The sandbox file holding the engine's timestamp of the last output entry copied into the
 * sandbox (rewritten in place after each entry): where a re-attaching agent resumes the copy.
 */
const LOG_CURSOR = ".docker-log-cursor";
/** Its fixed width: Unix seconds (up to 11 digits), a dot, nine decimals, padded with spaces. */
const CURSOR_WIDTH = 24;

/**
 * From when a re-attached container's output is still to be copied: just after the last entry
 * the previous agent copied (its cursor), else (a cursor never written) just after the output
 * files were last changed. The cursor is exact; a file's mtime comes from the kernel's coarse
 * clock (a tick behind) and may fall before an entry the engine logged just before it was
 * copied — that entry would be copied twice.
 */
function resumeFrom(sandbox: string): string {
  try {
    const time = readFileSync(join(sandbox, LOG_CURSOR), "utf8").trim();
    if (/^\d{1,11}\.\d{9}$/.test(time)) return justAfter(time);
  } catch {
    /* no cursor: a container whose output was never copied, or copied by an older agent */
  }
  return lastWritten(sandbox);
}

/**
 * When the sandbox's output files were last written (Unix seconds with nanoseconds): output
 * logged after that went unseen while the agent was away. "0" (everything) when neither exists.
 */
function lastWritten(sandbox: string): string {
  let latest = 0n;
  for (const f of ["stdout", "stderr"]) {
    try {
      const t = statSync(join(sandbox, f), { bigint: true }).mtimeNs;
      if (t > latest) latest = t;
    } catch {
      /* not written yet */
    }
  }
  if (latest === 0n) return "0";
  // Strictly after the last write: the engine's `since` includes entries logged at that instant.
  return justAfter(`${latest / 1_000_000_000n}.${String(latest % 1_000_000_000n).padStart(9, "0")}`);
}
