/**
 * Marathon's `App` (mesosphere/marathon, docs/docs/rest-api/public/api/v2/types/app.raml) as it is
 * sent: every field optional but `id`, with its types, minimums and patterns, and no defaults
 * (app-defaults.ts fills them; `AppUpdate` is the same with `id` optional too). Every string, list
 * and map is bounded (../bounded.ts). Unknown fields are dropped, as Marathon's readers ignore them.
 */
import { z } from "zod";
import { boundedRecord, freeText, list, nameText } from "../bounded.ts";
import { Container, Network, PortDefinition } from "./app-container.ts";
import { HealthCheckInput, ReadinessCheckInput } from "./health-checks.ts";
import { anyPort, int32, int64, kvLabels, marathonEnum, nameList, uriText } from "./marathon-types.ts";

/** `strings.PathId`: names of lowercase letters, digits, dashes and dots, separated by slashes. */
export const PATH_ID_PATTERN = /^(\/?((\.{2})|([a-z0-9][a-z0-9\-.]*[a-z0-9]+)|([a-z0-9]*))($|\/))+$/;

/** An app or group id as sent (absolute or relative; app-id.ts makes it canonical). */
export const PathIdText = () => nameText().min(1).regex(PATH_ID_PATTERN);

/** `artifact.Artifact`: a URI the fetcher downloads into the sandbox. */
export const Artifact = z.object({
  uri: uriText(),
  extract: z.boolean().optional(),
  executable: z.boolean().optional(),
  cache: z.boolean().optional(),
  destPath: uriText().optional(),
});

/** An environment variable's value: text, or a reference to a secret (`{"secret": "name"}`). */
export const EnvValue = z.union([freeText(), z.object({ secret: nameText() })]);

/** `UnreachableStrategy`: `"disabled"`, or when to replace (inactive) and forget (expunge) an unreachable instance. */
export const UnreachableStrategyInput = z.union([
  z.literal("disabled"),
  z.object({ inactiveAfterSeconds: int64(0).optional(), expungeAfterSeconds: int64(0).optional() }),
]);

/** `UpgradeStrategy`: the share of instances kept healthy and the share launched above the count during a deployment. */
export const UpgradeStrategy = z.object({
  maximumOverCapacity: z.number().min(0).max(1),
  minimumHealthCapacity: z.number().min(0).max(1),
});
export type UpgradeStrategy = z.output<typeof UpgradeStrategy>;

/** `AppResidency`: how a resident app (with persistent volumes) treats a lost instance. */
export const Residency = z.object({
  relaunchEscalationTimeoutSeconds: int64(0).optional(),
  taskLostBehavior: marathonEnum(["WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT"] as const).optional(),
});

/** Every field of an app definition, all optional (the `AppUpdate` shape). */
const appFields = {
  id: PathIdText().optional(),
  acceptedResourceRoles: nameList().optional(),
  args: list(freeText()).optional(),
  backoffFactor: z.number().min(1).optional(),
  backoffSeconds: int32(0).optional(),
  cmd: freeText().min(1).optional(),
  constraints: list(list(freeText()).min(2).max(3)).optional(),
  container: Container.optional(),
  cpus: z.number().min(0.001).optional(),
  dependencies: list(PathIdText()).optional(),
  disk: z.number().min(0).optional(),
  env: boundedRecord(z.string(), EnvValue).optional(),
  executor: nameText()
    .regex(/^(?:\/\/cmd|\/?[^/]+(?:\/[^/]+)*|)$/)
    .optional(),
  fetch: list(Artifact).optional(),
  healthChecks: list(HealthCheckInput).optional(),
  instances: int32(0).optional(),
  labels: kvLabels().optional(),
  maxLaunchDelaySeconds: int32(0).optional(),
  mem: z.number().min(0).optional(),
  gpus: int32(0).optional(),
  ipAddress: z.object({}).optional(),
  networks: list(Network).optional(),
  ports: list(anyPort()).optional(),
  portDefinitions: list(PortDefinition).optional(),
  readinessChecks: list(ReadinessCheckInput).optional(),
  residency: Residency.optional(),
  requirePorts: z.boolean().optional(),
  secrets: boundedRecord(z.string(), z.object({ source: freeText() })).optional(),
  storeUrls: list(freeText().min(1)).optional(),
  taskKillGracePeriodSeconds: int32(0).optional(),
  upgradeStrategy: UpgradeStrategy.optional(),
  uris: list(uriText()).optional(),
  user: nameText().optional(),
  version: nameText().optional(),
  killSelection: marathonEnum(["YOUNGEST_FIRST", "OLDEST_FIRST"] as const).optional(),
  unreachableStrategy: UnreachableStrategyInput.optional(),
  role: nameText().optional(),
};

/** `AppUpdate`: the body of PUT and PATCH `/v2/apps/{id}` (every field optional). */
export const AppUpdateInput = z.object(appFields);
export type AppUpdateInput = z.output<typeof AppUpdateInput>;

/** `App`: the body of POST `/v2/apps` (`id` required). */
export const AppInput = z.object({ ...appFields, id: PathIdText() });
export type AppInput = z.output<typeof AppInput>;
