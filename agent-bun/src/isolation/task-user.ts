/**
 * Which user a command task runs as (Mesos' `--switch_user`): the task's `CommandInfo.user`,
 * else its framework's `FrameworkInfo.user`. An agent running as root starts the task as that
 * user (uid, primary gid and supplementary groups read from /etc/passwd and /etc/group) and
 * hands it the sandbox; an agent not running as root (or started with `--switch-user=false`)
 * runs every task as itself, as Mesos does, and says so in its start log.
 *
 * Root: a task naming `root` (or naming no user on an agent running as root) runs as root only
 * when the agent is started with `--allow-root-tasks=true`; otherwise it fails with a message
 * saying so. The flag defaults to false: no task runs as root unless the operator allowed it.
 * (The library default of `ProcessContainerizer` allows it, as Mesos does; the binary's flag
 * does not.) The local cluster of `npm start` and the test clusters allow it explicitly.
 */
import { readFileSync } from "node:fs";

/** A resolved account: what `spawn` / `setpriv` need to start a process as it. */
export interface TaskUser {
  name: string;
  uid: number;
  gid: number;
  /** Supplementary group ids (from /etc/group), without `gid`. */
  groups: number[];
}

/** How the agent picks task users (from `--switch-user` and `--allow-root-tasks`). */
export interface TaskUserPolicy {
  switchUser: boolean;
  allowRoot: boolean;
}

/** Where accounts are read from (tests may point these at their own files). */
export interface AccountFiles {
  passwd: string;
  group: string;
}

/** The system's account files. */
export const SYSTEM_ACCOUNT_FILES: AccountFiles = { passwd: "/etc/passwd", group: "/etc/group" };

/** The account `name` from `files`, or undefined when there is none. */
export function lookupUser(name: string, files: AccountFiles = SYSTEM_ACCOUNT_FILES): TaskUser | undefined {
  let entry: string[] | undefined;
  for (const line of readLines(files.passwd)) {
    const fields = line.split(":");
    if (fields[0] === name && fields.length >= 4) {
      entry = fields;
      break;
    }
  }
  if (!entry) return undefined;
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  const groups = new Set<number>();
  for (const line of readLines(files.group)) {
    // name:password:gid:member,member
    const [, , id, members] = line.split(":");
    if (members?.split(",").includes(name) && Number.isInteger(Number(id)) && Number(id) !== gid) groups.add(Number(id));
  }
  return { name, uid, gid, groups: [...groups] };
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
  } catch {
    return [];
  }
}

/** Why a task cannot run as the user it names (the TASK_FAILED message). */
export class TaskUserError extends Error {}

/**
 * The user to start a task as, or undefined to run it as the agent itself (agent not root, or
 * `--switch-user=false`). `wanted` is `CommandInfo.user ?? FrameworkInfo.user`.
 * Throws `TaskUserError` for an unknown user, or for root where root tasks are not allowed.
 */
export function taskUser(wanted: string | undefined, policy: TaskUserPolicy, agentUid: number = currentUid(), files?: AccountFiles): TaskUser | undefined {
  if (agentUid !== 0 || !policy.switchUser) {
    if (agentUid === 0 && !policy.allowRoot)
      throw new TaskUserError("the agent runs as root with --switch-user=false, and root tasks are not allowed (--allow-root-tasks=false)");
    return undefined;
  }
  if (!wanted) {
    if (!policy.allowRoot)
      throw new TaskUserError(
        "the task names no user (set CommandInfo.user or FrameworkInfo.user), and running it as root is not allowed on this agent (--allow-root-tasks=false)",
      );
    return undefined; // as the agent (root): allowed
  }
  const user = lookupUser(wanted, files);
  if (!user) throw new TaskUserError(`user '${wanted}' does not exist on this agent`);
  if (user.uid === 0 && !policy.allowRoot)
    throw new TaskUserError(`user '${wanted}' is root, and root tasks are not allowed on this agent (--allow-root-tasks=false)`);
  return user.uid === 0 ? undefined : user;
}

/** This process's uid (0 where there is none, e.g. not POSIX). */
export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

/** One line for the start log: whom tasks run as. */
export function taskUserDescription(policy: TaskUserPolicy, agentUid: number = currentUid()): string {
  if (agentUid !== 0) return `tasks run as the agent's own user (uid ${agentUid}): the agent is not root, so it cannot switch users`;
  if (!policy.switchUser)
    return `tasks run as the agent's own user (root) (--switch-user=false)${policy.allowRoot ? "" : "; refused: --allow-root-tasks=false"}`;
  return `tasks run as CommandInfo.user or FrameworkInfo.user; root tasks ${policy.allowRoot ? "allowed" : "refused (--allow-root-tasks=false)"}`;
}

/**
 * The argv prefix that starts a command as `user` with its supplementary groups: `setpriv`
 * (util-linux) where installed. Undefined without it: the caller then starts the executor
 * with spawn's `uid`/`gid` (no supplementary groups).
 */
export function setprivPrefix(user: TaskUser, setpriv: string | undefined): string[] | undefined {
  if (!setpriv) return undefined;
  const groups = user.groups.length ? [`--groups=${user.groups.join(",")}`] : ["--clear-groups"];
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups, "--"];
}

/** The environment variables naming the task's user. */
export function userEnvironment(user: TaskUser | undefined): Record<string, string> {
  return user ? { USER: user.name, LOGNAME: user.name } : {};
}
