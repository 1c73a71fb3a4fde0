/**
 * The Worker entry: routing (itty-router), authentication, content-type and body validation.
 * Only validated messages reach the `ClusterMaster` object; every fault becomes a response in
 * `errorResponse`.
 */
import { Router } from "itty-router";
import type { z } from "zod";
import { SERVICES_CLIENT_HEADER, SERVICES_ORIGIN_HEADER } from "../../../frameworks/services/services-origin.ts";
import { FileAnswer, PollRequest, parseMessage, RegisterRequest, SchedulerCall, StatusRequest } from "../../../schemas/index.ts";
import { parseOperatorCall } from "../../../schemas/operator.ts";
import { ValidationError } from "../../../schemas/parse.ts";
import { STRATA_VERSION as VERSION } from "../../../sdk/src/version.ts";
import { type MasterConfig, operatorAccessOf, readConfig } from "../model/config.ts";
import { checkOperatorOnly } from "../model/operator-access.ts";
import { authenticateAgent, authenticatePrincipal } from "./auth.ts";
import { errorResponse, HttpError, rejectionResponse, validationRejection } from "./http-error.ts";
import type { InternalRequest, RejectedAccept } from "./internal-request.ts";
import { MAX_JSON_DEPTH, nestedDeeperThan, readJsonBody, readText } from "./read-body.ts";
import { READ_PRINCIPAL_HEADER } from "./read-routes.ts";

type Env = Record<string, unknown> & { MASTER: DurableObjectNamespace; SERVICES?: DurableObjectNamespace };

/** The one master in the world: a single named object. */
const masterStub = (env: Env) => env.MASTER.get(env.MASTER.idFromName("master"));

function forward(env: Env, request: Request, path: string, msg?: Omit<InternalRequest, "origin">): Promise<Response> {
  const origin = new URL(request.url).origin;
  return masterStub(env).fetch(
    `https://master${path}`,
    msg ? { method: "POST", body: JSON.stringify({ ...msg, origin }), headers: { "content-type": "application/json" } } : { method: "GET" },
  );
}

let cached: { env: unknown; config: MasterConfig } | undefined;
const configOf = (env: Env) => (cached?.env === env ? cached.config : (cached = { env, config: readConfig(env) }).config);

/** The request's body as JSON, within the size (`STRATA_MAX_BODY_BYTES`) and depth limits. */
const readJson = (request: Request, env: Env) => readJsonBody(request, configOf(env).maxBodyBytes);

const router = Router<Request, [Env]>();

router.post("/api/v1/scheduler", async (request, env) => {
  const config = configOf(env);
  const principal = await authenticatePrincipal(request, config, config.authenticateFrameworks);
  const accept = request.headers.get("accept");
  if (accept && !/application\/json|\*\/\*/.test(accept)) throw new HttpError(406, "Accept: only application/json is supported");
  const raw = await readJson(request, env);
  const streamId = request.headers.get("mesos-stream-id");
  let call: SchedulerCall;
  try {
    call = parseMessage(SchedulerCall, raw);
  } catch (err) {
    const rejected = err instanceof ValidationError ? malformedAccept(raw, err) : undefined;
    if (!rejected) throw err;
    // The object answers the refusal once it has released the offers (as for any refused ACCEPT);
    // should it not answer, the refusal is still the client's answer.
    return forward(env, request, "/scheduler/rejected-accept", { principal, streamId, body: rejected }).catch(() => {
      throw err;
    });
  }
  return forward(env, request, "/scheduler", { principal, streamId, body: call });
});

/**
 * An ACCEPT refused as malformed still lets go of the offers it names, as one the master refuses
 * does, so their resources are offered again instead of staying with a framework that believes
 * it used them: what the object needs for that (the framework id and the offer ids that can be
 * read), or undefined when `raw` is no ACCEPT naming both.
 */
function malformedAccept(raw: unknown, err: ValidationError): RejectedAccept | undefined {
  const call = raw as { type?: unknown; framework_id?: { value?: unknown }; accept?: { offer_ids?: unknown } } | null;
  const ids = Array.isArray(call?.accept?.offer_ids) ? call.accept.offer_ids : [];
  const offerIds = ids.map((o) => (o as { value?: unknown } | null)?.value).filter((v): v is string => typeof v === "string" && v !== "");
  if (call?.type !== "ACCEPT" || typeof call.framework_id?.value !== "string" || offerIds.length === 0) return undefined;
  return { frameworkId: call.framework_id.value, offerIds, rejection: validationRejection(err) };
}

for (const [path, schema] of [
  ["register", RegisterRequest],
  ["poll", PollRequest],
  ["status", StatusRequest],
  ["files", FileAnswer],
] as const) {
  router.post(`/agent/v1/${path}`, async (request, env) => {
    await authenticateAgent(request, configOf(env));
    return forward(env, request, `/${path}`, { body: parseMessage(schema as z.ZodType, await readJson(request, env)) });
  });
}

/**
 * The operator behind a call: the one authentication path of operator calls (`POST /api/v1`) and
 * of the backup calls. `required` makes credentials mandatory even where operator calls may be
 * anonymous (STRATA_AUTHENTICATE_HTTP_READONLY off): a backup carries the whole state.
 */
const operatorPrincipal = (request: Request, env: Env, required = false) => {
  const config = configOf(env);
  return authenticatePrincipal(request, config, required || config.authenticateReadonly);
};

router.post("/api/v1", async (request, env) => {
  const principal = await operatorPrincipal(request, env);
  return forward(env, request, "/operator", { principal, body: parseOperatorCall(await readJson(request, env)) });
});

