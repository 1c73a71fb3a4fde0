/**
 * Mesos ids travel as `{ "value": "…" }`; SDK calls also take the bare string so
 * framework code can write `client.kill("web-1")`.
 */

/** An id as the SDK accepts it: the bare string or the wire form. */
export type IdLike = string | { value: string };

/** The wire form `{ value }` of an id. */
export function toId(id: IdLike): { value: string } {
  return typeof id === "string" ? { value: id } : { value: id.value };
}

/**
 * The key of a task within the cluster: task ids are unique per framework only. Framework ids
 * are issued by the master and contain no `/`, so the key is unambiguous. One spelling for the
 * master (its SQLite `tasks` key) and the agent (its checkpoint), so both read the same keys.
 */
export const taskKey = (frameworkId: string, taskId: string): string => `${frameworkId}/${taskId}`;
