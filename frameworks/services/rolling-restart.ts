/**
 * Marathon's rolling restart (an upgrade or `/restart` of an app): old instances are replaced by
 * new ones while at least `minimumHealthCapacity` of the app stays healthy and at most
 * `maximumOverCapacity` more than it runs. The planner takes the instances as they are now and
 * says what to kill and how many to start next; it is called again after every change.
 *
 * Source: mesosphere/marathon
 * src/main/scala/mesosphere/marathon/core/deployment/impl/TaskReplaceActor.scala
 * (`computeRestartStrategy`, `killImmediately`, `killNext`, `launchInstances`, `check`) and
 * docs/docs/deployments.md:
 * - minHealthy = ceil(instances × minimumHealthCapacity); maxCapacity = floor(instances × (1 + maximumOverCapacity));
 * - at the start, max(0, running − minHealthy) old instances are killed at once;
 * - when minHealthy = maxCapacity ≤ running no step could be taken (min 1, over 0): a normal app
 *   may run one instance over capacity; a resident app (local volumes, its new instance needs the
 *   old one's reservation) instead kills one more at once, going one below minHealthy;
 * - afterwards an old instance is killed only while that leaves at least minHealthy healthy
 *   (minHealthy − 1 in the resident case); Marathon kills one old instance per new healthy one;
 * - new instances are started while old not yet terminal + new started stays within maxCapacity;
 * - done when no old instance is left and `instances` new ones are healthy.
 * Old instances that are not healthy are killed first, and may always be killed after the first
 * step: they count toward neither the healthy floor nor (once terminal) the capacity.
 */

/** Marathon's `upgradeStrategy`. */
export interface UpgradeStrategy {
  /** 0…1: the share of `instances` that must stay healthy. */
  minimumHealthCapacity: number;
  /** 0…1: the share of `instances` that may run on top of it during the restart. */
  maximumOverCapacity: number;
}

/** The numbers a restart runs by, fixed when it starts (Marathon's `RestartStrategy`). */
export interface RestartStrategy {
  /** ceil(instances × minimumHealthCapacity). */
  minHealthy: number;
  /** How many instances may exist at once (old not yet terminal + new), including the one extra of the no-progress rule. */
  maxCapacity: number;
  /** Old instances to kill at the start. */
  killImmediately: number;
  /** Fewest healthy instances a later kill may leave: minHealthy, one less for a resident app that could not progress otherwise. */
  healthyFloor: number;
}

/**
 * The restart's numbers for an app of `instances` whose `runningAtStart` instances exist when the
 * restart begins; `resident` for apps with persistent local volumes.
 */
export function restartStrategy(instances: number, upgrade: UpgradeStrategy, runningAtStart: number, resident = false): RestartStrategy {
  const minHealthy = Math.ceil(instances * upgrade.minimumHealthCapacity);
  let maxCapacity = Math.floor(instances * (1 + upgrade.maximumOverCapacity));
  let killImmediately = Math.max(0, runningAtStart - minHealthy);
  let healthyFloor = minHealthy;
  if (minHealthy === maxCapacity && maxCapacity <= runningAtStart) {
    if (resident) {
      killImmediately = runningAtStart - minHealthy + 1;
      healthyFloor = Math.max(0, minHealthy - 1);
    } else maxCapacity += 1;
  }
  return { minHealthy, maxCapacity, killImmediately, healthyFloor };
}

/** An instance of the app during a restart (terminal instances are left out). */
export interface RestartInstance {
  id: string;
  /** Of the configuration being rolled out (true) or an older one. */
  isNew: boolean;
  /** Its kill was asked for; it counts toward capacity until it is terminal. */
  killing: boolean;
  /** Running and passing its health (and readiness) checks; running, for an app without checks. */
  healthy: boolean;
}

/** What to do next. */
export interface RestartStep {
  /** Old instances to kill now. */
  kill: string[];
  /** New instances to start now. */
  start: number;
  /** No old instance left and `instances` new ones healthy: the restart is over. */
  done: boolean;
}

/**
 * The next step of a restart to `instances` new instances. `first` for the step at the start,
 * when `strategy.killImmediately` old instances go at once.
 */
export function planRestartStep(instances: number, strategy: RestartStrategy, current: readonly RestartInstance[], first: boolean): RestartStep {
  const old = current.filter((i) => !i.isNew);
  const newRunning = current.filter((i) => i.isNew && !i.killing);
  if (old.length === 0 && newRunning.filter((i) => i.healthy).length >= instances) return { kill: [], start: 0, done: true };

  // Unhealthy first, otherwise in the order given.
  const candidates = old.filter((i) => !i.killing).sort((a, b) => Number(a.healthy) - Number(b.healthy));
  const kill: string[] = [];
  if (first) kill.push(...candidates.slice(0, strategy.killImmediately).map((i) => i.id));
  else {
    let healthy = current.filter((i) => !i.killing && i.healthy).length;
    for (const c of candidates) {
      if (c.healthy && healthy - 1 < strategy.healthyFloor) break;
      kill.push(c.id);
      if (c.healthy) healthy--;
    }
  }

  const leftCapacity = Math.max(0, strategy.maxCapacity - old.length - newRunning.length);
  const start = Math.min(Math.max(0, instances - newRunning.length), leftCapacity);
  return { kill, start, done: false };
}

/**
 * `strategy` for a rollback of an app of `instances` with `runningAtStart` running instances:
 * never every one of them stopped at once, and none of the last healthy one stopped until another
 * is healthy. Where the strategy would stop them all at once, the one kept runs over capacity.
 */
export function keepOneRunning(strategy: RestartStrategy, instances: number, runningAtStart: number): RestartStrategy {
  if (instances < 1 || runningAtStart < 1) return strategy;
  const kept = strategy.killImmediately >= runningAtStart ? 1 : 0;
  return {
    ...strategy,
    killImmediately: strategy.killImmediately - kept,
    maxCapacity: strategy.maxCapacity + kept,
    healthyFloor: Math.max(strategy.healthyFloor, 1),
  };
}
