/**
 * Docker tests' engine and image: the engine on its default socket, and a tiny local image
 * (`strata-test/busybox`) imported through the Engine API from the host's static busybox
 * (Debian's busybox-static) with a link per applet, so no registry is needed.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DOCKER_SOCKET, DockerClient } from "../../../agent-bun/src/docker/docker-client.ts";

/** The image the Docker tests run. */
export const TEST_IMAGE = "strata-test/busybox:latest";

/** Where a static busybox is looked for on the host. */
const BUSYBOX_PATHS = ["/bin/busybox", "/usr/bin/busybox"];

/** Why Docker tests cannot run here, or undefined when the engine answers. */
export async function dockerUnavailable(client = new DockerClient(DEFAULT_DOCKER_SOCKET)): Promise<string | undefined> {
  if (!existsSync(client.socketPath)) return `no Docker engine socket at ${client.socketPath}`;
  try {
    await client.ping();
  } catch (e) {
    return (e as Error).message;
  }
  if (!BUSYBOX_PATHS.some(existsSync) && !(await client.hasImage(TEST_IMAGE)))
    return "no static busybox to build the test image from (apt-get install busybox-static)";
  return undefined;
}

/** Imports `TEST_IMAGE` unless the engine has it. */
export async function ensureTestImage(client: DockerClient): Promise<void> {
  if (await client.hasImage(TEST_IMAGE)) return;
  const busybox = BUSYBOX_PATHS.find(existsSync)!;
  const root = mkdtempSync(join(tmpdir(), "strata-bb-"));
  try {
    mkdirSync(join(root, "bin"));
    mkdirSync(join(root, "tmp"));
    copyFileSync(busybox, join(root, "bin", "busybox"));
    const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" })
      .split("\n")
      .filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== "busybox");
    for (const a of applets) symlinkSync("busybox", join(root, "bin", a));
    const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
    const [repo, tag] = TEST_IMAGE.split(":");
    const r = await client.request("POST", `/images/create?fromSrc=-&repo=${encodeURIComponent(repo!)}&tag=${tag}`, undefined, {
      data: tar,
      contentType: "application/x-tar",
    });
    if (r.status >= 300 || r.body.toString().includes('"error"')) throw new Error(`cannot import the test image: ${r.body.toString()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
