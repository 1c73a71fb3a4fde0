/** The services framework's Marathon API as the end-to-end tests call it. */
import { authorizationHeader } from "../../sdk/src/auth.ts";

/** The headers of a JSON call made as `principal` (the local cluster's operator, in most tests). */
export const jsonHeaders = (c: { principal: string; secret: string }): Record<string, string> => ({
  authorization: authorizationHeader({ principal: c.principal, secret: c.secret })!,
  "content-type": "application/json",
});

/** Agent resources with a port range of their own in 20000–29999, so that a task's server never answers another suite's check. */
export function ownPortResources(): string {
  const base = 20_000 + Math.floor(Math.random() * 100) * 100;
  return `cpus:4;mem:2048;disk:1024;ports:[${base}-${base + 99}]`;
}

/** A caller of the API at `url()` with `headers()` (read at each call, as tests set them in beforeAll): the status, headers and JSON body of the answer. */
export function marathonApi(url: () => string, headers: () => Record<string, string>) {
  return async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url()}${path}`, { method, headers: headers(), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, headers: r.headers, json: (await r.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  };
}
