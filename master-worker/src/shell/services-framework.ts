/**
 * The services framework (Strata's built-in Marathon, frameworks/services/) as this Worker
 * deploys it: its scheduler calls go through the Worker's own request handler, in process — the
 * same routing, authentication and validation as any framework's (`POST /api/v1/scheduler`),
 * never the master's internals — with the credentials of its principal in `STRATA_CREDENTIALS`.
 */
import { ServicesFrameworkObject } from "../../../frameworks/services/services-object.ts";
import type { Credentials } from "../../../sdk/src/auth.ts";
import worker from "../edge/worker.ts";
import { readConfig } from "../model/config.ts";

/** The Durable Object class wrangler.toml binds as SERVICES. */
export class ServicesFramework extends ServicesFrameworkObject {
  protected schedulerFetch(request: Request): Promise<Response> {
    return worker.fetch(request, this.env as Parameters<typeof worker.fetch>[1]);
  }

  protected credentialsFor(principal: string | undefined): Credentials | undefined {
    const credentials = readConfig(this.env).credentials;
    const name = principal ?? credentials.keys().next().value;
    const secret = name === undefined ? undefined : credentials.get(name);
    return name !== undefined && secret !== undefined ? { principal: name, secret } : undefined;
  }
}