/**
 * Backups and point-in-time recovery (docs/backup.md), for operators only (in `permissive` mode
 * any authenticated principal, as for every operator call there): the
 * request goes to the object as it came (a restore's body is read there, once).
 */
const backupCall = (internal: string) => async (request: Request, env: Env) => {
  const principal = await operatorPrincipal(request, env, true);
  const denied = checkOperatorOnly(operatorAccessOf(configOf(env)), principal, `${request.method} ${new URL(request.url).pathname}`);
  if (denied) return rejectionResponse(denied);
  const query = new URL(request.url).search;
  const headers: Record<string, string> = {};
  for (const h of ["content-type", "content-length"]) {
    const v = request.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  return masterStub(env).fetch(`https://master${internal}${query}`, {
    method: request.method,
    headers,
    ...(request.method === "POST" ? { body: request.body } : {}),
  });
};
router.get("/master/backup", backupCall("/backup/export"));
router.post("/master/restore", backupCall("/backup/restore"));
router.get("/master/bookmark", backupCall("/backup/bookmark"));
router.post("/master/bookmark/restore", backupCall("/backup/bookmark/restore"));

/** Forwards a read endpoint (GET, with its query) to the object, naming the authenticated principal. */
const readOnly = (path: string) => async (request: Request, env: Env) => {
  const config = configOf(env);
  const principal = await authenticatePrincipal(request, config, config.authenticateReadonly);
  const query = new URL(request.url).search;
  return masterStub(env).fetch(`https://master${path}${query}`, {
    method: "GET",
    headers: principal !== undefined ? { [READ_PRINCIPAL_HEADER]: principal } : {},
  });
};
/** Mesos' read endpoints (with their `.json` spellings) → the object's internal read paths. */
const READ_ROUTES: Array<[string[], string]> = [
  [["/master/state", "/master/state.json", "/state", "/state.json"], "/state"],
  [["/master/state-summary", "/state-summary"], "/state-summary"],
  [["/master/frameworks", "/master/frameworks.json", "/frameworks"], "/frameworks"],
  [["/master/slaves", "/master/slaves.json", "/slaves"], "/slaves"],
  [["/master/tasks", "/master/tasks.json", "/tasks"], "/tasks"],
  [["/master/roles", "/master/roles.json", "/roles"], "/roles"],
  [["/master/flags", "/flags"], "/flags"],
  [["/monitor/statistics", "/monitor/statistics.json"], "/monitor/statistics"],
  [["/metrics/snapshot"], "/metrics"],
  [["/metrics"], "/metrics/prometheus"],
  [["/files/browse", "/files/browse.json"], "/files/browse"],
  [["/files/read", "/files/read.json"], "/files/read"],
];
/**
 * `/metrics` asked for as JSON alone (`Accept: application/json`, as Marathon clients send it) is
 * Marathon's metrics (the services framework's Dropwizard JSON); any other `Accept` (Prometheus's,
 * any type) gets the master's Prometheus text below. Marathon's are also at `/service/marathon/metrics`.
 */
router.get("/metrics", (request: Request, env: Env) =>
  /^application\/json\s*(;|,|$)/i.test(request.headers.get("accept") ?? "") && env.SERVICES ? servicesCall("")(request, env) : undefined,
);
for (const [paths, internal] of READ_ROUTES) for (const p of paths) router.get(p, readOnly(internal));
/**
 * Marathon's REST API (the services framework, docs/services.md) at `/v2/…` and `/ping`, and as
 * DC/OS serves it at `/service/marathon/…`: authenticated as operator calls are, then the request
 * goes to the services object as it came (its body as text, within the body limits, and its
 * `Accept`), naming the origin the client reached and the client's address.
 */
const servicesCall = (prefix: string) => async (request: Request, env: Env) => {
  await operatorPrincipal(request, env);
  if (!env.SERVICES) throw new HttpError(404, "the services framework is not deployed with this Worker (no SERVICES binding)");
  const url = new URL(request.url);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const body = hasBody ? await readText(request, configOf(env).maxBodyBytes, "STRATA_MAX_BODY_BYTES") : undefined;
  if (body !== undefined && nestedDeeperThan(body, MAX_JSON_DEPTH)) throw new HttpError(400, `body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  const stub = env.SERVICES.get(env.SERVICES.idFromName("marathon"));
  return stub.fetch(`https://services${url.pathname.slice(prefix.length)}${url.search}`, {
    method: request.method,
    headers: {
      [SERVICES_ORIGIN_HEADER]: url.origin,
      [SERVICES_CLIENT_HEADER]: request.headers.get("cf-connecting-ip") ?? "unknown",
      "content-type": request.headers.get("content-type") ?? "application/json",
      accept: request.headers.get("accept") ?? "application/json",
    },
    ...(body !== undefined ? { body } : {}),
  });
};
for (const prefix of ["", "/service/marathon"]) {
  router.all(`${prefix}/v2/*`, servicesCall(prefix));
  router.get(`${prefix}/ping`, servicesCall(prefix));
}
router.get("/service/marathon/metrics", servicesCall("/service/marathon"));
router.get("/master/health", () => new Response(null, { status: 200 }));
router.get("/health", () => new Response(null, { status: 200 }));
router.get("/version", () => Response.json({ version: VERSION, build: "strata" }));
router.all("*", (request) => new Response(`No route for ${request.method} ${new URL(request.url).pathname}\n`, { status: 404 }));

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return (await router.fetch(request, env)) as Response;
    } catch (err) {
      return errorResponse(err);
    }
  },
};
