/**
 * What every benchmark returns: named figures with units and, where the issue sets one, a
 * target. `bench/run.ts` prints them as one table and writes them as JSON.
 */

/** A target a figure is judged against. */
export interface Target {
  op: "<=" | ">=";
  value: number;
}

/** One measured figure. */
export interface Figure {
  /** The benchmark it belongs to, e.g. "allocator". */
  group: string;
  /** What was measured, e.g. "full cycle, 10000 agents x 1000 frameworks". */
  name: string;
  value: number;
  unit: string;
  target?: Target;
  /** Anything a reader needs to interpret the figure (e.g. why it was skipped). */
  note?: string;
}

/**
 * A benchmark module: runs and returns its figures. `quick` asks for a shorter run; `minutes`
 * (`--minutes N`), where given, how long a timed benchmark (the soak) runs.
 */
export type Benchmark = (opts: { quick: boolean; minutes?: number }) => Promise<Figure[]>;

/** True when the figure meets its target (undefined when it has none). */
export function meets(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  return f.target.op === "<=" ? f.value <= f.target.value : f.value >= f.target.value;
}

/** Median and percentiles of a sample (sorted copy; nearest-rank). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
