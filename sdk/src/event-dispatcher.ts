/**
 * Typed handler registry for `SchedulerClient` that dispatches events one at a time, in
 * arrival order, awaiting each handler: a framework's "update" handler finishes (and may
 * persist the status) before the update is acknowledged and before the next event runs.
 */
import type { SchedulerClientEvent, SchedulerEventHandlers } from "./scheduler-types.ts";

type AnyHandler = (...args: unknown[]) => unknown;

/** Sequential, typed event dispatch; a throwing handler is reported, never fatal. */
export class EventDispatcher {
  private readonly handlers = new Map<SchedulerClientEvent, Set<AnyHandler>>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly onHandlerError: (event: SchedulerClientEvent, error: unknown) => void) {}

  /** Adds `handler` for `event`; returns a function that removes it. */
  on<K extends SchedulerClientEvent>(event: K, handler: SchedulerEventHandlers[K]): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as AnyHandler);
    return () => this.off(event, handler);
  }

  off<K extends SchedulerClientEvent>(event: K, handler: SchedulerEventHandlers[K]): void {
    this.handlers.get(event)?.delete(handler as AnyHandler);
  }

  /**
   * Queues `event` behind every earlier one. Resolves (never rejects) once its handlers
   * have run: true when none of them threw.
   */
  dispatch<K extends SchedulerClientEvent>(event: K, ...args: Parameters<SchedulerEventHandlers[K]>): Promise<boolean> {
    const run = this.tail.then(() => this.run(event, args));
    this.tail = run;
    return run;
  }

  /** Whether a handler for `event` is registered. */
  has(event: SchedulerClientEvent): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0;
  }

  /** Resolves when every queued event has been dispatched. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  private async run(event: SchedulerClientEvent, args: unknown[]): Promise<boolean> {
    let ok = true;
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        await handler(...args);
      } catch (error) {
        ok = false;
        this.onHandlerError(event, error);
      }
    }
    return ok;
  }
}
