/**
 * Marathon's task ids and names (mesosphere/marathon core/instance/Instance.scala `Instance.Id`,
 * core/task/Task.scala `Task.Id`, state/PathId.scala `safePath`, `toHostname`): an app's instance
 * is `<safe path>.instance-<uuid>` and its task `<instance>._app.<incarnation>`, so clients that
 * read the app from a task id (everything before `.instance-`) keep working.
 */

/** The app id as task ids carry it: no leading slash, `/` as `_` (`/prod/web` → `prod_web`). */
export const safePath = (appId: string): string => appId.replace(/^\/+/, "").replace(/\//g, "_");

/** A task's id for a new instance of `appId` (`uuid` from the caller: randomness is an input). */
export const newTaskId = (appId: string, uuid: string): string => `${safePath(appId)}.instance-${uuid}._app.1`;

/** The task name Marathon sets: the app id's names reversed and joined by dots (`/prod/web` → `web.prod`). */
export const taskName = (appId: string): string => appId.split("/").filter(Boolean).reverse().join(".");

/** The instance id of a task (`<safe path>.instance-<uuid>`): its id without `._app.<incarnation>`. */
export const instanceIdOf = (taskId: string): string => taskId.replace(/\._app\.\d+$/, "");
