/**
 * Sandbox file access through the real Worker and Durable Object (docs/files.md): an operator's
 * LIST_FILES is held while the agent's held poll is woken with the request, and answered with
 * what the agent posts to /agent/v1/files; the agent's answer needs its own token; bad paths
 * are refused by the Worker's routes.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { subscribedFrameworkId } from "./subscribed-id.ts";

const BASE = "http://master.test";
const alice = `Basic ${btoa("alice:alice-secret")}`;
const json = { "content-type": "application/json" };
const agentAuth = { ...json, authorization: "Bearer test-join-token" };

const post = (path: string, body: unknown, headers: Record<string, string>) =>
  SELF.fetch(`${BASE}${path}`, { method: "POST", body: JSON.stringify(body), headers });

async function registerAgent(): Promise<{ agentId: string; token: string }> {
  const res = await post(
    "/agent/v1/register",
    {
      hostname: "files-agent.test",
      resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 } }],
    },
    agentAuth,
  );
  expect(res.status).toBe(200);
  const reg = (await res.json()) as { agent_id: { value: string }; agent_token: string };
  return { agentId: reg.agent_id.value, token: reg.agent_token };
}

async function subscribeFramework(): Promise<string> {
  const res = await post(
    "/api/v1/scheduler",
    {
      type: "SUBSCRIBE",
      subscribe: { framework_info: { user: "root", name: "files-test", principal: "alice" } },
    },
    { ...json, authorization: alice },
  );
  expect(res.status).toBe(200);
  return subscribedFrameworkId(res);
}

describe("sandbox files through the Worker and the Durable Object", () => {
  it("relays LIST_FILES to the agent's held poll and answers with the agent's answer", async () => {
    const { agentId, token } = await registerAgent();
    const fid = await subscribeFramework();
    // The agent's first poll: it is connected from now on.
    const first = await post("/agent/v1/poll", { agent_id: { value: agentId }, agent_token: token, wait_seconds: 0 }, agentAuth);
    expect(first.status).toBe(200);
    await first.body?.cancel();
    // A poll held for up to 20 s…
    const held = post("/agent/v1/poll", { agent_id: { value: agentId }, agent_token: token, wait_seconds: 20 }, agentAuth);
    await new Promise((r) => setTimeout(r, 300));
    const sandbox = `/agents/${agentId}/frameworks/${fid}/tasks/t1`;
    const started = Date.now();
    const list = post("/api/v1", { type: "LIST_FILES", list_files: { path: sandbox } }, { ...json, authorization: alice });
    // …is answered at once with the file request.
    const answer = (await (await held).json()) as { file_requests?: Array<{ request_id: string; op: string; path: string; task_id: { value: string } }> };
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.file_requests).toHaveLength(1);
    const req = answer.file_requests![0]!;
    expect(req).toMatchObject({ op: "LIST", path: "", task_id: { value: "t1" } });
    // An answer without the agent's own token is refused.
    const forged = await post("/agent/v1/files", { agent_id: { value: agentId }, request_id: req.request_id, file_infos: [] }, agentAuth);
    expect(forged.status).toBe(401);
    await forged.body?.cancel();
    const entry = { path: "stdout", nlink: 1, size: 5, mtime: 1, mode: 0o100644, uid: "0", gid: "0" };
    const posted = await post(
      "/agent/v1/files",
      { agent_id: { value: agentId }, agent_token: token, request_id: req.request_id, file_infos: [entry] },
      agentAuth,
    );
    expect(await posted.json()).toEqual({ accepted: true });
    const res = await list;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      type: "LIST_FILES",
      list_files: { file_infos: [{ ...entry, path: `${sandbox}/stdout`, mtime: { nanoseconds: 1_000_000_000 } }] },
    });
    // Answered already: a second answer is not accepted.
    const again = await post("/agent/v1/files", { agent_id: { value: agentId }, agent_token: token, request_id: req.request_id, file_infos: [] }, agentAuth);
    expect(await again.json()).toEqual({ accepted: false });
  });

  it("refuses bad paths and bad answers with 400, unknown agents with 404", async () => {
    const read = await SELF.fetch(`${BASE}/files/read?path=/etc/passwd`, { headers: { authorization: alice } });
    expect(read.status).toBe(400);
    expect(await read.text()).toContain("names no task sandbox");
    const browse = await SELF.fetch(`${BASE}/files/browse.json?path=/agents/nobody/frameworks/f/tasks/t`, { headers: { authorization: alice } });
    expect(browse.status).toBe(404);
    await browse.body?.cancel();
    const call = await post("/api/v1", { type: "READ_FILE", read_file: { path: "/agents/a/frameworks/f/tasks/t/x" } }, { ...json, authorization: alice });
    expect(call.status).toBe(400);
    expect(await call.text()).toContain("read_file.offset");
    // Offsets and lengths past 2^53 − 1 (the agent's bound too): 400 at once, nothing relayed.
    for (const offset of [2 ** 53, 2 ** 63, "9223372036854775808"]) {
      const big = await post(
        "/api/v1",
        { type: "READ_FILE", read_file: { path: "/agents/a/frameworks/f/tasks/t/x", offset } },
        { ...json, authorization: alice },
      );
      expect(big.status, String(offset)).toBe(400);
      expect(await big.text()).toContain("read_file.offset: expected an integer from 0 to 9007199254740991");
    }
    for (const offset of ["9007199254740992", "9223372036854775808"]) {
      const big = await SELF.fetch(`${BASE}/files/read?path=/agents/a/frameworks/f/tasks/t/x&offset=${offset}`, { headers: { authorization: alice } });
      expect(big.status, offset).toBe(400);
      expect(await big.text()).toMatch(/^offset: /);
    }
    const answer = await post("/agent/v1/files", { agent_id: { value: "a" }, request_id: "" }, agentAuth);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain("request_id");
  });

  it("passes the agent's own 4xx refusals (429, 422, any other) through with its message; 5xx stays 503", async () => {
    const { agentId, token } = await registerAgent();
    const fid = await subscribeFramework();
    const polled = await post("/agent/v1/poll", { agent_id: { value: agentId }, agent_token: token, wait_seconds: 0 }, agentAuth);
    await polled.body?.cancel();
    const sandbox = `/agents/${agentId}/frameworks/${fid}/tasks/t1`;
    const cases: Array<[agentStatus: number, message: string, operatorStatus: number]> = [
      [429, "'stdout': the agent has too many open files now; try again later", 429],
      [422, "cannot read 'stdout' (EIO)", 422],
      [409, "'stdout': some other refusal", 409],
      [404, "'stdout' does not exist in the sandbox", 404],
      [500, "'stdout': the agent failed", 503],
    ];
    for (const [agentStatus, message, operatorStatus] of cases) {
      const read = post("/api/v1", { type: "READ_FILE", read_file: { path: `${sandbox}/stdout`, offset: 0 } }, { ...json, authorization: alice });
      const browse = SELF.fetch(`${BASE}/files/read?path=${encodeURIComponent(`${sandbox}/stdout`)}&offset=0`, { headers: { authorization: alice } });
      // The agent's next poll carries both requests; it refuses each with `agentStatus`.
      let requests: Array<{ request_id: string }> = [];
      for (let i = 0; i < 20 && requests.length < 2; i++) {
        const poll = await post("/agent/v1/poll", { agent_id: { value: agentId }, agent_token: token, wait_seconds: 1 }, agentAuth);
        requests = [...requests, ...(((await poll.json()) as { file_requests?: Array<{ request_id: string }> }).file_requests ?? [])];
      }
      expect(requests).toHaveLength(2);
      for (const { request_id } of requests) {
        const posted = await post(
          "/agent/v1/files",
          { agent_id: { value: agentId }, agent_token: token, request_id, error: { status: agentStatus, message } },
          agentAuth,
        );
        expect(await posted.json()).toEqual({ accepted: true });
      }
      const [v1, classic] = await Promise.all([read, browse]);
      expect([v1.status, await v1.text()], `agent ${agentStatus}, READ_FILE`).toEqual([operatorStatus, `read_file.path: ${message}\n`]);
      expect([classic.status, await classic.text()], `agent ${agentStatus}, /files/read`).toEqual([operatorStatus, `path: ${message}\n`]);
    }
  });
});
