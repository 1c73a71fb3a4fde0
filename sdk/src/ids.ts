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
