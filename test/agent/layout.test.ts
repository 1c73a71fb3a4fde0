/// <reference types="node" />
/**
 * The agent's source keeps the layout agent-bun/README.md draws ("Layout"): `main.ts` on top,
 * every other file in one of the layer folders, each file importing only files of its own
 * folder or of a folder below its own, no import circles between files, no file past
 * `MAX_LINES`, no `index.ts`. A new folder must be given its place in `LAYERS` (and the README).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../agent-bun/src");

/** The folders of agent-bun/src, top layer first (as in agent-bun/README.md). */
const LAYERS = ["cli", "hollow", "core", "health", "docker", "containerizers", "gpu", "isolation", "fetcher", "sandbox", "state", "system"];

/** Lines a source file may have ("a file past ~300 lines is asking to be split", DESIGN.md). */
const MAX_LINES = 300;

/** Every .ts file under `dir`, relative to SRC. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [relative(SRC, join(dir, e.name))] : []);
}

/** The agent files `file` imports (static, `export … from` and dynamic), relative to SRC. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(SRC, dirname(file), s))).filter((p) => !p.startsWith(".."));
}

/** The layer of a file: -1 for `main.ts`, else its folder's index in LAYERS (undefined: not a layer folder). */
function layerOf(file: string): number | undefined {
  if (file === "main.ts") return -1;
  const i = LAYERS.indexOf(file.split("/")[0]!);
  return i >= 0 && file.includes("/") ? i : undefined;
}

const files = sources();
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("agent-bun/src layout", () => {
  it("has main.ts on top and every other file in a layer folder, without index files", () => {
    expect(files).toContain("main.ts");
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
    expect(files.filter((f) => f.endsWith("index.ts"))).toEqual([]);
    // Every layer folder holds something (a folder emptied should leave LAYERS too).
    expect(LAYERS.filter((l) => !files.some((f) => f.startsWith(`${l}/`)))).toEqual([]);
  });

  it("imports only sideways within a folder or down the layers", () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        if (!graph.has(dep)) upward.push(`${file} → ${dep} (no such file)`);
        else if (layerOf(dep)! < layerOf(file)!) upward.push(`${file} → ${dep}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no import circles between files", () => {
    const circles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        circles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "visiting");
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files.map((f) => [f, readFileSync(join(SRC, f), "utf8").split("\n").length - 1] as const).filter(([, n]) => n > MAX_LINES);
    expect(long).toEqual([]);
  });
});
