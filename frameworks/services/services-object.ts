/**
 * The services framework's Durable Object (Strata's built-in Marathon): a thin shell that loads
 * its state (services-store.ts), serves Marathon's REST API (services-api.ts), and runs as an
 * ordinary framework through the SDK's `SchedulerClient`, answering offers (offer-planner.ts)
 * and status updates (status-planner.ts), and takes the steps of the rolling deployments in
 * progress (deployments.ts) after each change. Every change is committed before it is answered or
 * acted on. The one alarm keeps the subscription: each tick (re)subscribes when no client runs
 * (after a restart, with the stored framework id: a failover), asks again for the kills not yet
 * confirmed, and revives offers while an app is short of instances. `/v2/events` is served here
 * too (event-stream.ts): the events of its changes and updates go to the attached clients. It
 * counts what `/metrics` reports (leader-metrics.ts) and, on DELETE `/v2/leader`, drops its
 * subscription and streams to subscribe again at the next tick (a failover).
 *
 * The transport is left to the Worker that deploys it (`schedulerFetch`): it must take the
 * request through the Worker's own scheduler path (authentication and validation included),
 * never into the master's internals.
 */
import { DurableObject } from "cloudflare:workers";
import type { MarathonApp } from "../../schemas/marathon/app-definition.ts";
import type { Offer, TaskStatus } from "../../schemas/mesos.ts";
import type { Credentials } from "../../sdk/src/auth.ts";
import { SchedulerClient } from "../../sdk/src/scheduler-client.ts";
import { SchedulerError } from "../../sdk/src/scheduler-errors.ts";
import type { ApiChanges } from "./api-types.ts";
import { FAILOVER_TIMEOUT_SECONDS } from "./app-answers.ts";
import { trackDeployments } from "./deployment-api.ts";
import { expireDeployments } from "./deployment-deadline.ts";
import { advanceDeployments } from "./deployments.ts";
import {
  apiPostEvent,
  appTerminatedEvent,
  deploymentEvent,
  groupChangeEvent,
  groupChangeFailedEvent,
  instanceChangedEvent,
  statusEvents,
  streamEvent,
} from "./event-json.ts";
import { EventHub } from "./event-stream.ts";
import { missingInstances, planOffers } from "./offer-planner.ts";
import { forgetSettled, type OfferStats, recordOutcomes } from "./offer-stats.ts";
import { dueReadinessProbes, readinessChanged } from "./readiness.ts";
import { runReadinessProbe } from "./readiness-runner.ts";
import { isIdleResident, planResidentOffers, type ResidentAccept, residentStatus, residentWaiting } from "./resident-planner.ts";
import { type DeploymentRecord, type ServicesState, stoppingInstances } from "./service-records.ts";
import { type ApiAnswer, serveApi } from "./services-api.ts";
import { newCounters } from "./services-counters.ts";
import { SERVICES_CLIENT_HEADER, SERVICES_ORIGIN_HEADER } from "./services-origin.ts";
import { readServicesSettings, type ServicesSettings } from "./services-settings.ts";
import { applyChanges, type ServicesChanges, ServicesStore } from "./services-store.ts";
import { applyStatus, quietLaunches } from "./status-planner.ts";
import { unreachableSteps } from "./unreachable.ts";

/** How often the alarm checks the subscription and the kills. */
export const SERVICES_TICK_MS = 5_000;
/** How long offers nothing wants are declined for. */
const IDLE_REFUSE_SECONDS = 30;
/** How long after answering DELETE `/v2/leader` the object gives its subscription up (Marathon's LeaderResource `abdicationDelay`). */
const ABDICATION_DELAY_MS = 500;

const answerResponse = (a: ApiAnswer): Response =>
  a.status === 204
    ? new Response(null, { status: 204, ...(a.headers ? { headers: a.headers } : {}) })
    : a.text !== undefined
      ? new Response(a.text, { status: a.status, headers: { "content-type": "text/plain; charset=utf-8", ...a.headers } })
      : Response.json(a.json, { status: a.status, ...(a.headers ? { headers: a.headers } : {}) });

