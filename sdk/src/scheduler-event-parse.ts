/**
 * Turns one RecordIO record of the SUBSCRIBE stream into a typed `SchedulerEvent`,
 * leniently: an event type this SDK does not know (a newer master) or a malformed event
 * is logged and skipped, never fatal to the stream.
 */
import { parseMessage } from "../../schemas/parse.ts";
import { SchedulerEvent } from "../../schemas/scheduler.ts";
import { describeError } from "./scheduler-errors.ts";
import type { Logger } from "./scheduler-types.ts";

const KNOWN_EVENTS: ReadonlySet<string> = new Set(SchedulerEvent.options.map((o) => o.shape.type.value));

/** The typed event in `record`, or undefined (and a log line) when it must be skipped. */
export function parseSchedulerEvent(record: string, log: Logger = {}): SchedulerEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(record);
  } catch {
    log.warn?.("ignoring an event that is not JSON", record.slice(0, 200));
    return undefined;
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || !KNOWN_EVENTS.has(type)) {
    log.debug?.(`ignoring event of unknown type ${String(type)}`);
    return undefined;
  }
  try {
    return parseMessage(SchedulerEvent, json, "event");
  } catch (error) {
    log.warn?.(`ignoring invalid ${type} event: ${describeError(error)}`);
    return undefined;
  }
}
