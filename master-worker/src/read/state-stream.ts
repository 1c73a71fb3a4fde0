/**
 * Serving a large JSON document without stalling the master. `jsonParts` writes an object as a
 * sequence of small strings (its scalar fields at once, then its lists item by item, each item
 * turned into JSON only when its turn comes); `partsStream` turns such a sequence into a
 * response body that takes ~64 KB per read and yields to the event loop between reads, so
 * allocation runs, agent polls and other requests go on while a 100,000-task `/master/state`
 * is written out (Mesos' master serializes it whole, and everything waits). The document is
 * read from a `ReadSnapshot`, so it is consistent as of the moment the request arrived.
 */

/** A JSON object as parts: `head`'s fields, then each list of `lists`; items may be parts generators themselves. */
export function* jsonParts(head: object, lists: Record<string, Iterable<unknown>> = {}): Generator<string> {
  const h = JSON.stringify(head);
  let open = h.slice(0, -1);
  let first = h === "{}";
  for (const [name, items] of Object.entries(lists)) {
    yield `${open}${first ? "" : ","}${JSON.stringify(name)}:[`;
    open = "";
    first = false;
    let i = 0;
    for (const item of items) {
      const sep = i++ ? "," : "";
      if (isParts(item)) {
        yield sep;
        yield* item;
      } else yield sep + JSON.stringify(item);
    }
    yield "]";
  }
  yield `${open}}`;
}

/** `items` mapped one at a time as they are read (so a long list is never built whole). */
export function* mapLazily<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}

/** A JSON object whose every field's value is given as parts (nested documents). */
export function* objectOfParts(fields: Record<string, Iterable<string>>): Generator<string> {
  let sep = "{";
  for (const [name, parts] of Object.entries(fields)) {
    yield `${sep}${JSON.stringify(name)}:`;
    sep = ",";
    yield* parts;
  }
  yield sep === "{" ? "{}" : "}";
}

/** A generator of parts made by `jsonParts`, as a list item. */
const isParts = (x: unknown): x is Generator<string> =>
  typeof x === "object" && x !== null && typeof (x as Generator).next === "function" && typeof (x as Generator).throw === "function";

/** How much text one read takes before yielding. */
export const CHUNK_CHARS = 64 * 1024;

/** Lets other work run: a macrotask turn (timers, I/O, other requests). */
export const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

const encoder = new TextEncoder();

/**
 * A body of `parts`, ~`chunkChars` per read, yielding to the event loop between reads. `parts`
 * may be a promise (a snapshot still being taken in steps): the first read waits for it.
 */
export function partsStream(
  parts: Iterable<string> | Promise<Iterable<string>>,
  chunkChars = CHUNK_CHARS,
  pause: () => Promise<void> = yieldToEventLoop,
): ReadableStream<Uint8Array> {
  let it: Iterator<string> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (it) await pause();
        else it = (await parts)[Symbol.iterator]();
        let text = "";
        for (;;) {
          const next = it.next();
          if (next.done) {
            if (text) controller.enqueue(encoder.encode(text));
            controller.close();
            return;
          }
          text += next.value;
          if (text.length >= chunkChars) break;
        }
        controller.enqueue(encoder.encode(text));
      },
      cancel() {
        it?.return?.(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A streamed JSON response of `parts`. */
export function jsonPartsResponse(parts: Iterable<string> | Promise<Iterable<string>>): Response {
  return new Response(partsStream(parts), { status: 200, headers: { "content-type": "application/json" } });
}
