/**
 * The house's layer rules, checked by dependency-cruiser (`npm run check:layers`). Paths are
 * relative to the repository root. Every rule is an error: a violation fails CI.
 *
 * Type-only imports count as arrows too (`tsPreCompilationDeps`): a layer that needs another's
 * types depends on it just the same.
 */

/** The master's layers, top to bottom: each may import only itself and the layers below it. */
const MASTER_LAYERS = ["index.ts", "shell", "edge", "operator", "read", "core", "decide", "model", "store", "allocator"];

/**
 * The agent's layers, top to bottom (agent-bun/README.md, "Layout", draws them): `main.ts`, then
 * the command line, the hollow fleet, the agent loop, and the pieces it runs tasks with.
 */
const AGENT_LAYERS = ["main.ts", "cli", "hollow", "core", "health", "docker", "containerizers", "gpu", "isolation", "fetcher", "sandbox", "state", "system"];

const regexEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A regex matching one layer's files: a folder's whole tree, or one file (a name with a dot). */
const layerPath = (root, layer) => `^${regexEscape(root)}/${regexEscape(layer)}${layer.includes(".") ? "$" : "/"}`;

/**
 * For each layer, one rule: it imports nothing of `root` except itself and the layers below it.
 * And one rule for files in no listed layer, so that a new folder gets a place in the order.
 */
function layerRules(name, root, layers) {
  if (layers.length === 0) return [];
  const rules = layers.map((layer, i) => ({
    name: `${name}:${layer}`,
    comment: `${root}/${layer} may import only ${layers.slice(i).join(", ")} (the layers at or below it), schemas/ and sdk/.`,
    severity: "error",
    from: { path: layerPath(root, layer) },
    to: { path: `^${regexEscape(root)}/`, pathNot: layers.slice(i).map((l) => layerPath(root, l)) },
  }));
  const anyLayer = layers.map((l) => layerPath(root, l));
  rules.push({
    name: `${name}:outside`,
    comment: `Every file of ${root} belongs to one of its layers (${layers.join(", ")}); add a new folder to the order first.`,
    severity: "error",
    from: { path: `^${regexEscape(root)}/`, pathNot: anyLayer },
    to: { path: "^(master-worker|agent-bun|sdk|schemas)/" },
  });
  return rules;
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No module may reach itself through its imports: a circle is one module in several files.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      comment: "Every import resolves to a file or package (or the layer rules below would not see it); bun: and cloudflare: are runtime modules.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^(bun|cloudflare):" },
    },
    {
      name: "schemas-stand-alone",
      comment: "schemas/ is the bottom of the house: of the project it imports only schemas/.",
      severity: "error",
      from: { path: "^schemas/" },
      to: { pathNot: ["^schemas/", "(^|/)node_modules/"], dependencyTypesNot: ["core"] },
    },
    {
      name: "sdk-on-schemas",
      comment: "The SDK is runtime-neutral and stands on schemas/ alone: of the project it imports only sdk/ and schemas/.",
      severity: "error",
      from: { path: "^sdk/" },
      to: { pathNot: ["^sdk/", "^schemas/", "(^|/)node_modules/"], dependencyTypesNot: ["core"] },
    },
    {
      name: "frameworks-on-sdk",
      comment: "The built-in frameworks (frameworks/) stand on the SDK and schemas/ alone: never the master's or the agent's internals.",
      severity: "error",
      from: { path: "^frameworks/" },
      to: { path: "^(master-worker|agent-bun|scripts|examples|bench)/" },
    },
    {
      name: "frameworks-shared-below",
      comment:
        "frameworks/shared/ is the building blocks every built-in framework uses: it imports no framework (frameworks/services/ … import it, not the reverse).",
      severity: "error",
      from: { path: "^frameworks/shared/" },
      to: { path: "^frameworks/", pathNot: "^frameworks/shared/" },
    },
    {
      name: "frameworks-apart",
      comment: "One built-in framework does not import another (services, jobs, …): what they share goes to frameworks/shared/.",
      severity: "error",
      from: { path: "^frameworks/([^/]+)/" },
      to: { path: "^frameworks/", pathNot: ["^frameworks/$1/", "^frameworks/shared/"] },
    },
    {
      name: "master-deploys-frameworks",
      comment:
        "The master's Worker deploys the built-in frameworks' objects (shell/) and forwards their routes (edge/); nothing below decides with a framework's code.",
      severity: "error",
      from: { path: "^master-worker/", pathNot: "^master-worker/src/(shell|edge)/" },
      to: { path: "^frameworks/" },
    },
    {
      name: "master-not-agent",
      comment: "The master and the agent share only schemas/ and sdk/.",
      severity: "error",
      from: { path: "^master-worker/" },
      to: { path: "^agent-bun/" },
    },
    {
      name: "agent-not-master",
      comment: "The master and the agent share only schemas/ and sdk/.",
      severity: "error",
      from: { path: "^agent-bun/" },
      to: { path: "^master-worker/" },
    },
    {
      name: "allocator-via-index",
      comment: "Outside master-worker/src/allocator/, the allocator is reached only through its index.ts.",
      severity: "error",
      from: { pathNot: "^master-worker/src/allocator/" },
      to: { path: "^master-worker/src/allocator/", pathNot: "^master-worker/src/allocator/index\\.ts$" },
    },
    {
      name: "allocator-self-contained",
      comment: "The allocator imports nothing of the master outside its own folder (schemas/ and sdk/ are fine).",
      severity: "error",
      from: { path: "^master-worker/src/allocator/" },
      to: { path: "^master-worker/", pathNot: "^master-worker/src/allocator/" },
    },
    ...layerRules("master-layer", "master-worker/src", MASTER_LAYERS),
    ...layerRules("agent-layer", "agent-bun/src", AGENT_LAYERS),
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    // Type-only imports are arrows too (see above).
    tsPreCompilationDeps: true,
    // The project imports with explicit .ts extensions (allowImportingTsExtensions, Bundler).
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
