/**
 * Base64 over UTF-8 text, runtime-neutral (`btoa`/`atob` alone only handle Latin-1).
 * Used for Basic auth headers and for the task output agents put in `TaskStatus.data`.
 */

/** Standard (padded) base64 of `bytes`. */
export function base64Bytes(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Base64 of the UTF-8 bytes of `text`. */
export const base64Utf8 = (text: string): string => base64Bytes(new TextEncoder().encode(text));

/** 16 random bytes, base64: the form of a status update's `uuid`. */
export const randomUuidBase64 = (): string => base64Bytes(crypto.getRandomValues(new Uint8Array(16)));

/** The text whose UTF-8 bytes `base64` encodes; invalid UTF-8 becomes U+FFFD, not an error. */
export function utf8FromBase64(base64: string): string {
  const binary = atob(base64.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
