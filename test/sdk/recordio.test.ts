import { describe, expect, it } from "vitest";
import { encodeRecord, RecordIODecoder, RecordIOError, readRecords } from "../../sdk/src/recordio.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("encodeRecord", () => {
  it("prefixes the UTF-8 byte length, not the string length", () => {
    expect(encodeRecord("abc")).toBe("3\nabc");
    expect(encodeRecord("é")).toBe("2\né");
    expect(encodeRecord("🚀")).toBe("4\n🚀");
    expect(encodeRecord({ type: "HEARTBEAT" })).toBe('20\n{"type":"HEARTBEAT"}');
    expect(encodeRecord("")).toBe("0\n");
  });
});

describe("RecordIODecoder", () => {
  const payloads = [
    JSON.stringify({ type: "SUBSCRIBED", subscribed: { framework_id: { value: "fw-1" } } }),
    "",
    JSON.stringify({ type: "UPDATE", message: "naïve café — 日本語 🚀" }),
    "x",
    JSON.stringify({ type: "HEARTBEAT" }),
  ];
  const stream = bytes(payloads.map((p) => encodeRecord(p)).join(""));

  it("decodes a whole stream in one chunk", () => {
    expect(new RecordIODecoder().feed(stream)).toEqual(payloads);
  });

  it("decodes the stream split at every byte offset", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new RecordIODecoder();
      const out = [...d.feed(stream.subarray(0, cut)), ...d.feed(stream.subarray(cut))];
      expect(out, `split at ${cut}`).toEqual(payloads);
      expect(d.pending).toBe(false);
    }
  });

  it("decodes the stream split at every pair of offsets (three chunks)", () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const d = new RecordIODecoder();
        const out = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)].flatMap((c) => d.feed(c));
        expect(out).toEqual(payloads);
      }
    }
  });

  it("decodes one byte at a time, including inside multibyte characters", () => {
    const d = new RecordIODecoder();
    const out: string[] = [];
    for (const b of stream) out.push(...d.feed(Uint8Array.of(b)));
    expect(out).toEqual(payloads);
  });

  it("reports a partial record as pending and end() throws", () => {
    const d = new RecordIODecoder();
    expect(d.feed(bytes("10\nabc"))).toEqual([]);
    expect(d.pending).toBe(true);
    expect(() => d.end()).toThrow(/ended inside a record/);
  });

  it.each([
    ["non-digit length", "1a\n{}"],
    ["negative length", "-1\n"],
    ["empty length", "\n{}"],
    ["whitespace in the length", " 2\n{}"],
    ["absurdly long length", "12345678901234567890\n"],
  ])("rejects a malformed stream: %s", (_what, text) => {
    const d = new RecordIODecoder();
    expect(() => d.feed(bytes(text))).toThrow(RecordIOError);
    // the decoder stays failed: the stream cannot be resynchronised
    expect(() => d.feed(bytes("2\n{}"))).toThrow(RecordIOError);
  });

  it("rejects a record larger than its limit", () => {
    const d = new RecordIODecoder(10);
    expect(() => d.feed(bytes("11\n"))).toThrow(/exceeds/);
    expect(new RecordIODecoder(10).feed(bytes("10\n0123456789"))).toEqual(["0123456789"]);
  });
});

describe("readRecords", () => {
  it("yields the records of a ReadableStream of arbitrary chunks", async () => {
    const text = ["a", "bé", '{"k":1}'].map((p) => encodeRecord(p)).join("");
    const all = bytes(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < all.length; i += 2) controller.enqueue(all.subarray(i, i + 2));
        controller.close();
      },
    });
    const out: string[] = [];
    for await (const r of readRecords(stream)) out.push(r);
    expect(out).toEqual(["a", "bé", '{"k":1}']);
  });

  it("throws when the stream is truncated mid-record", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes("1\na5\nab"));
        c.close();
      },
    });
    const out: string[] = [];
    await expect(
      (async () => {
        for await (const r of readRecords(stream)) out.push(r);
      })(),
    ).rejects.toThrow(RecordIOError);
    expect(out).toEqual(["a"]);
  });
});
