/**
 * What each framework holds (its tasks and outstanding offers), in all and by the role it is
 * allocated to, kept up to date by the allocation input cache as uses come and go: the figures
 * DRF shares and quota read (`FrameworkEntry.held` is the same map).
 */
import type { Resource } from "../../../schemas/index.ts";
import { HeldResources } from "../allocator/index.ts";
import { ALL, type HeldByRole, useRole } from "./allocation-entries.ts";

/** What each framework holds; see the file comment. */
export class HeldLedger {
  private readonly byFramework = new Map<string, HeldByRole>();

  /** What `frameworkId` holds, by role (`ALL`: in all); made empty when first asked for. */
  of(frameworkId: string): HeldByRole {
    let held = this.byFramework.get(frameworkId);
    if (!held) this.byFramework.set(frameworkId, (held = new Map([[ALL, new HeldResources()]])));
    return held;
  }

  /** Adds (1) or takes away (−1) what a use holds, under its framework's total and under the role it is allocated to. */
  hold(frameworkId: string, all: readonly Resource[], sign: 1 | -1): void {
    const held = sign === 1 ? this.of(frameworkId) : this.byFramework.get(frameworkId);
    if (!held) return;
    // Revocable resources (oversubscription.ts) count against no quota (Mesos' quota is of
    // non-revocable resources) nor in DRF shares (the pool they would be shares of holds none);
    // oversubscription shares them out itself.
    const resources = all.some((r) => r.revocable !== undefined) ? all.filter((r) => r.revocable === undefined) : all;
    if (resources.length === 0) return;
    const role = useRole(resources);
    let byRole = held.get(role);
    if (!byRole) held.set(role, (byRole = new HeldResources()));
    if (sign === 1) {
      held.get(ALL)!.add(resources);
      byRole.add(resources);
    } else {
      held.get(ALL)!.remove(resources);
      byRole.remove(resources);
    }
  }
}
