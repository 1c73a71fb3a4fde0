/**
 * `npm start`: a local Strata cluster on this machine — the master on workerd at
 * http://127.0.0.1:8787 (state under .strata/local/master) and one agent — then the example
 * framework's demo run against it. The cluster keeps running until Ctrl-C.
 *
 *   npm start [-- --port 8787] [--state-dir .strata/local] [--agents 1] [--no-demo]
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { authorizationHeader } from "../sdk/src/auth.ts";
import { localSecrets, type Proc, ROOT, startAgent, startMaster, waitForAgents } from "./cluster-processes.ts";

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return process.env[`STRATA_${name.toUpperCase().replace(/-/g, "_")}`] ?? def;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith("--")) {
    console.error(`--${name}: a value is required`);
    process.exit(2);
  }
  return v;
}

const port = Number(flag("port", "8787"));
const agents = Number(flag("agents", "1"));
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`--port: '${port}' is not a port`);
  process.exit(2);
}
if (!Number.isInteger(agents) || agents < 0) {
  console.error(`--agents: '${agents}' is not a count`);
  process.exit(2);
}
const stateDir = resolve(ROOT, flag("state-dir", ".strata/local"));
const master = `http://127.0.0.1:${port}`;
/** Paths as the user typed them: relative to the repository when inside it. */
const shown = (p: string) => (relative(ROOT, p).startsWith("..") ? p : relative(ROOT, p));
const secrets = localSecrets(stateDir);
const procs: Proc[] = [];

async function shutdown(code: number): Promise<never> {
  console.log("\nStopping the local cluster…");
  for (const p of procs.reverse()) await p.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

console.log(`Starting the master on ${master} (state in ${shown(stateDir)}/master, log ${shown(stateDir)}/master.log)…`);
procs.push(await startMaster({ port, stateDir }));
for (let i = 0; i < agents; i++) {
  const workDir = join(stateDir, `agent-${i}`);
  procs.push(
    startAgent({
      master,
      workDir,
      joinToken: secrets.joinToken,
      logFile: join(stateDir, `agent-${i}.log`),
      extraArgs: ["--cgroups-root", `strata-local-${i}`, "--attributes", `agent:${i}`],
    }),
  );
  console.log(`Started agent ${i} (work dir ${shown(workDir)}, log ${shown(stateDir)}/agent-${i}.log)`);
}
writeFileSync(join(stateDir, "cluster.env"), `STRATA_MASTER=${master}\nSTRATA_PRINCIPAL=${secrets.principal}\nSTRATA_SECRET=${secrets.secret}\n`, {
  mode: 0o600,
});

await waitForAgents(master, secrets, agents, 30_000);
// Wakes the services framework (Strata's built-in Marathon, docs/services.md): it subscribes as
// `marathon` and keeps its subscription from then on.
const servicesInfo = await fetch(`${master}/v2/info`, { headers: { authorization: authorizationHeader(secrets)! } });
console.log(
  servicesInfo.ok
    ? `The services framework (Marathon API) answers at ${master}/v2/apps`
    : `The services framework did not answer /v2/info (${servicesInfo.status}); see ${shown(stateDir)}/master.log`,
);
console.log(`\nThe cluster is up: master ${master}, ${agents} agent(s). Credentials are in ${shown(stateDir)}/cluster.env.`);

const example = ["run", "-s", "example", "--", "--instances", "3", "--command", 'echo "hello from task $MESOS_TASK_ID on $(hostname)"; uname -sr'];
if (!process.argv.includes("--no-demo") && agents > 0) {
  console.log(`\nRunning the example framework (distributed shell): npm ${example.join(" ")}\n`);
  await new Promise<void>((res) =>
    spawn("npm", example, {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, STRATA_MASTER: master, STRATA_PRINCIPAL: secrets.principal, STRATA_SECRET: secrets.secret },
    }).on("exit", () => res()),
  );
}
// The example reads .strata/local/cluster.env by itself; another state dir is named on its command line.
const envPrefix = stateDir === resolve(ROOT, ".strata/local") ? "" : `env $(cat ${shown(stateDir)}/cluster.env) `;
console.log(`
Run it again (or your own command) in another terminal:
  ${envPrefix}npm run example -- --instances 3 --command "hostname; date"
State:    curl -u ${secrets.principal}:<secret from ${shown(stateDir)}/cluster.env> ${master}/master/state
Services: curl -u ${secrets.principal}:<secret> ${master}/v2/apps -H 'Content-Type: application/json' \\
            -d '{"id":"/sleepy","cmd":"sleep 600","instances":2,"cpus":0.1,"mem":32}'   (docs/services.md)
Ctrl-C stops the cluster; its state stays in ${shown(stateDir)} for the next start.`);
await new Promise(() => undefined);
