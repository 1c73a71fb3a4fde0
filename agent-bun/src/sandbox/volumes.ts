/**
 * Persistent volumes on the agent (Mesos docs/persistent-volume.md). A volume is a directory
 * under the work dir, `<work_dir>/volumes/roles/<role>/<persistence id>`, made when a task
 * first uses it and KEPT when the task ends, so a later task given the same volume finds its
 * files. A task sees it at `<sandbox>/<container_path>` (a symlink: tasks run as processes
 * whose working directory is the sandbox). A DESTROY_VOLUMES command removes the directory,
 * unless a running task still uses it (the master never asks for that; the agent refuses all
 * the same and logs it).
 */
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Resource } from "../../../schemas/mesos.ts";
import { reservationRole } from "../../../sdk/src/roles.ts";
import { safeSegment } from "./paths.ts";

/** The directory of the volume with `persistenceId` reserved for `role`. */
export function volumePath(workDir: string, role: string, persistenceId: string): string {
  return join(workDir, "volumes", "roles", safeSegment(role), safeSegment(persistenceId));
}

/** The directory of a persistent volume resource (undefined when `r` is not one). */
export function volumeDir(workDir: string, r: Resource): string | undefined {
  const id = r.disk?.persistence?.id;
  return id ? volumePath(workDir, reservationRole(r) ?? "*", id) : undefined;
}

/** The persistent volumes among a task's resources, with their directories. */
export function volumesOf(workDir: string, resources: readonly Resource[]): Array<{ resource: Resource; dir: string; containerPath: string }> {
  return resources.flatMap((r) => {
    const dir = volumeDir(workDir, r);
    const containerPath = r.disk?.volume?.container_path;
    return dir && containerPath ? [{ resource: r, dir, containerPath }] : [];
  });
}

/**
 * Makes each volume of `resources` visible in `sandbox` at its container path (creating the
 * volume's directory the first time). Throws when a container path leaves the sandbox.
 */
export function attachVolumes(workDir: string, sandbox: string, resources: readonly Resource[]): void {
  for (const v of volumesOf(workDir, resources)) {
    const target = resolve(sandbox, v.containerPath);
    const rel = relative(resolve(sandbox), target);
    if (rel === "" || rel.startsWith("..") || rel.split(sep).includes("..")) throw new Error(`volume container_path '${v.containerPath}' leaves the sandbox`);
    mkdirSync(v.dir, { recursive: true });
    mkdirSync(dirname(target), { recursive: true });
    if (isLink(target)) unlinkSync(target);
    else if (existsSync(target)) throw new Error(`volume container_path '${v.containerPath}' already exists in the sandbox`);
    symlinkSync(v.dir, target, "dir");
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Removes the directories of `volumes`, except those in `inUse` (directories of volumes that
 * running tasks use); returns the persistence ids refused.
 */
export function destroyVolumes(workDir: string, volumes: readonly Resource[], inUse: ReadonlySet<string>): string[] {
  const refused: string[] = [];
  for (const r of volumes) {
    const dir = volumeDir(workDir, r);
    if (!dir) continue;
    if (inUse.has(dir)) {
      refused.push(r.disk!.persistence!.id);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return refused;
}
