#!/usr/bin/env bun
/**
 * distributed-shell: the classic Mesos demo on Strata. Runs one shell command as N tasks
 * (spread over distinct agents when there are enough), waits for each to end, prints where
 * each ran, how it ended and what it printed, then tears the framework down.
 *
 *   bun examples/distributed-shell.ts --command "uname -a" --instances 3
 *
 * Exit status: 0 when every task finished with status 0, 1 otherwise.
 */
import { hostname } from "node:os";
import {
  commandTask,
  decodeTaskOutput,
  exitStatusOf,
  isTerminal,
  type Offer,
  type Resource,
  SchedulerClient,
  subtract,
  type TaskStatus,
  takeScalars,
} from "../sdk/src/index.ts";
import { currentUserName } from "./lib/current-user.ts";
import { HELP, type Options, parseOptions } from "./lib/distributed-shell-options.ts";
import { formatReport, style, type TaskOutcome } from "./lib/report.ts";

const OFFER_BATCH_MS = 150; // gather offers this long so tasks can be spread over agents
const MAX_ATTEMPTS = 3; // relaunches of a task the master dropped before it started

/** One of the N tasks; `id` changes when a dropped launch is retried. */
interface Slot {
  index: number;
  id: string;
  attempt: number;
  agentId?: string;
  hostname?: string;
  launchedAt?: number;
  endedAt?: number;
  status?: TaskStatus;
  done: boolean;
}

