/** Mesos `TimeInfo` (nanoseconds since the epoch, an integer) from the master's milliseconds: one conversion for every JSON shape that carries a time. */

/** `{ nanoseconds }` for `ms` milliseconds since the epoch, rounded to a whole nanosecond. */
export const timeInfo = (ms: number) => ({ nanoseconds: Math.round(ms * 1e6) });
