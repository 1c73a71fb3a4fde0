/**
 * What one framework holds (its tasks and outstanding offers) in the form the allocator reads:
 * running scalar sums, updated by each contribution added or taken away, instead of a list
 * re-merged from every task and offer on every allocation run.
 */
import type { Resource } from "../../../schemas/mesos.ts";
import { addScalars, type ScalarVector, scalarResources, scalarVector } from "./scalar-quantities.ts";

/** What a framework holds, kept as contributions come and go: scalar sums (what DRF reads) and whether anything else is held. */
export class HeldResources {
  readonly scalars: ScalarVector = scalarVector();
  /** Contributions holding a non-empty non-scalar entry (ports), and the latest such entry. */
  private others = 0;
  private otherSample: Resource | undefined;
  private cached: Resource[] | undefined = [];

  add(resources: readonly Resource[]): void {
    addScalars(this.scalars, resources);
    const other = nonScalar(resources);
    if (other) {
      this.others += 1;
      this.otherSample = other;
    }
    this.cached = undefined;
  }

  remove(resources: readonly Resource[]): void {
    addScalars(this.scalars, resources, -1);
    if (nonScalar(resources)) this.others -= 1;
    this.cached = undefined;
  }

  /**
   * As `AllocationFramework.allocated`: the scalar sums exactly; ranges and sets (which DRF
   * ignores, and which a union cannot take back) only as one sample entry, so that holding
   * nothing but them is not mistaken for holding nothing.
   */
  allocated(): Resource[] {
    if (this.cached) return this.cached;
    const out = scalarResources(this.scalars);
    if (out.length === 0 && this.others > 0 && this.otherSample) out.push(this.otherSample);
    return (this.cached = out);
  }
}

/** The first non-empty RANGES or SET entry of `resources`, if any. */
function nonScalar(resources: readonly Resource[]): Resource | undefined {
  for (const r of resources) {
    if (r.type === "RANGES" && (r.ranges?.range.length ?? 0) > 0) return r;
    if (r.type === "SET" && (r.set?.item.length ?? 0) > 0) return r;
  }
  return undefined;
}
