/**
 * The one place a POST body becomes JSON: content type checked, bytes read as a stream up to a
 * limit (`STRATA_MAX_BODY_BYTES`), nesting depth checked before parsing. A body past either
 * limit is refused with a response naming it, so no client can make the Worker buffer a body
 * of any size or walk one of any depth (issue 11).
 */
import { HttpError } from "./http-error.ts";

/**
 * How deep a body's arrays and objects may nest: Mesos' own JSON limit (stout parses with
 * picojson, whose default depth limit of 100 Mesos took up against CVE-2018-11793). The deepest
 * real call (a LAUNCH_GROUP's container and health check inside an ACCEPT) is under 20.
 */
export const MAX_JSON_DEPTH = 100;

const tooLarge = (maxBytes: number, limit: string) => new HttpError(413, `body: larger than the limit of ${maxBytes} bytes (${limit})`);

/** Reads `request`'s body as JSON, refusing one too large (naming `limit`, the setting or rule behind `maxBytes`) or nested too deep. */
export async function readJsonBody(request: Request, maxBytes: number, limit = "STRATA_MAX_BODY_BYTES"): Promise<unknown> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(415, `Content-Type: expected 'application/json'${type ? `, got '${type}'` : ""} (protobuf is not supported)`);
  }
  const text = await readText(request, maxBytes, limit);
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new HttpError(400, `body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "body: not valid JSON");
  }
}

/**
 * The body as text (UTF-8, as `Request.json()` decodes it), read chunk by chunk: refused before
 * reading when its Content-Length is past `maxBytes`, and as soon as the bytes read pass it.
 * (Marathon's API takes bodies as text: its own parser answers JSON that does not parse.)
 */
export async function readText(request: Request, maxBytes: number, limit: string): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(maxBytes, limit);
  }
  const reader = request.body?.getReader();
  if (!reader) return "";
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes, limit);
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join("");
}

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `text`'s arrays and objects nest deeper than `max` (brackets inside strings do not
 * count). One pass over the characters, no parsing: malformed JSON is the parser's to report.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return false;
}
