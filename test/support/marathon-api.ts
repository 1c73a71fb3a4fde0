/** The services framework's Marathon API as the end-to-end tests call it. */

/** A caller of the API at `url()` with `headers()` (read at each call, as tests set them in beforeAll): the status, headers and JSON body of the answer. */
export function marathonApi(url: () => string, headers: () => Record<string, string>) {
  return async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url()}${path}`, { method, headers: headers(), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, headers: r.headers, json: (await r.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  };
}