/** The services framework; a Worker subclasses it with its scheduler transport and credentials. */
export abstract class ServicesFrameworkObject extends DurableObject<Record<string, unknown>> {
  private readonly settings: ServicesSettings;
  private readonly store: ServicesStore;
  private readonly state: ServicesState;
  private client: SchedulerClient | undefined;
  private suppressed = false;
  /** Stopped instances whose KILL went out since the last tick. */
  private readonly killSent = new Set<string>();
  /** What offers did for each app waiting for instances (`/v2/queue`); memory only. */
  private readonly offerStats: OfferStats = new Map();
  /** When each new instance's readiness check was last asked (readiness.ts); memory only. */
  private readonly readinessAsked = new Map<string, number>();
  /** The clients of `/v2/events`. */
  private readonly events = new EventHub((remote) => this.events.publish(streamEvent("detached", remote, Date.now())));
  /** What `/metrics` counts since the object started. */
  private readonly counters = newCounters(Date.now());

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    this.settings = readServicesSettings(env);
    this.store = new ServicesStore(ctx.storage);
    this.state = this.store.load();
  }

  /** Sends one scheduler API request through the Worker's own scheduler path. */
  protected abstract schedulerFetch(request: Request): Promise<Response>;
  /** The credentials of `principal` (or of the default principal when none is named). */
  protected abstract credentialsFor(principal: string | undefined): Credentials | undefined;

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const origin = request.headers.get(SERVICES_ORIGIN_HEADER) ?? url.origin;
    if (origin !== this.state.masterOrigin) this.commit({ meta: { master_origin: origin } });
    this.ensureSubscribed();
    const client = request.headers.get(SERVICES_CLIENT_HEADER) ?? "unknown";
    if (url.pathname === "/v2/events" && request.method === "GET") {
      const response = this.events.attach(url.searchParams.getAll("event_type"), client, url.searchParams.get("plan-format") === "light");
      this.events.publish(streamEvent("attached", client, Date.now()));
      await this.keepAlarm();
      return response;
    }
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const nowMs = Date.now();
    const served = serveApi(
      this.state,
      { method: request.method, path: url.pathname, query: url.searchParams, body, origin, accept: request.headers.get("accept") ?? undefined },
      {
        nowMs,
        uuid: () => crypto.randomUUID(),
        role: this.settings.role,
        user: this.settings.user,
        offerStats: this.offerStats,
        versions: this.store,
        counters: { ...this.counters, eventStreams: this.events.size },
      },
    );
    const { answer, changes } = trackDeployments(this.state, served, nowMs);
    if (served.abdicate) setTimeout(() => this.abdicate(), ABDICATION_DELAY_MS);
    const groupFailed = groupChangeFailedEvent({ method: request.method, path: url.pathname, body }, answer, nowMs);
    if (groupFailed) this.events.publish(groupFailed);
    if (changes) {
      const stopped = (changes.removedDeployments ?? []).flatMap((id) => this.state.deployments.get(id) ?? []);
      this.commit({
        apps: changes.apps,
        newVersions: changes.apps,
        removedApps: changes.removedApps,
        instances: changes.instances,
        ...(changes.deployments ? { deployments: changes.deployments } : {}),
        ...(changes.removedDeployments ? { removedDeployments: changes.removedDeployments } : {}),
        ...(changes.groups ? { groups: changes.groups } : {}),
        ...(changes.removedGroups ? { removedGroups: changes.removedGroups } : {}),
        ...(changes.groupVersions ? { groupVersions: changes.groupVersions } : {}),
      });
      this.counters.deployments += changes.deployments?.length ?? 0;
      this.announce(request.method, url.pathname, client, changes, stopped, nowMs);
      this.act(false);
    }
    await this.keepAlarm();
    return answerResponse(answer);
  }

  /** The events of an API change: api_post_event for a definition sent, app_terminated_event, deployment_failed for the deployments it stopped, deployment_info. */
  private announce(method: string, uri: string, client: string, changes: ApiChanges, stopped: readonly DeploymentRecord[], nowMs: number): void {
    if (this.events.size === 0) return;
    for (const d of stopped) this.events.publish(deploymentEvent("deployment_failed", d, this.targetOf(d), nowMs));
    if (method === "POST" || method === "PUT" || method === "PATCH") for (const r of changes.apps) this.events.publish(apiPostEvent(client, uri, r.app, nowMs));
    for (const id of changes.removedApps) this.events.publish(appTerminatedEvent(id, nowMs));
    for (const d of changes.deployments ?? []) {
      if (d.groupId) this.events.publish(groupChangeEvent(d.groupId, d.version, nowMs));
      this.events.publish(deploymentEvent("deployment_info", d, this.targetOf(d), nowMs));
    }
  }

  /** The apps `d` touches as they are now (for the deployment events' plan). */
  private targetOf(d: DeploymentRecord): Map<string, MarathonApp> {
    const out = new Map<string, MarathonApp>();
    for (const id of Object.keys(d.original)) {
      const r = this.state.apps.get(id);
      if (r) out.set(id, r.app);
    }
    return out;
  }

  async alarm(): Promise<void> {
    this.ensureSubscribed();
    this.killSent.clear();
    this.act(true);
    await this.ctx.storage.setAlarm(Date.now() + SERVICES_TICK_MS);
  }

  /** Gives the subscription and the event streams up (DELETE `/v2/leader`); the next tick subscribes again with the stored framework id. */
  private abdicate(): void {
    const client = this.client;
    this.client = undefined;
    delete this.counters.subscribedAt;
    this.events.closeAll();
    client?.stop().catch(() => undefined);
  }

  private async keepAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SERVICES_TICK_MS);
  }

  private commit(changes: ServicesChanges): void {
    applyChanges(this.state, this.store.commit(changes)); // the records as stored: see storedCopies
  }

  /** Subscribes when no client runs; after a restart with the stored framework id (failover). */
  private ensureSubscribed(): void {
    const origin = this.state.masterOrigin;
    if (this.client || !origin) return;
    const credentials = this.credentialsFor(this.settings.principal);
    const client = new SchedulerClient({
      master: origin,
      frameworkInfo: {
        user: this.settings.user,
        name: "marathon",
        roles: [this.settings.role],
        // PARTITION_AWARE: a partitioned agent's tasks come as TASK_UNREACHABLE, handled by the apps' unreachable strategy (unreachable.ts).
        capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }],
        failover_timeout: FAILOVER_TIMEOUT_SECONDS,
        checkpoint: true,
        ...(credentials && "principal" in credentials ? { principal: credentials.principal } : {}),
        ...(this.state.frameworkId ? { id: { value: this.state.frameworkId } } : {}),
      },
      ...(credentials ? { credentials } : {}),
      fetch: (input, init) => this.schedulerFetch(new Request(input, init)),
      backoff: { initialMs: 500, maxMs: 5_000 },
    });
    client.on("subscribed", (s) => this.onSubscribed(client, s.framework_id.value));
    client.on("offers", (offers) => this.onOffers(client, offers));
    client.on("updates", (statuses) => this.onUpdates(client, statuses));
    client.on("error", (error) => this.onRefused(error));
    this.client = client;
    this.suppressed = false;
    void client.closed.then(() => {
      if (this.client === client) this.client = undefined;
    });
    client.start().catch(() => undefined); // a refused SUBSCRIBE ends the client; the next tick tries again
  }

  /**
   * The client ended for good (SUBSCRIBE refused, or the master's ERROR). A framework the master tore down (TEARDOWN by an operator) cannot
   * come back under its id, and its tasks were killed: the framework forgets the id and those
   * instances, so the next tick subscribes afresh and relaunches every app's instances. Any other
   * refusal (credentials, ACLs, role) is retried at each tick as it is.
   */
  private onRefused(error: SchedulerError): void {
    if (!/torn down/.test(error.message) || !this.state.frameworkId) return;
    this.commit({ meta: { framework_id: "" }, removedInstances: [...this.state.instances.keys()] });
  }

  private async onSubscribed(client: SchedulerClient, frameworkId: string): Promise<void> {
    if (frameworkId !== this.state.frameworkId) this.commit({ meta: { framework_id: frameworkId } });
    this.counters.subscribedAt = Date.now();
    this.suppressed = false;
    const known = [...this.state.instances.values()].map((i) => ({ taskId: i.taskId, agentId: i.agentId }));
    if (known.length > 0) await client.reconcile(known).catch(() => undefined);
    this.killSent.clear();
    this.act(true);
  }

  /** Whether an app is short of instances; forgets the offer statistics of those that are not. */
  private wantsOffers(): boolean {
    const waiting = new Set<string>();
    for (const record of this.state.apps.values()) if (missingInstances(this.state, record) > 0) waiting.add(record.app.id);
    for (const id of residentWaiting(this.state)) waiting.add(id); // relaunches on reservations, wipes
    forgetSettled(this.offerStats, waiting);
    return waiting.size > 0;
  }

  /**
   * Applies the unreachable strategy (instances inactive, to be replaced, or expunged), takes the deployments' next steps (old instances to stop, deployments over), kills what is being stopped (all of it when `again`, at a tick, else what was not asked yet),
   * asks the master about launches that stayed quiet (at a tick), and keeps offers coming while
   * needed.
   */
  private act(again: boolean): void {
    const unreachable = unreachableSteps(this.state, Date.now());
    if (unreachable.inactive.length > 0 || unreachable.expunged.length > 0) {
      this.commit({ instances: unreachable.inactive, removedInstances: unreachable.expunged });
      for (const id of unreachable.expunged) this.killSent.delete(id);
    }
    // Deployments past their deadline fail (and roll back where asked) before any step is taken.
    const expired = expireDeployments(this.state, Date.now(), () => crypto.randomUUID());
    if (expired.expired.length > 0) this.commit(expired);
    for (const e of expired.expired) {
      this.events.publish(deploymentEvent("deployment_step_failure", e.deployment, this.targetOf(e.deployment), Date.now()));
      this.events.publish(deploymentEvent("deployment_failed", e.deployment, this.targetOf(e.deployment), Date.now()));
      if (e.rollback) this.events.publish(deploymentEvent("deployment_info", e.rollback, this.targetOf(e.rollback), Date.now()));
    }
    const progress = advanceDeployments(this.state, Date.now());
    if (progress.stops.length > 0 || progress.advanced.length > 0 || progress.finished.length > 0) {
      this.commit({ instances: progress.stops, deployments: progress.advanced, removedDeployments: progress.finished.map((d) => d.id) });
    }
    for (const { deployment, step } of progress.stepsDone)
      this.events.publish(deploymentEvent("deployment_step_success", deployment, this.targetOf(deployment), Date.now(), step));
    for (const d of progress.finished) this.events.publish(deploymentEvent("deployment_success", d, this.targetOf(d), Date.now()));
    this.checkReadiness();
    const client = this.client;
    if (!client?.subscribed) return;
    for (const i of stoppingInstances(this.state)) {
      if (isIdleResident(i) || (!again && this.killSent.has(i.taskId))) continue;
      this.killSent.add(i.taskId);
      client.kill(i.taskId, i.agentId).catch(() => undefined);
    }
    if (again) {
      const quiet = quietLaunches(this.state, Date.now()).map((i) => ({ taskId: i.taskId, agentId: i.agentId }));
      if (quiet.length > 0) client.reconcile(quiet).catch(() => undefined);
    }
    const wants = this.wantsOffers();
    if (wants && (this.suppressed || again)) {
      this.suppressed = false;
      this.counters.revives++;
      client.revive().catch(() => undefined);
    } else if (!wants && !this.suppressed) {
      this.suppressed = true;
      this.counters.suppresses++;
      client.suppress().catch(() => undefined);
    }
  }

  /** Asks the readiness checks that are due; a changed result is committed, and a ready instance lets the deployment go on. */
  private checkReadiness(): void {
    for (const id of this.readinessAsked.keys()) if (!this.state.instances.has(id)) this.readinessAsked.delete(id);
    const nowMs = Date.now();
    for (const probe of dueReadinessProbes(this.state, this.readinessAsked, nowMs)) {
      this.readinessAsked.set(probe.taskId, nowMs);
      void runReadinessProbe(probe).then((result) => {
        const i = this.state.instances.get(probe.taskId);
        if (!i || !readinessChanged(i.readiness, result)) return;
        this.commit({ instances: [{ ...i, readiness: result }] });
        if (result.ready) this.act(false);
      });
    }
  }

  private async onOffers(client: SchedulerClient, offers: Offer[]): Promise<void> {
    const plan = planOffers(this.state, offers, {
      nowMs: Date.now(),
      uuid: () => crypto.randomUUID(),
      role: this.settings.role,
      ...(this.settings.maxInstancesPerOffer !== undefined ? { maxInstancesPerOffer: this.settings.maxInstancesPerOffer } : {}),
    });
    recordOutcomes(this.offerStats, plan.outcomes, Date.now());
    const launched = plan.launches.flatMap((l) => l.instances);
    if (launched.length > 0) this.commit({ instances: launched });
    // Resident apps (reservations, volumes, relaunches on them, wipes) on the offers nothing else took.
    const left = new Set(plan.declines);
    const resident = planResidentOffers(
      this.state,
      offers.filter((o) => left.has(o.id.value)),
      { nowMs: Date.now(), uuid: () => crypto.randomUUID(), role: this.settings.role, ...this.principalField() },
    );
    recordOutcomes(this.offerStats, resident.outcomes, Date.now());
    for (const a of resident.accepts) {
      left.delete(a.offerId);
      this.commit({ instances: a.instances, removedInstances: a.removed });
    }
    for (const i of launched) this.events.publish(instanceChangedEvent(i, "Provisioned", Date.now()));
    this.counters.offersIncoming += offers.length;
    this.counters.offersUsed += plan.launches.length;
    this.counters.offersDeclined += plan.declines.length;
    this.counters.launchOperations += plan.launches.length;
    this.counters.tasksLaunched += launched.length;
    const calls: Promise<unknown>[] = plan.launches.map((l) =>
      client.launch([l.offerId], l.tasks, { refuse_seconds: 1 }).catch((err: unknown) => {
        // Refused by the master (4xx): nothing was launched, so the instances go and are planned again.
        if (err instanceof SchedulerError && err.status !== undefined && err.status < 500) {
          this.commit({ removedInstances: l.instances.map((i) => i.taskId) });
        }
      }),
    );
    for (const a of resident.accepts) calls.push(this.acceptResident(client, a));
    const wants = this.wantsOffers();
    if (left.size > 0) calls.push(client.decline([...left], { refuse_seconds: wants ? 1 : IDLE_REFUSE_SECONDS }).catch(() => undefined));
    await Promise.all(calls);
    this.act(false);
  }

  /** Sends one resident ACCEPT; when the master refuses it (4xx) nothing was done, so the rows go back as they were. */
  private acceptResident(client: SchedulerClient, a: ResidentAccept): Promise<unknown> {
    return client.accept([a.offerId], a.operations, { refuse_seconds: 1 }).catch((err: unknown) => {
      if (err instanceof SchedulerError && err.status !== undefined && err.status < 500) {
        console.warn(`services: the master refused a resident ACCEPT (${err.message})`);
        this.commit({ removedInstances: a.instances.map((i) => i.taskId), instances: a.previous });
      }
    });
  }

  /** The framework's principal, as reservations and volumes name it. */
  private principalField(): { principal?: string } {
    const credentials = this.credentialsFor(this.settings.principal);
    return credentials && "principal" in credentials ? { principal: credentials.principal } : {};
  }

  /**
   * The status updates that arrived together (the SDK's "updates"), decided one after another
   * over the state in memory, then stored in one transaction (the rows they touched, as they now
   * are) before the client acknowledges any of them, and acted on once: one transaction and one
   * round per batch instead of per update (BENCHMARKS.md, "Services": the launch rate).
   */
  private onUpdates(client: SchedulerClient, statuses: readonly TaskStatus[]): void {
    const instances = new Set<string>();
    const apps = new Set<string>();
    try {
      for (const status of statuses) {
        const before = this.state.instances.get(status.task_id.value);
        const outcome = residentStatus(this.state, status, applyStatus(this.state, status, Date.now()));
        if (before) for (const e of statusEvents(before, status, outcome.instance?.health?.alive, Date.now())) this.events.publish(e);
        const changes: ServicesChanges = {
          ...(outcome.instance ? { instances: [outcome.instance, ...(outcome.stops ?? [])] } : {}),
          ...(outcome.removed ? { removedInstances: [outcome.removed] } : {}),
          ...(outcome.app ? { apps: [outcome.app] } : {}),
        };
        applyChanges(this.state, changes);
        for (const i of changes.instances ?? []) instances.add(i.taskId);
        for (const id of changes.removedInstances ?? []) instances.add(id);
        for (const r of changes.apps ?? []) apps.add(r.app.id);
        if (outcome.removed) this.killSent.delete(outcome.removed);
        if (outcome.killUnknown) client.kill(outcome.killUnknown.taskId, outcome.killUnknown.agentId).catch(() => undefined);
      }
    } finally {
      // What was decided is stored even when a later update of the batch threw (then none is acknowledged: the master sends them again).
      const ids = [...instances];
      this.commit({
        instances: ids.flatMap((id) => this.state.instances.get(id) ?? []),
        removedInstances: ids.filter((id) => !this.state.instances.has(id)),
        apps: [...apps].flatMap((id) => this.state.apps.get(id) ?? []),
      });
    }
    this.act(false);
  }
}
