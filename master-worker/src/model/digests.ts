/**
 * SHA-256 digests and their constant-time comparison: what the master keeps of secrets and
 * tokens, and how the edge (credentials) and the core (agent tokens) compare them.
 */
const encoder = new TextEncoder();

/** SHA-256 of `s`, hex: what the master keeps of an agent's token. */
export async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Equality of two digests (equal-length strings) in time independent of where they differ. */
export function digestsEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** Constant-time secret equality (over digests, so lengths leak nothing). */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  return digestsEqual(x, y);
}

/** The digest of a token an agent presented (`agent_token`), or undefined when it presented none. */
export const tokenHash = (token: string | undefined): Promise<string | undefined> => (token === undefined ? Promise.resolve(undefined) : sha256Hex(token));
