/**
 * Marathon's launch backoff: after a task of an app fails, its next launch waits `backoffSeconds`,
 * each further failure multiplies the wait by `backoffFactor`, never beyond
 * `maxLaunchDelaySeconds`. A pure function of the failure history and now.
 *
 * Source: mesosphere/marathon src/main/scala/mesosphere/marathon/core/launchqueue/impl/RateLimiter.scala
 * (`Delay`, `increased`, `cleanUpOverdueDelays`, `resetDelay`) and TaskReplaceActor.scala (a restart
 * or upgrade resets the delay). The rules:
 * - a delay belongs to one configuration of the app (its `lastConfigChangeVersion`): a new
 *   configuration starts with none, so pass only the history since the last config change;
 * - the first failure sets `min(backoff, max)`, each later one `min(max, previous × factor)`, and
 *   the launch waits until the failure's time plus that delay;
 * - a delay is forgotten (back to none) once more than `maxLaunchDelaySeconds` passed since the
 *   failure that set it: a task that ran that long without failing starts the sequence again;
 * - an explicit reset forgets it (a deployment that restarts or upgrades the app,
 *   `DELETE /v2/queue/{app}/delay`). Marathon does not reset it when a task becomes healthy.
 */

/** An app's backoff settings, in Marathon's field names. */
export interface BackoffStrategy {
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
}

/** The delay in force: set at `sinceMs` (the failure's time) for `delayMs`. */
export interface LaunchDelay {
  sinceMs: number;
  delayMs: number;
}

/** One entry of an app configuration's history: a task failed, or the delay was reset. */
export interface BackoffEvent {
  atMs: number;
  kind: "failure" | "reset";
}

/** The delay after one more failure at `atMs`, given the delay in force before it (none: the first). */
export function delayAfterFailure(previous: LaunchDelay | undefined, strategy: BackoffStrategy, atMs: number): LaunchDelay {
  const maxMs = strategy.maxLaunchDelaySeconds * 1000;
  const delayMs = previous ? Math.min(maxMs, previous.delayMs * strategy.backoffFactor) : Math.min(strategy.backoffSeconds * 1000, maxMs);
  return { sinceMs: atMs, delayMs };
}

/** The delay still in force at `nowMs`: none once `maxLaunchDelaySeconds` have passed since it was set. */
export function delayInForce(delay: LaunchDelay | undefined, strategy: BackoffStrategy, nowMs: number): LaunchDelay | undefined {
  if (!delay) return undefined;
  return nowMs > delay.sinceMs + strategy.maxLaunchDelaySeconds * 1000 ? undefined : delay;
}

/** The delay in force at `nowMs` after `history` (ascending by time, of the app's current configuration). */
export function launchDelay(history: readonly BackoffEvent[], strategy: BackoffStrategy, nowMs: number): LaunchDelay | undefined {
  let delay: LaunchDelay | undefined;
  for (const e of history) {
    if (e.atMs > nowMs) break;
    delay = e.kind === "reset" ? undefined : delayAfterFailure(delayInForce(delay, strategy, e.atMs), strategy, e.atMs);
  }
  return delayInForce(delay, strategy, nowMs);
}

/** When the next instance may launch: the delay's end, or now when there is none or it has passed. */
export function launchAllowedAt(history: readonly BackoffEvent[], strategy: BackoffStrategy, nowMs: number): number {
  const delay = launchDelay(history, strategy, nowMs);
  return delay ? Math.max(nowMs, delay.sinceMs + delay.delayMs) : nowMs;
}
