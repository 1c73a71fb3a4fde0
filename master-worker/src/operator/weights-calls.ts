/**
 * Operator calls for role weights (Mesos docs/weights.md): UPDATE_WEIGHTS sets the weight of
 * each listed role (kept as the `weights` setting, read by the allocator: a role's share among
 * its siblings is divided by its weight); GET_WEIGHTS lists the roles with a weight set.
 * ACLs: `update_weights` (object: the role) and `view_roles` (GET_WEIGHTS shows only roles the
 * principal may view).
 */
import { jsonBytes, MAX_MESSAGE_BYTES, tooManyBytes } from "../../../schemas/field-limits.ts";
import type { UpdateWeightsCall } from "../../../schemas/weights.ts";
import { roleProblem } from "../../../sdk/src/roles.ts";
import { storedWeights, WEIGHTS_SETTING } from "../decide/allocation-settings.ts";
import type { Effect } from "../decide/effects.ts";
import type { MasterView } from "../decide/view.ts";
import { checkAuthorized } from "../model/authorizer.ts";
import { type Rejection, reject } from "../model/rejection.ts";
import { applied, type OperatorHandlers } from "./types.ts";

/** UPDATE_WEIGHTS: validates every entry, then replaces the weights setting with the listed roles changed. */
export function decideUpdateWeights(view: MasterView, call: UpdateWeightsCall, principal: string | undefined): Effect[] | Rejection {
  const infos = call.update_weights.weight_infos;
  const seen = new Set<string>();
  for (const [i, { role, weight }] of infos.entries()) {
    const field = `update_weights.weight_infos[${i}]`;
    const problem = roleProblem(role);
    if (problem) return reject("invalid", `${field}.role`, problem);
    if (seen.has(role)) return reject("invalid", `${field}.role`, `'${role}' is listed twice`);
    seen.add(role);
    if (!Number.isFinite(weight) || weight <= 0) return reject("invalid", `${field}.weight`, `must be a positive number, got ${weight}`);
  }
  for (const [i, { role }] of infos.entries()) {
    const refused = checkAuthorized(view.authorizer, "update_weights", principal, role, `update_weights.weight_infos[${i}].role`);
    if (refused) return refused;
  }
  const next: Record<string, number> = { ...storedWeights(view) };
  for (const { role, weight } of infos) next[role] = weight;
  // Weights add up over calls in one row: bound the row, not only the call.
  const bytes = jsonBytes(next);
  if (bytes > MAX_MESSAGE_BYTES)
    return reject("invalid", "update_weights.weight_infos", tooManyBytes(`the weights of all roles (${bytes} bytes with these)`, MAX_MESSAGE_BYTES));
  return [{ kind: "setting", key: WEIGHTS_SETTING, value: next }, { kind: "allocate" }];
}

/** GET_WEIGHTS: the weights set, for the roles the principal may view, by role name. */
export function getWeights(view: MasterView, principal: string | undefined): object {
  const weights = storedWeights(view);
  const weight_infos = Object.keys(weights)
    .sort()
    .filter((role) => view.authorizer.allows("view_roles", principal, role))
    .map((role) => ({ role, weight: weights[role]! }));
  return { type: "GET_WEIGHTS", get_weights: { weight_infos } };
}

/** The weight calls' handlers. */
export const weightsCalls: OperatorHandlers = {
  UPDATE_WEIGHTS: (core, call: UpdateWeightsCall, ctx) => applied(core, decideUpdateWeights(core, call, ctx.principal), ctx.now),
  GET_WEIGHTS: (core, _call, ctx) => getWeights(core, ctx.principal),
};