class DistributedShell {
  private readonly runId = Math.random().toString(36).slice(2, 7);
  private readonly slots: Slot[];
  private readonly byId = new Map<string, Slot>();
  private readonly pool = new Map<string, Offer>();
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private suppressed = false;
  private finishing = false;
  private resolveDone!: (reason: string) => void;
  readonly done = new Promise<string>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly opts: Options,
    private readonly client: SchedulerClient,
    private readonly note: (line: string) => void,
  ) {
    this.slots = Array.from({ length: opts.instances }, (_, index) => ({ index, id: "", attempt: 0, done: false }));
    for (const slot of this.slots) this.assignId(slot);
    client.on("subscribed", (s, info) => this.onSubscribed(s.framework_id.value, info.resubscribed));
    client.on("offers", (offers) => this.onOffers(offers));
    client.on("rescind", (id) => void this.pool.delete(id.value));
    client.on("update", (status) => this.onUpdate(status));
  }

  private assignId(slot: Slot): void {
    slot.id = `dshell-${this.runId}-${slot.index}${slot.attempt ? `.${slot.attempt}` : ""}`;
    this.byId.set(slot.id, slot);
  }

  private get pending(): Slot[] {
    return this.slots.filter((s) => !s.done && !s.agentId);
  }

  private async onSubscribed(frameworkId: string, resubscribed: boolean): Promise<void> {
    this.suppressed = false; // a new subscription starts unsuppressed
    if (!resubscribed) {
      this.note(`subscribed as framework ${frameworkId}`);
      return;
    }
    this.note("resubscribed; reconciling running tasks");
    const live = this.slots.filter((s) => s.agentId && !s.done).map((s) => ({ taskId: s.id, agentId: s.agentId }));
    await this.client.reconcile(live).catch((e) => this.note(`reconcile failed: ${e.message}`));
    if (!this.pending.length) await this.suppress();
  }

  private onOffers(offers: Offer[]): void {
    for (const offer of offers) this.pool.set(offer.id.value, offer);
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      void this.placeTasks();
    }, OFFER_BATCH_MS);
  }

  /** Places pending tasks into the gathered offers, launches them, declines what is left. */
  private async placeTasks(): Promise<void> {
    const offers = [...this.pool.values()];
    this.pool.clear();
    const remaining = new Map(offers.map((o) => [o.id.value, o.resources] as const));
    const plan = new Map<string, Array<{ slot: Slot; resources: Resource[] }>>();
    const perAgent = new Map<string, number>();
    for (const s of this.slots) if (s.agentId && !s.done) perAgent.set(s.agentId, (perAgent.get(s.agentId) ?? 0) + 1);

    for (const slot of this.finishing ? [] : this.pending) {
      const candidates = offers.flatMap((offer) => {
        const resources = takeScalars(remaining.get(offer.id.value)!, { cpus: this.opts.cpus, mem: this.opts.mem });
        return resources ? [{ offer, resources }] : [];
      });
      if (!candidates.length) break;
      // spread: the agent running the fewest of our tasks; pack: the first offer that fits
      const load = (o: Offer) => perAgent.get(o.agent_id.value) ?? 0;
      const pick = this.opts.spread ? candidates.reduce((a, b) => (load(b.offer) < load(a.offer) ? b : a)) : candidates[0]!;
      const id = pick.offer.id.value;
      remaining.set(id, subtract(remaining.get(id)!, pick.resources));
      perAgent.set(pick.offer.agent_id.value, load(pick.offer) + 1);
      plan.set(id, [...(plan.get(id) ?? []), { slot, resources: pick.resources }]);
      slot.agentId = pick.offer.agent_id.value;
      slot.hostname = pick.offer.hostname;
    }

    const launches = offers.map(async (offer) => {
      const placed = plan.get(offer.id.value);
      if (!placed) {
        // a short filter while tasks are waiting, so these resources come back soon
        return this.client.decline([offer.id], { refuse_seconds: this.pending.length ? 1 : 60 }).catch(() => undefined);
      }
      const tasks = placed.map(({ slot, resources }) =>
        commandTask({
          taskId: slot.id,
          agentId: offer.agent_id,
          resources,
          shell: this.opts.command,
          name: `distributed-shell ${slot.index}`,
          killGracePeriodSeconds: 2,
        }),
      );
      try {
        for (const { slot } of placed) {
          slot.launchedAt = Date.now();
          this.note(`launching ${slot.id} on ${offer.hostname}`);
        }
        await this.client.launch([offer.id], tasks, { refuse_seconds: 1 });
      } catch (error) {
        this.note(`launch on ${offer.hostname} failed (${(error as Error).message}); will retry`);
        for (const { slot } of placed)
          if (!slot.status) {
            slot.agentId = undefined;
            slot.hostname = undefined;
          }
      }
    });
    await Promise.all(launches);
    if (this.pending.length === 0) await this.suppress();
    else if (this.suppressed) await this.revive();
  }

  private async suppress(): Promise<void> {
    if (this.suppressed) return;
    this.suppressed = true;
    await this.client.suppress().catch(() => (this.suppressed = false));
  }

  private async revive(): Promise<void> {
    this.suppressed = false;
    await this.client.revive().catch(() => undefined);
  }

  private async onUpdate(status: TaskStatus): Promise<void> {
    const slot = this.byId.get(status.task_id.value);
    if (!slot || slot.done || slot.id !== status.task_id.value) return;
    slot.status = status;
    if (!isTerminal(status.state)) {
      this.note(`${slot.id} ${status.state.replace("TASK_", "").toLowerCase()}`);
      return;
    }
    if (status.state === "TASK_DROPPED" && slot.attempt + 1 < MAX_ATTEMPTS) {
      this.note(`${slot.id} was dropped before it started (${status.message ?? status.reason ?? "no reason"}); relaunching`);
      slot.attempt++;
      slot.agentId = slot.hostname = slot.status = undefined;
      this.assignId(slot);
      await this.revive();
      return;
    }
    slot.done = true;
    slot.endedAt = Date.now();
    const exit = exitStatusOf(status);
    this.note(`${slot.id} ${status.state.replace("TASK_", "").toLowerCase()}${exit === undefined ? "" : ` (exit ${exit})`}`);
    if (this.slots.every((s) => s.done)) this.resolveDone("all tasks ended");
  }

  /** Stops placing tasks; called once the run is over. */
  stopPlacing(): void {
    this.finishing = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
  }

  outcomes(): TaskOutcome[] {
    return this.slots.map((s) => {
      const st = s.status;
      const state = s.done && st ? st.state : st ? `${st.state} (still running)` : s.agentId ? "LAUNCHING" : "NOT LAUNCHED";
      const exitStatus = st ? (exitStatusOf(st) ?? (st.state === "TASK_FINISHED" ? 0 : undefined)) : undefined;
      return {
        taskId: s.id,
        hostname: s.hostname,
        state,
        exitStatus,
        output: st ? decodeTaskOutput(st) : "",
        message: st?.message,
        reason: st?.reason,
        seconds: s.launchedAt && s.endedAt ? (s.endedAt - s.launchedAt) / 1000 : undefined,
        ok: s.done && st?.state === "TASK_FINISHED" && exitStatus === 0,
      };
    });
  }
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`distributed-shell: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const s = style(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  const e = style(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);
  const note = (line: string) => console.error(e.dim(`  ${line}`));
  const { master, credentials, credentialsFrom } = opts.cluster;
  console.error(`${e.bold("distributed-shell")} → ${master} ${e.dim(`(credentials: ${credentialsFrom})`)}`);
  console.error(
    e.dim(`  running \`${opts.command}\` × ${opts.instances} (cpus ${opts.cpus}, mem ${opts.mem} MB each${opts.spread ? ", spread over agents" : ""})`),
  );

  const client = new SchedulerClient({
    master,
    credentials,
    frameworkInfo: {
      user: currentUserName(),
      name: "distributed-shell",
      hostname: hostname(),
      failover_timeout: Math.max(60, opts.timeoutSeconds),
      ...(credentials && "principal" in credentials ? { principal: credentials.principal } : {}),
    },
    logger: {},
  });
  const app = new DistributedShell(opts, client, note);
  client.on("disconnected", (d) => {
    const reason = d.reason.split(/\.\s/)[0]!.slice(0, 120); // runtimes append long advice to network errors
    note(e.yellow(`master connection lost (${reason}); retrying in ${(d.retryInMs / 1000).toFixed(1)} s`));
  });

  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(`timed out after ${opts.timeoutSeconds} s`), opts.timeoutSeconds * 1000));
  const interrupted = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("interrupted"));
    process.once("SIGTERM", () => resolve("terminated"));
  });
  const fatal = client.closed.then((error) => `giving up: ${error ? error.message : "the client stopped"}`);
  client.start().catch(() => undefined); // failures surface through `closed`

  const reason = await Promise.race([app.done, timeout, interrupted, fatal]);
  app.stopPlacing();
  const clean = reason === "all tasks ended";
  if (!clean) console.error(e.yellow(`distributed-shell: ${reason}`));

  console.log("");
  const outcomes = app.outcomes();
  console.log(formatReport(outcomes, s));

  if (client.subscribed || !reason.startsWith("giving up")) {
    // TEARDOWN kills whatever still runs and removes the framework; don't wait long for a master that is gone
    const tearDown = async () => {
      await client.drain(); // acknowledge the last updates first
      await client.teardown();
    };
    await Promise.race([tearDown().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  }
  await client.stop();
  return clean && outcomes.every((o) => o.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error("distributed-shell:", error);
    process.exit(1);
  },
);
