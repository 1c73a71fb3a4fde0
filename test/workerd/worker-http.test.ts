/**
 * The Worker's HTTP surface inside workerd, through `SELF.fetch`: content type, authentication,
 * validation errors, the SUBSCRIBE stream's first record, agent registration and `/health`, and
 * a malformed ACCEPT releasing the offers it names.
 * Secrets come from the miniflare bindings in vitest.config.ts.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseMessage, SchedulerCall } from "../../schemas/index.ts";
import { RecordIODecoder } from "../../sdk/src/recordio.ts";

const BASE = "http://master.test";
const basic = (principal: string, secret: string) => `Basic ${btoa(`${principal}:${secret}`)}`;
const alice = basic("alice", "alice-secret");
const json = { "content-type": "application/json" };

const subscribe = {
  type: "SUBSCRIBE",
  subscribe: { framework_info: { user: "root", name: "workerd-test", principal: "alice" } },
};
const registration = {
  hostname: "agent-1.test",
  resources: [
    { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
    { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
  ],
};

const scheduler = (body: string, headers: Record<string, string>) => SELF.fetch(`${BASE}/api/v1/scheduler`, { method: "POST", body, headers });

describe("Worker HTTP surface", () => {
  it("sets up the secrets the tests rely on", () => {
    expect(env.STRATA_JOIN_TOKEN).toBe("test-join-token");
    expect(env.STRATA_CREDENTIALS).toBe("alice:alice-secret,ops:ops-secret");
    expect(env.STRATA_OPERATORS).toBe("ops");
  });

  it("GET /health answers 200", async () => {
    const res = await SELF.fetch(`${BASE}/health`);
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  it("refuses a scheduler call that is not JSON with 415", async () => {
    const res = await scheduler(JSON.stringify(subscribe), { "content-type": "application/x-protobuf", authorization: alice });
    expect(res.status).toBe(415);
    expect(await res.text()).toContain("application/json");
  });

  it("refuses a scheduler call without credentials with 401 and a challenge", async () => {
    const res = await scheduler(JSON.stringify(subscribe), json);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Basic");
    await res.body?.cancel();
  });

  it("refuses a scheduler call with a wrong secret with 401", async () => {
    const res = await scheduler(JSON.stringify(subscribe), { ...json, authorization: basic("alice", "wrong") });
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });

  it("answers a malformed call with 400 naming the field", async () => {
    const bad = { type: "SUBSCRIBE", subscribe: { framework_info: { user: "root" } } };
    const res = await scheduler(JSON.stringify(bad), { ...json, authorization: alice });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("subscribe.framework_info.name");
  });

  it("answers a body that is not JSON with 400", async () => {
    const res = await scheduler("{not json", { ...json, authorization: alice });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("not valid JSON");
  });

  it("SUBSCRIBE answers 200 with a Mesos-Stream-Id and a RecordIO stream opening with SUBSCRIBED", async () => {
    const res = await scheduler(JSON.stringify(subscribe), { ...json, accept: "application/json", authorization: alice });
    expect(res.status).toBe(200);
    expect(res.headers.get("mesos-stream-id")).toMatch(/^[0-9a-f-]{36}$/);
    const reader = res.body!.getReader();
    const decoder = new RecordIODecoder();
    const records: string[] = [];
    try {
      // The stream stays open: read only until the first record is complete.
      while (records.length === 0) {
        const { value, done } = await reader.read();
        if (done) break;
        records.push(...decoder.feed(value));
      }
    } finally {
      await reader.cancel();
    }
    const first = JSON.parse(records[0]!);
    expect(first.type).toBe("SUBSCRIBED");
    expect(first.subscribed.framework_id.value).toEqual(expect.any(String));
    expect(first.subscribed.heartbeat_interval_seconds).toBe(5);
  });

  it("registers an agent presenting the join token (200) and refuses a wrong token (401)", async () => {
    const register = (token: string) =>
      SELF.fetch(`${BASE}/agent/v1/register`, {
        method: "POST",
        body: JSON.stringify(registration),
        headers: { ...json, authorization: `Bearer ${token}` },
      });
    const ok = await register("test-join-token");
    expect(ok.status).toBe(200);
    const body = await ok.json<{ agent_id: { value: string }; poll_hold_seconds: number }>();
    expect(body.agent_id.value).toEqual(expect.any(String));
    expect(body.poll_hold_seconds).toBe(25);

    const refused = await register("not-the-token");
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("join token");
  });

  it("polls with the agent's own token (200), not with the join token alone (401)", async () => {
    const reg = await SELF.fetch(`${BASE}/agent/v1/register`, {
      method: "POST",
      body: JSON.stringify(registration),
      headers: { ...json, authorization: "Bearer test-join-token" },
    });
    const { agent_id, agent_token } = await reg.json<{ agent_id: { value: string }; agent_token: string }>();
    expect(agent_token.length).toBeGreaterThanOrEqual(16);
    const poll = (body: Record<string, unknown>) =>
      SELF.fetch(`${BASE}/agent/v1/poll`, {
        method: "POST",
        body: JSON.stringify({ agent_id, wait_seconds: 0, ...body }),
        headers: { ...json, authorization: "Bearer test-join-token" },
      });
    const without = await poll({});
    expect(without.status).toBe(401);
    expect(await without.text()).toContain("agent_token");
    const withToken = await poll({ agent_token });
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toMatchObject({ commands: [], acks: [], master_id: expect.any(String) });
  });

  it("a malformed ACCEPT is answered the same 400 and releases the offers it names: they are offered again", async () => {
    const agentHeaders = { ...json, authorization: "Bearer test-join-token" };
    const reg = await SELF.fetch(`${BASE}/agent/v1/register`, {
      method: "POST",
      body: JSON.stringify({ ...registration, hostname: "agent-release.test" }),
      headers: agentHeaders,
    });
    const { agent_id, agent_token } = await reg.json<{ agent_id: { value: string }; agent_token: string }>();
    // Its first poll makes the agent alive, so its resources are offered.
    const polled = await SELF.fetch(`${BASE}/agent/v1/poll`, {
      method: "POST",
      body: JSON.stringify({ agent_id, agent_token, ack_seq: 0, acked_uuids: [], wait_seconds: 0 }),
      headers: agentHeaders,
    });
    expect(polled.status).toBe(200);
    await polled.body?.cancel();

    const res = await scheduler(JSON.stringify(subscribe), { ...json, authorization: alice });
    const streamId = res.headers.get("mesos-stream-id")!;
    const reader = res.body!.getReader();
    const decoder = new RecordIODecoder();
    const pending: Array<Record<string, any>> = [];
    /** The next event on the stream that `pred` accepts (others are skipped). */
    const next = async (pred: (e: Record<string, any>) => boolean) => {
      for (;;) {
        const e = pending.shift();
        if (e) {
          if (pred(e)) return e;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the event stream ended");
        pending.push(...decoder.feed(value).map((r) => JSON.parse(r) as Record<string, any>));
      }
    };
    const offerOn = (e: Record<string, any>, not?: string) =>
      e.type === "OFFERS" ? (e.offers.offers as Array<Record<string, any>>).find((o) => o.agent_id.value === agent_id.value && o.id.value !== not) : undefined;
    try {
      const fid = (await next((e) => e.type === "SUBSCRIBED")).subscribed.framework_id.value as string;
      const offer = offerOn(await next((e) => offerOn(e) !== undefined))!;
      const bad = {
        type: "ACCEPT",
        framework_id: { value: fid },
        accept: { offer_ids: [offer.id], operations: [{ type: "LAUNCH", launch: { task_infos: [{ name: 5 }] } }] },
      };
      let expected = "";
      try {
        parseMessage(SchedulerCall, bad);
      } catch (e) {
        expected = `Failed to validate call: ${(e as Error).message}\n`;
      }
      expect(expected).toMatch(/^Failed to validate call: accept\.operations\[0\]\.launch\.task_infos\[0\]/);
      const refused = await scheduler(JSON.stringify(bad), { ...json, authorization: alice, "mesos-stream-id": streamId });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toBe(expected);
      // Released, not rescinded: the agent's resources come back in a new offer.
      const again = offerOn(await next((e) => e.type === "RESCIND" || offerOn(e, offer.id.value) !== undefined), offer.id.value);
      expect(again?.resources).toEqual(offer.resources);
    } finally {
      await reader.cancel();
    }
  });
});
