/**
 * RecordIO, the framing of the Mesos v1 event streams: each record is
 * `<decimal length of the payload in UTF-8 bytes>\n<payload>`. The master encodes its
 * SUBSCRIBE stream with `encodeRecord`; clients decode it with `RecordIODecoder`.
 * Runtime-neutral: only TextEncoder/TextDecoder.
 */

const encoder = new TextEncoder();
const NEWLINE = 0x0a;
/** Longer length prefixes than this are garbage, not a record (2^53 has 16 digits). */
const MAX_HEADER_DIGITS = 16;
/** Default cap on one record's size: a bigger length is treated as a corrupt stream. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** A stream that does not follow the RecordIO framing (bad length prefix, truncated record). */
export class RecordIOError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordIOError";
  }
}

/**
 * Frames one record: objects are JSON-encoded, strings are sent as they are. The length
 * counts UTF-8 bytes, so multibyte characters are framed correctly.
 */
export function encodeRecord(payload: unknown): string {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return `${encoder.encode(text).byteLength}\n${text}`;
}

/**
 * Incremental RecordIO decoder. Feed it the chunks of a byte stream as they arrive, in
 * any split (a record may span many chunks, a chunk may hold many records or end inside
 * a length prefix or a multibyte character); it returns each complete record's payload
 * as a string. A malformed length prefix throws `RecordIOError`, and the decoder stays
 * failed: the stream cannot be resynchronised.
 */
export class RecordIODecoder {
  private header = "";
  private need = -1; // payload bytes still expected; -1 while reading a header
  private parts: Uint8Array[] = [];
  private have = 0;
  private failed: RecordIOError | undefined;
  private readonly textDecoder = new TextDecoder();

  constructor(private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Consumes one chunk and returns the payloads of the records it completed, in order. */
  feed(chunk: Uint8Array): string[] {
    if (this.failed) throw this.failed;
    const out: string[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.need < 0) {
        const byte = chunk[i++]!;
        if (byte !== NEWLINE) {
          if (byte < 0x30 || byte > 0x39 || this.header.length >= MAX_HEADER_DIGITS) {
            this.fail(`bad record length prefix '${this.header}${printable(byte)}'`);
          }
          this.header += String.fromCharCode(byte);
          continue;
        }
        if (this.header === "") this.fail("empty record length prefix");
        const length = Number(this.header);
        if (length > this.maxRecordBytes) this.fail(`record of ${length} bytes exceeds the ${this.maxRecordBytes}-byte limit`);
        this.header = "";
        this.need = length;
        if (length === 0) {
          out.push("");
          this.need = -1;
        }
        continue;
      }
      const take = Math.min(this.need - this.have, chunk.length - i);
      this.parts.push(chunk.subarray(i, i + take));
      this.have += take;
      i += take;
      if (this.have === this.need) out.push(this.flush());
    }
    return out;
  }

  /** True when the decoder holds part of a record (a stream ending now was truncated). */
  get pending(): boolean {
    return this.header !== "" || this.need >= 0;
  }

  /** Call when the byte stream ends: throws if it ended in the middle of a record. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.pending) this.fail("stream ended inside a record");
  }

  private flush(): string {
    const bytes = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.have);
    const text = this.textDecoder.decode(bytes);
    this.parts = [];
    this.have = 0;
    this.need = -1;
    return text;
  }

  private fail(message: string): never {
    this.failed = new RecordIOError(`RecordIO: ${message}`);
    throw this.failed;
  }
}

/** Reads a byte stream to its end, yielding each record's payload. */
export async function* readRecords(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new RecordIODecoder();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* decoder.feed(value);
    }
    decoder.end();
  } finally {
    reader.releaseLock();
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const printable = (byte: number) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`);
