/**
 * Backups and point-in-time recovery through the real Worker and the object's real SQLite
 * storage (docs/backup.md): the export's document, a restore of an older-schema backup into
 * the empty master (migrated, loaded, its agent's token still good), refusals naming the field
 * with nothing changed, 409 once the master has state, and the bookmark calls, which this
 * local workerd does not implement: 501 naming the feature.
 * The tests share one object's storage, in order: the first ones need it empty.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const BASE = "http://master.test";
/** The operator (STRATA_OPERATORS in vitest.config.ts); `alice` is a framework's principal. */
const ops = { authorization: `Basic ${btoa("ops:ops-secret")}` };
const alice = { authorization: `Basic ${btoa("alice:alice-secret")}` };
const json = { "content-type": "application/json" };

type Backup = {
  format: string;
  format_version: number;
  created_at: string;
  master_object_id: string;
  sections: Array<{ name: string; schema_version: number; tables: Record<string, Array<Record<string, unknown>>> }>;
};

const exportBackup = async (): Promise<Backup> => {
  const res = await SELF.fetch(`${BASE}/master/backup`, { headers: ops });
  expect(res.status).toBe(200);
  return res.json<Backup>();
};
const restore = (doc: unknown) => SELF.fetch(`${BASE}/master/restore`, { method: "POST", body: JSON.stringify(doc), headers: { ...ops, ...json } });
const tablesNow = async () => (await exportBackup()).sections[0]!.tables;

const sha256Hex = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A backup taken at schema version 1 (before the settings table), holding one agent whose token is `agent-token`. */
async function olderBackup(): Promise<Backup> {
  const agent = {
    id: "restored-agent-S0",
    hostname: "old.test",
    port: 5051,
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 4 } }],
    attributes: [],
    registeredAt: 1,
    tokenHash: await sha256Hex("agent-token"),
  };
  return {
    format: "strata-backup",
    format_version: 1,
    created_at: "2026-01-01T00:00:00.000Z",
    master_object_id: "old-cluster",
    sections: [
      {
        name: "master",
        schema_version: 1,
        tables: {
          meta: [
            { key: "schema_version", value: "1" },
            { key: "next_command_seq", value: "7" },
          ],
          agents: [{ id: agent.id, json: agent }],
          frameworks: [],
          tasks: [],
          updates: [],
          commands: [],
        },
      },
    ],
  };
}

/** Every backup call, as method and path. */
const BACKUP_CALLS = [
  ["GET", "/master/backup"],
  ["POST", "/master/restore"],
  ["GET", "/master/bookmark"],
  ["POST", "/master/bookmark/restore"],
] as const;

