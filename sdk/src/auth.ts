/**
 * HTTP authentication for calls to the master: Basic (a framework principal and its
 * secret) or Bearer (a token). Runtime-neutral.
 */
import { base64Utf8 } from "./base64.ts";

/** How a framework proves who it is to the master. */
export type Credentials = { principal: string; secret: string } | { token: string };

/** The `Authorization` header value for `credentials`; undefined when there are none. */
export function authorizationHeader(credentials: Credentials | undefined): string | undefined {
  if (!credentials) return undefined;
  if ("token" in credentials) return `Bearer ${credentials.token}`;
  return `Basic ${base64Utf8(`${credentials.principal}:${credentials.secret}`)}`;
}
