/**
 * Byte sizes in flags (`--fetcher-cache-size=2GB`), written as Mesos writes its `Bytes` flags:
 * a whole number with an optional unit B, KB, MB, GB or TB, each 1024 times the previous.
 */

const UNITS: Record<string, number> = { "": 1, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** `text` in bytes, or undefined when it is not a size like `512MB`, `2GB` or `1048576`. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([KMGT]?B)?\s*$/i.exec(text);
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[(m[2] ?? "").toUpperCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
