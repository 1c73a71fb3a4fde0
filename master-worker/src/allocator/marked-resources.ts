/**
 * The resources of an offer, marked as allocated to the framework's role (`allocatedTo`), made
 * once per resource list and role instead of once per offer. The master shares equal resource
 * lists between agent records (`Interner`) and never edits a list after it enters a record, so
 * an all-free agent offers the very list it declared, and the same few lists come back offer
 * after offer, cycle after cycle: copying each into fresh marked objects was a tenth of a full
 * cycle's garbage. The marked lists are shared between offers, like the records' own lists:
 * read-only.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { allocatedTo } from "../../../sdk/src/resources.ts";

/** One list marked for one role; a list offered to frameworks of several roles keeps a short chain. */
interface Marked {
  role: string;
  resources: Resource[];
  next: Marked | undefined;
}

const memo = new WeakMap<readonly Resource[], Marked>();

/** `allocatedTo(resources, role)`, the same array for the same (unchanged) list and role. */
export function markedFor(resources: readonly Resource[], role: string): Resource[] {
  const first = memo.get(resources);
  for (let m = first; m !== undefined; m = m.next) if (m.role === role) return m.resources;
  const made = allocatedTo(resources, role);
  memo.set(resources, { role, resources: made, next: first });
  return made;
}
