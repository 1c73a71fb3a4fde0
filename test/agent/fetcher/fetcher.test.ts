/// <reference types="node" />
/**
 * The fetcher against a local HTTP server (127.0.0.1) and local files: where files land,
 * output_file, executable, extraction, the cache (hits, LRU eviction), failures and limits;
 * and the task manager's use of it (STARTING while fetching, TASK_FAILED naming the URI,
 * a kill during the fetch).
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FlagError } from "../../../agent-bun/src/cli/agent-flags.ts";
import { parseFlags } from "../../../agent-bun/src/cli/flags.ts";
import { Agent } from "../../../agent-bun/src/core/agent.ts";
import { type CommandUri, FetchError, Fetcher, type FetcherOptions, type TaskFetcher } from "../../../agent-bun/src/fetcher/fetcher.ts";
import { archiveKind } from "../../../agent-bun/src/fetcher/fetcher-extract.ts";
import { parseByteSize } from "../../../agent-bun/src/fetcher/fetcher-size.ts";
import { MemoryCheckpointStore, StateStore } from "../../../agent-bun/src/state/checkpoint.ts";
import { silentLogger } from "../../../agent-bun/src/system/log.ts";
import type { AgentCommand } from "../../../schemas/agent.ts";
import type { TaskInfo } from "../../../schemas/mesos.ts";
import { FakeClock, FakeContainerizer, FakeMaster, settle } from "../fakes.ts";

/** Files the server serves, by path; `requests` counts requests per path. */
const files = new Map<string, Buffer>();
const requests = new Map<string, number>();
let server: Server;
let base: string;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "strata-fetch-"));
  server = createServer((req, res) => {
    const path = new URL(req.url!, "http://x").pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (path === "/stall") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a");
      return;
    } // then nothing
    if (path === "/chunked-big") {
      // no content-length: the limit must stop it while streaming
      res.writeHead(200);
      let n = 0;
      const more = () => {
        if (n++ < 50) res.write(Buffer.alloc(1024, 1), () => setImmediate(more));
        else res.end();
      };
      return more();
    }
    if (path === "/redirect") {
      res.writeHead(302, { location: "/hello.txt" });
      return res.end();
    }
    const body = files.get(path);
    if (!body) {
      res.writeHead(404, "Not Found");
      return res.end("no");
    }
    res.writeHead(200, { "content-length": body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  files.set("/hello.txt", Buffer.from("hello fetcher\n"));
  files.set("/run.sh", Buffer.from("#!/bin/sh\necho ran\n"));
  // An archive with a directory and a file.
  const src = join(tmp, "src");
  mkdirSync(join(src, "pkg/bin"), { recursive: true });
  writeFileSync(join(src, "pkg/bin/tool"), "tool v1\n");
  writeFileSync(join(src, "pkg/README"), "readme\n");
  execFileSync("tar", ["-C", src, "-czf", join(tmp, "pkg.tar.gz"), "pkg"]);
  files.set("/pkg.tar.gz", readFileSync(join(tmp, "pkg.tar.gz")));
  files.set("/pkg.tgz", readFileSync(join(tmp, "pkg.tar.gz")));
  execFileSync("tar", ["-C", src, "-cf", join(tmp, "pkg.tar"), "pkg"]);
  files.set("/pkg.tar", readFileSync(join(tmp, "pkg.tar")));
  if (hasZip) {
    execFileSync("zip", ["-q", "-r", join(tmp, "pkg.zip"), "pkg"], { cwd: src });
    files.set("/pkg.zip", readFileSync(join(tmp, "pkg.zip")));
  }
  files.set("/notes.txt.gz", gzipSync(Buffer.from("unzipped notes\n")));
  files.set("/a.bin", Buffer.alloc(600, 1));
  files.set("/b.bin", Buffer.alloc(600, 2));
  files.set("/big.bin", Buffer.alloc(5000, 3));
});

afterAll(async () => {
  await new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  rmSync(tmp, { recursive: true, force: true });
});

const hasZip = (() => {
  try {
    execFileSync("sh", ["-c", "command -v zip && command -v unzip"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasZip) console.log("skipping the .zip fetcher test: zip/unzip are not installed");

let n = 0;
/** A fresh, empty sandbox. */
const sandbox = () => {
  const d = join(tmp, `sandbox-${++n}`);
  mkdirSync(d);
  return d;
};
const fetcher = (opts: Partial<FetcherOptions> = {}) =>
  new Fetcher({
    cacheDir: join(tmp, `cache-${++n}`),
    cacheBytes: 1_000_000,
    maxBytes: 1_000_000,
    stallTimeoutMs: 5_000,
    log: silentLogger,
    ...opts,
  });
const failure = async (p: Promise<unknown>): Promise<FetchError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FetchError);
  return e as FetchError;
};
const mode = (path: string) => statSync(path).mode & 0o777;

describe("fetcher", () => {
  it("downloads a file into the sandbox under the URI's name, not executable; follows redirects", async () => {
    const dir = sandbox();
    await fetcher().fetchAll(dir, [{ value: `${base}/hello.txt` }, { value: `${base}/redirect`, output_file: "again.txt" }], undefined);
    expect(readFileSync(join(dir, "hello.txt"), "utf8")).toBe("hello fetcher\n");
    expect(readFileSync(join(dir, "again.txt"), "utf8")).toBe("hello fetcher\n");
    expect(mode(join(dir, "hello.txt")) & 0o111).toBe(0);
  });

  it("output_file names the file, directories included; it may not leave the sandbox", async () => {
    const dir = sandbox();
    await fetcher().fetchAll(dir, [{ value: `${base}/hello.txt`, output_file: "conf/app/greeting" }], undefined);
    expect(readFileSync(join(dir, "conf/app/greeting"), "utf8")).toBe("hello fetcher\n");
    expect(existsSync(join(dir, "hello.txt"))).toBe(false);
    const e = await failure(fetcher().fetchAll(dir, [{ value: `${base}/hello.txt`, output_file: "../escape" }], undefined));
    expect(e.message).toContain("leaves the sandbox");
    const abs = await failure(fetcher().fetchAll(dir, [{ value: `${base}/hello.txt`, output_file: "/etc/x" }], undefined));
    expect(abs.message).toContain("relative");
  });

  it("executable: true makes the file executable and never unpacks it", async () => {
    const dir = sandbox();
    await fetcher().fetchAll(
      dir,
      [
        { value: `${base}/run.sh`, executable: true },
        { value: `${base}/pkg.tar.gz`, executable: true },
      ],
      undefined,
    );
    expect(mode(join(dir, "run.sh"))).toBe(0o755);
    expect(execFileSync(join(dir, "run.sh")).toString()).toBe("ran\n");
    expect(mode(join(dir, "pkg.tar.gz"))).toBe(0o755);
    expect(existsSync(join(dir, "pkg"))).toBe(false);
  });

  it.each(["pkg.tar.gz", "pkg.tgz", "pkg.tar"])("unpacks %s into the sandbox and keeps the archive", async (name) => {
    const dir = sandbox();
    await fetcher().fetchAll(dir, [{ value: `${base}/${name}` }], undefined);
    expect(readFileSync(join(dir, "pkg/bin/tool"), "utf8")).toBe("tool v1\n");
    expect(readFileSync(join(dir, "pkg/README"), "utf8")).toBe("readme\n");
    expect(existsSync(join(dir, name))).toBe(true);
  });

  it("extract: false leaves an archive packed; output_file decides the kind and where it unpacks", async () => {
    const dir = sandbox();
    await fetcher().fetchAll(
      dir,
      [
        { value: `${base}/pkg.tar.gz`, extract: false },
        { value: `${base}/pkg.tar.gz`, output_file: "opt/bundle.tgz" },
      ],
      undefined,
    );
    expect(existsSync(join(dir, "pkg.tar.gz"))).toBe(true);
    expect(existsSync(join(dir, "pkg"))).toBe(false);
    expect(readFileSync(join(dir, "opt/pkg/bin/tool"), "utf8")).toBe("tool v1\n");
  });

  it.skipIf(!hasZip)("unpacks .zip files (with unzip)", async () => {
    const dir = sandbox();
    await fetcher().fetchAll(dir, [{ value: `${base}/pkg.zip` }], undefined);
    expect(readFileSync(join(dir, "pkg/bin/tool"), "utf8")).toBe("tool v1\n");
  });

  it("gunzips a lone .gz file next to it", async () => {
    const dir = sandbox();
    await fetcher().fetchAll(dir, [{ value: `${base}/notes.txt.gz` }], undefined);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("unzipped notes\n");
  });

  it("a broken archive fails with the tool's complaint", async () => {
    files.set("/broken.tar.gz", Buffer.from("this is not gzip"));
    const e = await failure(fetcher().fetchAll(sandbox(), [{ value: `${base}/broken.tar.gz` }], undefined));
    expect(e.message).toMatch(/^Failed to fetch 'http:\/\/127\.0\.0\.1:\d+\/broken\.tar\.gz': tar failed/);
  });

  it("copies local files given as absolute paths and file:// URIs", async () => {
    const local = join(tmp, "local dir");
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, "data.txt"), "local data\n");
    const dir = sandbox();
    await fetcher().fetchAll(
      dir,
      [
        { value: join(local, "data.txt") },
        { value: pathToFileURL(join(local, "data.txt")).href, output_file: "via-url.txt" },
        { value: join(tmp, "pkg.tar.gz") },
      ],
      undefined,
    );
    expect(readFileSync(join(dir, "data.txt"), "utf8")).toBe("local data\n");
    expect(readFileSync(join(dir, "via-url.txt"), "utf8")).toBe("local data\n");
    expect(readFileSync(join(dir, "pkg/bin/tool"), "utf8")).toBe("tool v1\n");
    const missing = await failure(fetcher().fetchAll(dir, [{ value: join(local, "nope") }], undefined));
    expect(missing.message).toBe(`Failed to fetch '${join(local, "nope")}': no such file`);
  });

  it("fails naming the URI: HTTP 404, an unreachable host, an unsupported scheme, a relative path", async () => {
    const notFound = await failure(fetcher().fetchAll(sandbox(), [{ value: `${base}/missing.txt` }], undefined));
    expect(notFound.message).toBe(`Failed to fetch '${base}/missing.txt': HTTP 404 Not Found`);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const unreachable = await failure(fetcher().fetchAll(sandbox(), [{ value: `http://127.0.0.1:${deadPort}/x.txt` }], undefined));
    expect(unreachable.message).toMatch(new RegExp(`^Failed to fetch 'http://127\\.0\\.0\\.1:${deadPort}/x\\.txt': .+`));
    expect(unreachable.uri).toBe(`http://127.0.0.1:${deadPort}/x.txt`);

    expect((await failure(fetcher().fetchAll(sandbox(), [{ value: "hdfs://nn/x" }], undefined))).message).toContain("unsupported scheme 'hdfs'");
    expect((await failure(fetcher().fetchAll(sandbox(), [{ value: "relative/x" }], undefined))).message).toContain("not an absolute path or URI");
  });

  it("stops at the first failing URI", async () => {
    const dir = sandbox();
    await failure(fetcher().fetchAll(dir, [{ value: `${base}/missing.txt` }, { value: `${base}/hello.txt` }], undefined));
    expect(existsSync(join(dir, "hello.txt"))).toBe(false);
  });

  it("refuses files over the size limit, by content-length or while streaming, leaving no partial file", async () => {
    const dir = sandbox();
    const small = fetcher({ maxBytes: 4096 });
    const byLength = await failure(small.fetchAll(dir, [{ value: `${base}/big.bin` }], undefined));
    expect(byLength.message).toContain("5000 bytes, larger than the limit of 4096 bytes");
    const streamed = await failure(small.fetchAll(dir, [{ value: `${base}/chunked-big` }], undefined));
    expect(streamed.message).toContain("larger than the limit of 4096 bytes");
    expect(readdirSync(dir)).toEqual([]);
    const local = await failure(small.fetchAll(dir, [{ value: join(tmp, "pkg.tar") }], undefined));
    expect(local.message).toContain("larger than the limit of 4096 bytes");
  });

  it("aborts a download that stalls", async () => {
    const dir = sandbox();
    const e = await failure(fetcher({ stallTimeoutMs: 300 }).fetchAll(dir, [{ value: `${base}/stall` }], undefined));
    expect(e.message).toContain("stalled");
    expect(existsSync(join(dir, "stall"))).toBe(false);
  });

  it("a cancelled fetch fails as cancelled", async () => {
    const abort = new AbortController();
    const p = fetcher().fetchAll(sandbox(), [{ value: `${base}/stall` }], undefined, abort.signal);
    setTimeout(() => abort.abort(), 100);
    expect((await failure(p)).message).toContain("cancelled");
  });
});

describe("fetcher cache", () => {
  it("downloads a cached URI once; later tasks (and concurrent ones) copy it; users are kept apart", async () => {
    files.set("/cached.txt", Buffer.from("cached content\n"));
    const f = fetcher();
    const uri: CommandUri = { value: `${base}/cached.txt`, cache: true };
    const [a, b, c] = [sandbox(), sandbox(), sandbox()];
    await Promise.all([f.fetchAll(a, [uri], undefined), f.fetchAll(b, [uri], undefined)]);
    await f.fetchAll(c, [uri], undefined);
    expect(requests.get("/cached.txt")).toBe(1);
    for (const d of [a, b, c]) expect(readFileSync(join(d, "cached.txt"), "utf8")).toBe("cached content\n");
    await f.fetchAll(sandbox(), [uri], "alice");
    expect(requests.get("/cached.txt")).toBe(2);
    // Without cache: true, each fetch downloads.
    await f.fetchAll(sandbox(), [{ value: uri.value }], undefined);
    expect(requests.get("/cached.txt")).toBe(3);
  });

  it("unpacks a cached archive straight from the cache: only the unpacked files reach the sandbox", async () => {
    files.set("/cached-pkg.tar.gz", files.get("/pkg.tar.gz")!);
    const f = fetcher();
    for (let i = 0; i < 2; i++) {
      const dir = sandbox();
      await f.fetchAll(dir, [{ value: `${base}/cached-pkg.tar.gz`, cache: true }], undefined);
      expect(readFileSync(join(dir, "pkg/bin/tool"), "utf8")).toBe("tool v1\n");
      expect(readdirSync(dir)).toEqual(["pkg"]);
    }
    expect(requests.get("/cached-pkg.tar.gz")).toBe(1);
  });

  it("evicts the least recently used file when a new one does not fit; a file too large for the cache is not kept", async () => {
    const f = fetcher({ cacheBytes: 1500 });
    const get = (p: string) => f.fetchAll(sandbox(), [{ value: `${base}${p}`, cache: true }], undefined);
    const requested = (p: string) => requests.get(p) ?? 0;
    const [a0, b0, big0] = [requested("/a.bin"), requested("/b.bin"), requested("/big.bin")];
    await get("/a.bin"); // 600
    await get("/b.bin"); // 600: 1200 cached
    await get("/a.bin"); // hit: a is now the most recently used
    files.set("/c.bin", Buffer.alloc(600, 4));
    await get("/c.bin"); // evicts b (least recently used)
    expect(f.cache!.size).toBe(1200);
    await get("/a.bin");
    expect(requests.get("/a.bin")! - a0).toBe(1);
    await get("/b.bin");
    expect(requests.get("/b.bin")! - b0).toBe(2);
    await get("/big.bin"); // 5000 > 1500: served, not cached
    await get("/big.bin");
    expect(requests.get("/big.bin")! - big0).toBe(2);
    expect(f.cache!.size).toBeLessThanOrEqual(1500);
    const cacheFiles = readdirSync(f.cache!.dir);
    expect(cacheFiles.every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
    expect(cacheFiles.length).toBe(2);
  });

  it("a failed download is not cached; the next request tries again", async () => {
    const f = fetcher();
    await failure(f.fetchAll(sandbox(), [{ value: `${base}/later.txt`, cache: true }], undefined));
    files.set("/later.txt", Buffer.from("now here\n"));
    const dir = sandbox();
    await f.fetchAll(dir, [{ value: `${base}/later.txt`, cache: true }], undefined);
    expect(readFileSync(join(dir, "later.txt"), "utf8")).toBe("now here\n");
    expect(readdirSync(f.cache!.dir).length).toBe(1);
  });

  it("cache size 0 turns caching off (cache: true downloads directly)", async () => {
    files.set("/nocache.txt", Buffer.from("x"));
    const f = fetcher({ cacheBytes: 0 });
    expect(f.cache).toBeUndefined();
    await f.fetchAll(sandbox(), [{ value: `${base}/nocache.txt`, cache: true }], undefined);
    await f.fetchAll(sandbox(), [{ value: `${base}/nocache.txt`, cache: true }], undefined);
    expect(requests.get("/nocache.txt")).toBe(2);
  });

  it("removes its files of an earlier agent run at start, and nothing else", () => {
    const dir = join(tmp, "old-cache");
    mkdirSync(dir);
    writeFileSync(join(dir, "a".repeat(64)), "old");
    writeFileSync(join(dir, `${"b".repeat(64)}.3.part`), "old");
    writeFileSync(join(dir, "keep-me"), "not ours");
    fetcher({ cacheDir: dir });
    expect(readdirSync(dir)).toEqual(["keep-me"]);
  });
});

describe("fetcher helpers", () => {
  it("archiveKind by extension", () => {
    expect(["x.tar", "x.TAR.GZ", "x.tgz", "x.tar.bz2", "x.tbz2", "x.tar.xz", "x.txz", "x.zip", "x.gz", "x.txt", "x", ".tar"].map(archiveKind)).toEqual([
      "tar",
      "tar.gz",
      "tar.gz",
      "tar.bz2",
      "tar.bz2",
      "tar.xz",
      "tar.xz",
      "zip",
      "gz",
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("parseByteSize reads Mesos-style sizes", () => {
    expect(["0", "1024", "512MB", "2GB", "2gb", "1KB", "3B", "1TB"].map(parseByteSize)).toEqual([
      0,
      1024,
      512 * 1024 ** 2,
      2 * 1024 ** 3,
      2 * 1024 ** 3,
      1024,
      3,
      1024 ** 4,
    ]);
    expect(["", "-1", "1.5GB", "2PB", "GB", "1 G"].map(parseByteSize)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe("fetcher flags", () => {
  const run = (argv: string[], env: Record<string, string> = {}) => {
    const parsed = parseFlags(["--join-token", "t", ...argv], env);
    if (parsed.kind !== "run") throw new Error("expected flags");
    return parsed.flags;
  };

  it("defaults: a 2GB cache under the work dir, 4GB per file, 60 s stall timeout", () => {
    const f = run([]);
    expect(f.fetcherCacheDir).toBeUndefined();
    expect([f.fetcherCacheSize, f.fetcherMaxSize, f.fetcherStallTimeoutSeconds]).toEqual([2 * 1024 ** 3, 4 * 1024 ** 3, 60]);
  });

  it("reads flags and their environment variables", () => {
    const f = run(["--fetcher-cache-dir", "/var/cache/strata", "--fetcher-cache-size=0"], {
      STRATA_FETCHER_MAX_SIZE: "100MB",
      STRATA_FETCHER_STALL_TIMEOUT_SECONDS: "5",
    });
    expect(f).toMatchObject({ fetcherCacheDir: "/var/cache/strata", fetcherCacheSize: 0, fetcherMaxSize: 100 * 1024 ** 2, fetcherStallTimeoutSeconds: 5 });
  });

  it.each([
    [["--fetcher-cache-size", "lots"], "--fetcher-cache-size"],
    [["--fetcher-max-size", "0"], "--fetcher-max-size"],
    [["--fetcher-stall-timeout-seconds", "0"], "--fetcher-stall-timeout-seconds"],
  ])("refuses %j naming the flag", (argv, flag) => {
    const e = (() => {
      try {
        run(argv);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(FlagError);
    expect((e as FlagError).flag).toBe(flag);
  });
});

/** A fetcher the test finishes by hand. */
class ManualFetcher implements TaskFetcher {
  readonly calls: Array<{ sandbox: string; uris: readonly CommandUri[]; user: string | undefined; signal?: AbortSignal; finish: (error?: Error) => void }> = [];
  fetchAll(sandbox: string, uris: readonly CommandUri[], user: string | undefined, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ sandbox, uris, user, ...(signal ? { signal } : {}), finish: (error) => (error ? reject(error) : resolve()) });
      signal?.addEventListener("abort", () => reject(new FetchError(uris[0]!.value, "cancelled")));
    });
  }
}

describe("task manager with a fetcher", () => {
  const running: Agent[] = [];
  afterEach(async () => {
    for (const a of running.splice(0)) a.stop();
    await settle();
  });

  function setup() {
    const master = new FakeMaster();
    const containerizer = new FakeContainerizer();
    const fetch = new ManualFetcher();
    const agent = new Agent({
      client: master,
      store: new StateStore(new MemoryCheckpointStore()),
      containerizer,
      clock: new FakeClock(),
      log: silentLogger,
      workDir: "/srv/agent",
      pollWaitSeconds: 25,
      fetcher: fetch,
      info: { hostname: "h1", port: 5051, resources: [], attributes: [] },
    });
    running.push(agent);
    void agent.run();
    return { master, containerizer, fetch, agent };
  }
  const task = (id: string, uris?: CommandUri[]): TaskInfo => ({
    name: id,
    task_id: { value: id },
    agent_id: { value: "agent-1" },
    resources: [],
    command: { value: "true", user: "bob", ...(uris ? { uris } : {}) },
  });
  const launch = (seq: number, t: TaskInfo): AgentCommand => ({ seq, type: "LAUNCH", framework_id: { value: "fw1" }, task: t });
  const until = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 200; i++) {
      if (cond()) return;
      await settle(2);
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const updatesOf = (master: FakeMaster, id: string) =>
    master
      .sentUpdates()
      .filter((u) => u.status.task_id.value === id)
      .map((u) => u.status);

  it("fetches while the task is STARTING, then launches it; tasks without URIs skip the fetcher", async () => {
    const { master, containerizer, fetch } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1", [{ value: "http://h/x" }])), launch(2, task("plain"))] });
    await until(() => fetch.calls.length === 1 && containerizer.launched.length === 1, "fetch to start and the plain task to launch");
    expect(fetch.calls[0]).toMatchObject({ sandbox: "/srv/agent/frameworks/fw1/tasks/t1", uris: [{ value: "http://h/x" }], user: "bob" });
    expect(containerizer.launched.map((s) => s.task.task_id.value)).toEqual(["plain"]);
    await until(() => updatesOf(master, "t1").length === 1, "TASK_STARTING");
    expect(updatesOf(master, "t1").map((s) => s.state)).toEqual(["TASK_STARTING"]);
    fetch.calls[0]!.finish();
    await until(() => containerizer.launched.length === 2, "t1 to launch after its fetch");
    await until(() => updatesOf(master, "t1").some((s) => s.state === "TASK_RUNNING"), "TASK_RUNNING");
  });

  it("a failed fetch fails the task with REASON_CONTAINER_LAUNCH_FAILED and the fetcher's message; nothing is launched", async () => {
    const { master, containerizer, fetch } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1", [{ value: "http://h/missing" }]))] });
    await until(() => fetch.calls.length === 1, "fetch");
    fetch.calls[0]!.finish(new FetchError("http://h/missing", "HTTP 404 Not Found"));
    await until(() => updatesOf(master, "t1").some((s) => s.state === "TASK_FAILED"), "TASK_FAILED");
    const failed = updatesOf(master, "t1").find((s) => s.state === "TASK_FAILED")!;
    expect(failed).toMatchObject({
      reason: "REASON_CONTAINER_LAUNCH_FAILED",
      source: "SOURCE_AGENT",
      message: "Failed to fetch 'http://h/missing': HTTP 404 Not Found",
    });
    expect(updatesOf(master, "t1").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_FAILED"]);
    expect(containerizer.launched).toEqual([]);
  });

  it("a KILL during the fetch cancels it: TASK_KILLED, never launched", async () => {
    const { master, containerizer, fetch } = setup();
    await until(() => master.polls.length === 1, "first poll");
    master.answerPoll({ commands: [launch(1, task("t1", [{ value: "http://h/slow" }]))] });
    await until(() => fetch.calls.length === 1, "fetch");
    master.answerPoll({ commands: [{ seq: 2, type: "KILL", framework_id: { value: "fw1" }, task_id: { value: "t1" } }] });
    await until(() => updatesOf(master, "t1").some((s) => s.state === "TASK_KILLED"), "TASK_KILLED");
    expect(fetch.calls[0]!.signal?.aborted).toBe(true);
    expect(updatesOf(master, "t1").map((s) => s.state)).toEqual(["TASK_STARTING", "TASK_KILLED"]);
    expect(containerizer.launched).toEqual([]);
  });
});
