/**
 * Base64 over UTF-8 text, runtime-neutral (`btoa`/`atob` alone only handle Latin-1).
 * Used for Basic auth headers and for the task output agents put in `TaskStatus.data`.
 */

/** Base64 of the UTF-8 bytes of `text`. */
export function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The text whose UTF-8 bytes `base64` encodes; invalid UTF-8 becomes U+FFFD, not an error. */
export function utf8FromBase64(base64: string): string {
  const binary = atob(base64.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