describe("backup and restore through the Worker", () => {
  it("refuses the backup calls without credentials (401)", async () => {
    for (const [method, path] of BACKUP_CALLS) {
      const res = await SELF.fetch(`${BASE}${path}`, { method, ...(method === "POST" ? { body: "{}", headers: json } : {}) });
      expect(res.status, path).toBe(401);
      await res.body?.cancel();
    }
  });

  it("refuses the backup calls to a principal that is not an operator (403 naming it)", async () => {
    for (const [method, path] of BACKUP_CALLS) {
      const res = await SELF.fetch(`${BASE}${path}`, { method, headers: { ...alice, ...json }, ...(method === "POST" ? { body: "{}" } : {}) });
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain(`principal 'alice' is not an operator: ${method} ${path} needs a principal in STRATA_OPERATORS`);
    }
  });

  it("exports every table of the empty master: format, version, object id, the master's section first", async () => {
    const res = await SELF.fetch(`${BASE}/master/backup`, { headers: ops });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="strata-backup-.*\.json"$/);
    const doc = await res.json<Backup>();
    expect(doc).toMatchObject({ format: "strata-backup", format_version: 1, master_object_id: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Date.parse(doc.created_at)).toBeGreaterThan(0);
    expect(doc.sections.map((s) => s.name)).toEqual(["master"]);
    expect(doc.sections[0]!.schema_version).toBe(2);
    expect(Object.keys(doc.sections[0]!.tables)).toEqual(["meta", "agents", "frameworks", "tasks", "updates", "commands", "settings"]);
    expect(doc.sections[0]!.tables.meta).toEqual([{ key: "schema_version", value: "2" }]);
  });

  it("refuses a malformed backup with 400 naming the field", async () => {
    const good = await olderBackup();
    const cases: Array<[unknown, string]> = [
      [[], "a backup is a JSON object"],
      [{ ...good, format: "tarball" }, "format:"],
      [{ ...good, format_version: 2 }, "format_version: 2 is newer than this master reads (1)"],
      [{ ...good, sections: [] }, "sections:"],
      [{ ...good, sections: [{ ...good.sections[0], name: "services" }] }, "sections[0].name:"],
      [{ ...good, sections: [good.sections[0], { name: "services" }] }, 'sections[1].name: no object of this cluster takes the section "services"'],
      [{ ...good, sections: [{ ...good.sections[0], schema_version: 3 }] }, "sections[0].schema_version: 3 is newer than this master's schema (2)"],
      [{ ...good, sections: [{ ...good.sections[0], tables: [] }] }, "sections[0].tables:"],
      [{ ...good, sections: [{ ...good.sections[0], tables: { agents: [1] } }] }, "sections[0].tables.agents[0]:"],
    ];
    for (const [doc, message] of cases) {
      const res = await restore(doc);
      expect(res.status, message).toBe(400);
      expect(await res.text()).toContain(message);
    }
  });

  it("rolls back a restore whose rows SQLite or the master refuses: 400 naming the table, nothing restored", async () => {
    const good = await olderBackup();
    const tables = good.sections[0]!.tables;
    const withTables = (t: Record<string, unknown>) => ({ ...good, sections: [{ ...good.sections[0], tables: { ...tables, ...t } }] });
    const unknownColumn = await restore(withTables({ frameworks: [{ id: "f", json: {}, colour: "red" }] }));
    expect(unknownColumn.status).toBe(400);
    expect(await unknownColumn.text()).toMatch(/^sections\[0\]\.tables\.frameworks\[0\]: .*colour.*nothing was restored/);
    const unknownTable = await restore(withTables({ secrets: [{ id: "x" }] }));
    expect(unknownTable.status).toBe(400);
    expect(await unknownTable.text()).toContain("sections[0].tables.secrets: no such table");
    const unloadable = await restore(withTables({ frameworks: [{ id: "f", json: "not json" }] }));
    expect(unloadable.status).toBe(400);
    expect(await unloadable.text()).toContain("sections[0].tables: the master cannot load these rows");
    // Nothing of them stayed: the agent row of the same backups was rolled back too.
    expect((await tablesNow()).agents).toEqual([]);
  });

  it("restores an older-schema backup into the empty master: migrated, loaded, the agent's own token still good", async () => {
    const res = await restore(await olderBackup());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      restored: { agents: 1, frameworks: 0, tasks: 0, settings: 0 },
      from: { created_at: "2026-01-01T00:00:00.000Z", schema_version: 1, master_object_id: "old-cluster" },
    });
    const tables = await tablesNow();
    expect(tables.meta).toEqual([
      { key: "next_command_seq", value: "7" },
      { key: "schema_version", value: "2" },
    ]);
    expect(tables.settings).toEqual([]);
    // The master in memory was reloaded: it knows the agent, which polls with its old token.
    const slaves = await (await SELF.fetch(`${BASE}/master/slaves`, { headers: ops })).json<{ slaves: Array<{ id: string; hostname: string }> }>();
    expect(slaves.slaves.map((s) => [s.id, s.hostname])).toEqual([["restored-agent-S0", "old.test"]]);
    const poll = (token: string) =>
      SELF.fetch(`${BASE}/agent/v1/poll`, {
        method: "POST",
        body: JSON.stringify({ agent_id: { value: "restored-agent-S0" }, agent_token: token, wait_seconds: 0, ack_seq: 0, acks: [] }),
        headers: { ...json, authorization: "Bearer test-join-token" },
      });
    const ok = await poll("agent-token");
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    const wrong = await poll("another-token");
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
  });

  it("refuses a restore into a master that has state (409) and leaves it unchanged", async () => {
    const before = await exportBackup();
    const res = await restore(await olderBackup());
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("this master already has state");
    expect(await tablesNow()).toEqual(before.sections[0]!.tables);
  });
});

describe("point-in-time bookmarks on a local workerd", () => {
  const get = (query = "") => SELF.fetch(`${BASE}/master/bookmark${query}`, { headers: ops });
  const restoreTo = (body: unknown) =>
    SELF.fetch(`${BASE}/master/bookmark/restore`, { method: "POST", body: JSON.stringify(body), headers: { ...ops, ...json } });

  it("answers 501 naming the feature, not a 500", async () => {
    for (const res of [
      await get(),
      await get(`?time=${Date.now() - 60_000}`),
      await restoreTo({ bookmark: "0000007b-0000b26e-00001538-0c3e87bb37b3db5cc52eedb93cd3b96b" }),
    ]) {
      expect(res.status).toBe(501);
      expect(await res.text()).toMatch(/^point-in-time recovery \(Durable Object SQLite bookmarks\): this runtime .*available on Cloudflare/);
    }
  });

  it("refuses a bad time or bookmark with 400 naming the field", async () => {
    const cases: Array<[Response, string]> = [
      [await get("?time=yesterday"), "time: expected ms since the epoch or an ISO 8601 time"],
      [await get(`?time=${Date.now() + 3_600_000}`), "is in the future"],
      [await get("?time=2020-01-01T00:00:00Z"), "older than the 30 days"],
      [await restoreTo({}), "bookmark: expected a bookmark"],
      [await restoreTo({ bookmark: "'; DROP TABLE agents" }), "bookmark: expected a bookmark"],
    ];
    for (const [res, message] of cases) {
      expect(res.status, message).toBe(400);
      expect(await res.text()).toContain(message);
    }
  });
});
