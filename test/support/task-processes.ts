/**
 * The processes of a task on this machine, found by the `MESOS_TASK_ID` the agent puts in every
 * task's environment: end-to-end tests use it to see a task's process run and end.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The pids of the processes whose environment names `taskId` as MESOS_TASK_ID. */
export function pidsOfTask(taskId: string): number[] {
  const needle = `MESOS_TASK_ID=${taskId}\0`;
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").includes(needle)) pids.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** The tasks with a live process on this machine whose `MESOS_TASK_ID` starts with `prefix`, with their pids. */
export function tasksWithProcesses(prefix: string): Map<string, number[]> {
  const tasks = new Map<string, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const state = stat[stat.lastIndexOf(")") + 2];
      if (state === "Z" || state === "X") continue; // a zombie has ended
      const id = readFileSync(`/proc/${name}/environ`, "latin1")
        .split("\0")
        .find((v) => v.startsWith(`MESOS_TASK_ID=${prefix}`))
        ?.slice("MESOS_TASK_ID=".length);
      if (id) tasks.set(id, [...(tasks.get(id) ?? []), Number(name)]);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return tasks;
}

/** Sends `signal` to every process of `taskId`; one that ended meanwhile (the agent ends a task's other processes once its first one dies) is passed over. */
export function signalTask(taskId: string, signal: NodeJS.Signals): void {
  for (const pid of pidsOfTask(taskId)) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }
}
