/**
 * The cluster-wide allocation settings: role weights (UPDATE_WEIGHTS) and quotas (UPDATE_QUOTA)
 * kept as master settings (`{ kind: "setting" }` effects, `view.settings`), and the sorter
 * chosen by `STRATA_ALLOCATOR_SORTER`. One place that names the setting keys and their shapes,
 * for the operator calls that write them and the allocation step that reads them.
 */

import type { AllocatorSorterName, RoleQuota } from "../allocator/index.ts";
import type { MasterView } from "./view.ts";

/** Setting key of the role weights: `{ [role]: weight }` (roles without an entry weigh 1). */
export const WEIGHTS_SETTING = "weights";
/** Setting key of the quotas: `{ [role]: { guarantees, limits } }`, scalar quantities by resource name. */
export const QUOTA_SETTING = "quota";

/** Role → weight, as stored. */
export type WeightsSetting = Readonly<Record<string, number>>;
/** Role → quota, as stored. */
export type QuotaSetting = Readonly<Record<string, RoleQuota>>;

/** What the allocation step reads besides the records (optional, so a bare view is a cluster with no settings). */
export type AllocationSettingsView = Partial<Pick<MasterView, "settings">> & { readonly config?: { readonly allocatorSorter?: AllocatorSorterName } };

/** The stored weights (an empty object when none were set). */
export const storedWeights = (view: AllocationSettingsView): WeightsSetting => (view.settings?.get(WEIGHTS_SETTING) as WeightsSetting | undefined) ?? {};

/** The stored quotas (an empty object when none were set). */
export const storedQuotas = (view: AllocationSettingsView): QuotaSetting => (view.settings?.get(QUOTA_SETTING) as QuotaSetting | undefined) ?? {};

/** The settings of one allocation run; `weights`/`quotas` undefined when none are set. */
export function allocationSettings(view: AllocationSettingsView): { weights?: WeightsSetting; quotas?: QuotaSetting; sorter: AllocatorSorterName } {
  const weights = storedWeights(view),
    quotas = storedQuotas(view);
  return {
    ...(Object.keys(weights).length > 0 ? { weights } : {}),
    ...(Object.keys(quotas).length > 0 ? { quotas } : {}),
    sorter: view.config?.allocatorSorter ?? "drf",
  };
}
