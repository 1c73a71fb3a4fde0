/**
 * Authentication of agents (cluster join token) and of frameworks and operators (HTTP Basic
 * `principal:secret`, as Mesos, or `Bearer <secret>`). Secrets are compared in constant time
 * (over SHA-256 digests, so lengths leak nothing) and never logged.
 */
import { utf8FromBase64 } from "../../../sdk/src/base64.ts";
import type { MasterConfig } from "../model/config.ts";
import { secretsEqual } from "../model/digests.ts";
import { HttpError } from "./http-error.ts";

const unauthorized = (why: string) => new HttpError(401, why, { "WWW-Authenticate": 'Basic realm="strata", Bearer realm="strata"' });

/** The agent must present the join token as a bearer token. */
export async function authenticateAgent(request: Request, config: MasterConfig): Promise<void> {
  if (!config.authenticateAgents) return;
  if (!config.joinToken) throw unauthorized("Agents cannot join: the master has no STRATA_JOIN_TOKEN set");
  const m = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!m || !(await secretsEqual(m[1]!.trim(), config.joinToken))) throw unauthorized("Authorization: a valid cluster join token is required");
}

/**
 * Returns the authenticated principal. With `required` false, a request without credentials
 * passes as anonymous (undefined) — but wrong credentials are still refused.
 */
export async function authenticatePrincipal(request: Request, config: MasterConfig, required: boolean): Promise<string | undefined> {
  const header = request.headers.get("authorization");
  if (!header) {
    if (required) throw unauthorized("Authorization: credentials are required (HTTP Basic principal:secret or a bearer token)");
    return undefined;
  }
  const basic = /^Basic\s+(.+)$/i.exec(header);
  if (basic) {
    let decoded: string;
    try {
      decoded = utf8FromBase64(basic[1]!.trim());
    } catch {
      throw unauthorized("Authorization: malformed Basic credentials");
    }
    const at = decoded.indexOf(":");
    const principal = at < 0 ? decoded : decoded.slice(0, at);
    const secret = at < 0 ? "" : decoded.slice(at + 1);
    const expected = config.credentials.get(principal);
    // Compare against something even for unknown principals so timing says nothing.
    const ok = await secretsEqual(secret, expected ?? "\u0000unknown-principal");
    if (!ok || expected === undefined) throw unauthorized("Authorization: invalid principal or secret");
    return principal;
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) {
    let found: string | undefined;
    for (const [principal, secret] of config.credentials) if (await secretsEqual(bearer[1]!.trim(), secret)) found ??= principal;
    if (!found) throw unauthorized("Authorization: invalid bearer token");
    return found;
  }
  throw unauthorized("Authorization: use the Basic or Bearer scheme");
}
