/**
 * The layer check's verdict and numbers: reads dependency-cruiser's JSON result on stdin (rules in
 * .dependency-cruiser.cjs), adds the one rule dependency-cruiser cannot express (an index.ts only
 * re-exports), prints the violations and the numbers, and exits 1 on any violation.
 *
 *   npm run -s check:layers                 violations, then the numbers
 *   npm run -s check:layers -- --numbers    the numbers alone
 *
 * Why not depcruise's own exit status: it is the number of errors, which the shell takes modulo
 * 256 (256 errors would pass), and its JSON reporter exits 0.
 */
import { readFileSync } from "node:fs";
import type { ICruiseResult } from "dependency-cruiser";
import { format } from "dependency-cruiser";
import ts from "typescript";

const numbersOnly = process.argv.includes("--numbers");
const result = JSON.parse(readFileSync(0, "utf8")) as ICruiseResult;
const project = (path: string) => /^(master-worker|agent-bun|sdk|schemas|frameworks|scripts|examples|bench)\//.test(path);
const modules = result.modules.filter((m) => project(m.source));

/** The statements of an index.ts that are not `export … from "…"`, as `line: text`. */
function notReExports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  return source.statements
    .filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier))
    .map((s) => `${source.getLineAndCharacterOfPosition(s.getStart(source)).line + 1}: ${s.getText(source).split("\n")[0]!.slice(0, 100)}`);
}
const indexFindings = modules
  .filter((m) => /(^|\/)index\.ts$/.test(m.source))
  .map((m) => ({ file: m.source, lines: notReExports(m.source) }))
  .filter((f) => f.lines.length > 0);

// Circles: each distinct one once, and whether a value import (not only `import type`) closes it.
const valueArrow = new Set<string>();
for (const m of modules) for (const d of m.dependencies) if (!d.dependencyTypes.includes("type-only")) valueArrow.add(`${m.source} ${d.resolved}`);
const circles = new Map<string, boolean>();
for (const v of result.summary.violations) {
  if (!v.cycle) continue;
  const names = v.cycle.map((c) => c.name);
  const start = names.indexOf([...names].sort()[0]!);
  const ring = [...names.slice(start), ...names.slice(0, start)];
  const runtime = ring.every((name, i) => valueArrow.has(`${name} ${ring[(i + 1) % ring.length]}`));
  circles.set(ring.join(" → "), runtime);
}

const byRule = new Map<string, number>();
for (const v of result.summary.violations) byRule.set(v.rule.name, (byRule.get(v.rule.name) ?? 0) + 1);
if (indexFindings.length) byRule.set("index-only-re-exports", indexFindings.length);
const violations = result.summary.violations.length + indexFindings.length;

if (!numbersOnly) {
  if (result.summary.violations.length) console.log((await format(result, { outputType: "err-long" })).output);
  for (const f of indexFindings) console.log(`  error index-only-re-exports: ${f.file}\n${f.lines.map((l) => `      ${l}`).join("\n")}`);
  if (indexFindings.length) console.log("    An index.ts only re-exports (`export … from`): the code lives in the files named after what it exports.\n");
}
const arrows = modules.flatMap((m) => m.dependencies.filter((d) => project(d.resolved)).map((d) => `${m.source} ${d.resolved}`));
console.log(`modules: ${modules.length} (of ${result.summary.totalCruised} with packages and built-ins)`);
console.log(`arrows: ${new Set(arrows).size} module to module (${arrows.length} import statements; ${result.summary.totalDependenciesCruised} with packages)`);
console.log(
  `floors: ${[
    ["whole tree", ""],
    ["master", "master-worker/src/"],
    ["agent", "agent-bun/src/"],
  ]
    .map(([name, root]) => `${name} ${floors(root!)}`)
    .join(", ")} (modules on the longest import chain)`,
);
const typeOnly = [...circles.values()].filter((runtime) => !runtime).length;
console.log(`circles: ${circles.size} (${typeOnly} of them closed only by an \`import type\`, so no circle at run time)`);
if (numbersOnly) for (const [ring, runtime] of circles) console.log(`  ${ring}${runtime ? "" : "  (type-only)"}`);
console.log(`violations: ${violations}${violations ? `: ${[...byRule].map(([rule, n]) => `${rule} ${n}`).join(", ")}` : ""}`);
process.exitCode = violations ? 1 : 0;

/** The number of modules on the longest chain of imports among the files under `root` (an arrow back into the chain being followed, a circle's, is left out). */
function floors(root: string): number {
  const inside = (path: string) => path.startsWith(root);
  const next = new Map<string, string[]>();
  for (const m of modules)
    if (inside(m.source))
      next.set(
        m.source,
        m.dependencies.map((d) => d.resolved).filter((r) => inside(r) && project(r)),
      );
  const depth = new Map<string, number>();
  const visit = (node: string): number => {
    const known = depth.get(node);
    if (known !== undefined) return known;
    depth.set(node, 0); // on the chain being followed
    const d = 1 + Math.max(0, ...(next.get(node) ?? []).map(visit));
    depth.set(node, d);
    return d;
  };
  return Math.max(0, ...[...next.keys()].map(visit));
}
