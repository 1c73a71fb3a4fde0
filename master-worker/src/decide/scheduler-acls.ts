/**
 * The ACLs the scheduler API checks (Mesos' docs/authorization.md):
 * - `register_frameworks`: the framework's principal × each role it subscribes with; SUBSCRIBE
 *   and UPDATE_FRAMEWORK are refused (forbidden) naming the role.
 * - `run_tasks`: the framework's principal × the user a task runs as (`command.user`, else
 *   `framework_info.user`); an unauthorized task is answered TASK_ERROR with
 *   REASON_TASK_UNAUTHORIZED, as Mesos' master does, and the others of the ACCEPT go on.
 * (`teardown_frameworks` guards the operator's TEARDOWN: operator/agent-calls.ts.)
 */
import type { FrameworkInfo, TaskInfo } from "../../../schemas/index.ts";
import { frameworkRoles } from "../allocator/index.ts";
import { checkAuthorized } from "../model/authorizer.ts";
import { hasCapability } from "../model/capabilities.ts";
import type { Rejection } from "../model/rejection.ts";
import type { FrameworkRecord } from "../store/records.ts";
import type { MasterView } from "./view.ts";

/** A `forbidden` refusal unless `principal` may register with every role of `info`; `field` names the call's framework_info. */
export function checkRegisterAuthorized(view: MasterView, info: FrameworkInfo, principal: string | undefined, field: string): Rejection | undefined {
  if (view.acls.permissive) return undefined;
  const multi = hasCapability(info, "MULTI_ROLE");
  for (const [i, role] of frameworkRoles(info).entries()) {
    const refused = checkAuthorized(view.acls, "register_frameworks", principal, role, multi ? `${field}.roles[${i}]` : `${field}.role`);
    if (refused) return refused;
  }
  return undefined;
}

/** Why `task` may not run for `framework` (run_tasks ACL), or undefined when it may. */
export function runTaskDenied(view: MasterView, framework: FrameworkRecord, task: TaskInfo): string | undefined {
  if (view.acls.permissive) return undefined;
  const user = task.command?.user ?? framework.info.user;
  const principal = framework.principal;
  if (view.acls.allows("run_tasks", principal, user)) return undefined;
  return `principal '${principal ?? "(anonymous)"}' is not authorized to run tasks as user '${user}'`;
}
