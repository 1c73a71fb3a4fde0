/**
 * The task manager's health checks: one `HealthChecker` per running task that has a
 * `health_check`, started once the task is TASK_RUNNING and stopped when it is being killed or
 * has ended. Tasks without a check cost nothing: no checker, no timer.
 */
import { describeHealthCheck, healthCheckProblem } from "../../../schemas/health-check.ts";
import type { LaunchSpec } from "../containerizers/containerizer.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { HealthChecker, type HealthListener } from "./health-checker.ts";
import type { HealthProber } from "./health-probes.ts";

/** What health checking needs: the clock its timing follows and the prober that runs the checks. */
export interface HealthDeps {
  clock: Clock;
  prober: HealthProber;
}

/** The checkers of the running tasks, by task key, and why a task was killed for its health. */
export class TaskHealthChecks {
  private readonly checkers = new Map<string, HealthChecker>();
  private readonly kills = new Map<string, string>();

  /** Without `deps` (tests of other parts, hollow agents) no task is health checked. */
  constructor(
    private readonly deps: HealthDeps | undefined,
    private readonly log: Logger,
  ) {}

  /** Starts checking a task that has just become TASK_RUNNING, when it has a valid check. */
  start(key: string, spec: LaunchSpec, cgroup: string | undefined, listener: HealthListener): void {
    const check = spec.task.health_check;
    if (!check || !this.deps || this.checkers.has(key)) return;
    const problem = healthCheckProblem(check); // the master refuses these; an older master may not
    if (problem) {
      this.log.warn("not health checking the task: its health check is invalid", { task_id: spec.task.task_id.value, problem });
      return;
    }
    this.log.debug("health checking the task", { task_id: spec.task.task_id.value, check: describeHealthCheck(check) });
    const probe = this.deps.prober.probeFor({ check, spec, ...(cgroup ? { cgroup } : {}) });
    this.checkers.set(
      key,
      new HealthChecker(check, probe, this.deps.clock, {
        healthChanged: (healthy, result) => {
          this.log.info(healthy ? "task is healthy" : "task is unhealthy", { task_id: spec.task.task_id.value, result: result.message });
          listener.healthChanged(healthy, result);
        },
        kill: (message) => {
          this.log.warn("killing the task: its health checks failed", { task_id: spec.task.task_id.value, message });
          this.kills.set(key, message);
          this.checkers.delete(key);
          listener.kill(message);
        },
      }),
    );
  }

  /** Stops checking (the task is being killed or has ended); nothing more is reported for it. */
  stop(key: string): void {
    this.checkers.get(key)?.stop();
    this.checkers.delete(key);
  }

  /** The message of the kill the health checks asked for, if they did. */
  killMessage(key: string): string | undefined {
    return this.kills.get(key);
  }

  /** The task's end was reported: forget it. */
  forget(key: string): void {
    this.stop(key);
    this.kills.delete(key);
  }

  /** How many tasks are being checked now (tests: an idle agent runs none). */
  get active(): number {
    return this.checkers.size;
  }
}
