"""Marathon's Python client (thefactory's marathon-python, unmodified) against a Strata master.

Usage: python3 python-flow.py URL USERNAME PASSWORD APP_ID
Creates an app (sleep), waits for its task, scales it to 2, restarts it, kills one task with
kill_task and another with kill_given_tasks (scale=True), lists tasks, reads the event stream
until a status_update_event arrives, deletes the app, and prints a JSON summary of each step.
"""

import json
import sys
import threading
import time

from marathon import MarathonApp, MarathonClient
from marathon.models.app import MarathonHealthCheck
from marathon.exceptions import NotFoundError

url, username, password, app_id = sys.argv[1:5]
client = MarathonClient(url, username=username, password=password, timeout=15)
summary = {"steps": []}
events = []
status_event = threading.Event()


def step(name, **result):
    summary["steps"].append({"step": name, **result})


def read_events():
    """Reads (and parses) every event until the process ends (the thread is a daemon)."""
    try:
        for event in client.event_stream():
            events.append(event.event_type)
            if event.event_type == "status_update_event" and getattr(event, "app_id", "") == "/" + app_id:
                summary.setdefault("statusUpdateEvent", {"taskStatus": event.task_status, "taskId": event.task_id, "appId": event.app_id})
                status_event.set()
    except Exception as e:  # reported, not swallowed: the test asserts the event arrived
        summary["eventStreamError"] = repr(e)
        status_event.set()


def until(check, seconds, what):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise RuntimeError("timed out waiting for " + what)


def running_ids():
    return sorted(t.id for t in client.list_tasks(app_id) if t.state == "TASK_RUNNING")


try:
    summary["ping"] = client.ping().decode() if isinstance(client.ping(), bytes) else client.ping()
    reader = threading.Thread(target=read_events, daemon=True)
    reader.start()
    time.sleep(0.5)

    health = MarathonHealthCheck(protocol="COMMAND", command="true", interval_seconds=1, grace_period_seconds=30)
    created = client.create_app(app_id, MarathonApp(cmd="sleep 600", instances=1, cpus=0.1, mem=32, health_checks=[health]))
    step("create", id=created.id, instances=created.instances)
    # The creation is a deployment that holds the app until its task is healthy (Marathon's lock): wait for it to end.
    first = until(lambda: client.get_app(app_id).tasks_running == 1 and not client.list_deployments() and running_ids(), 60, "1 running task, the creation's deployment done")
    step("running", tasks=first)

    scaled = client.scale_app(app_id, instances=2)
    step("list_deployments", ids=[d.id for d in client.list_deployments()])
    step("list_queue", count=len(client.list_queue()))
    two = until(lambda: len(running_ids()) == 2 and not client.list_deployments() and running_ids(), 60, "2 running tasks, the scale's deployment done")
    step("scale", deploymentId=scaled.get("deploymentId"), tasks=two, instances=client.get_app(app_id).instances)

    restarted = client.restart_app(app_id)
    step("list_deployments_restart", deployments=[{"id": d.id, "affectedApps": d.affected_apps} for d in client.list_deployments()])
    fresh = until(
        lambda: (ids := running_ids()) and len(ids) == 2 and not set(ids) & set(two) and not client.list_deployments() and ids,
        60,
        "2 new running tasks and the restart's deployment done",
    )
    step("restart", deploymentId=restarted.get("deploymentId"), version=restarted.get("version"), tasks=fresh)

    killed = client.kill_task(app_id, fresh[0])
    killed_id = killed.id if hasattr(killed, "id") else killed
    replaced = until(
        lambda: (ids := running_ids()) and len(ids) == 2 and fresh[0] not in ids and ids, 30, "a replacement of the killed task"
    )
    step("kill_task", killed=killed_id, tasks=replaced)

    ok = client.kill_given_tasks([replaced[0]], scale=True)
    left = until(lambda: (ids := running_ids()) and len(ids) == 1 and replaced[0] not in ids and ids, 30, "1 task after kill_given_tasks")
    step("kill_given_tasks", ok=ok, tasks=left, instances=client.get_app(app_id).instances)

    # The task left may be the replacement started a moment ago: wait for its health check to pass.
    until(lambda: client.get_app(app_id).tasks_healthy == 1, 60, "the task left to be healthy")
    embedded = client.get_app(app_id, embed_tasks=True, embed_counts=True, embed_deployments=True, embed_last_task_failure=True, embed_task_stats=True)
    step(
        "get_app_embedded",
        tasks=len(embedded.tasks),
        healthy=embedded.tasks_healthy,
        alive=[r.alive for t in embedded.tasks for r in t.health_check_results],
        lastTaskFailure=getattr(embedded.last_task_failure, "task_id", None),
    )
    step("list_apps_embedded", ids=[a.id for a in client.list_apps(embed_tasks=True, embed_counts=True, embed_failures=True)])
    info = client.get_info()
    step("info", frameworkName=info.name, version=info.version)
    versions = client.list_versions(app_id)
    oldest = client.get_version(app_id, versions[-1])
    step("versions", count=len(versions), newestFirst=versions == sorted(versions, reverse=True), oldestInstances=oldest.instances, oldestCmd=oldest.cmd)
    step("leader", leader=client.get_leader().get("leader"))
    step("metrics", apps=client.get_metrics()["gauges"]["marathon.apps.active.gauge"]["value"])
    # An app no offer fits waits in the queue: its item, with the offers it could not use, parses.
    client.create_app(app_id + "-waits", MarathonApp(cmd="sleep 600", instances=1, cpus=1000, mem=32, labels={"tier": "waits"}))
    step("list_apps_label", ids=[a.id for a in client.list_apps(label="tier==waits")], none=[a.id for a in client.list_apps(label="tier notin (waits)")])
    item = until(
        lambda: [q for q in client.list_queue(embed_last_unused_offers=True) if q.app.id == "/" + app_id + "-waits" and q.last_unused_offers],
        30,
        "the waiting app's queue item with unused offers",
    )[0]
    step("list_queue_waiting", count=item.count, unusedOffers=len(item.last_unused_offers), reasons=sorted({r for o in item.last_unused_offers for r in o["reason"]}))
    client.delete_app(app_id + "-waits", force=True)  # its creation's deployment waits for an offer that fits

    host = client.list_tasks(app_id)[0].host
    killed_on_host = client.kill_tasks(app_id, host=host)
    step("kill_tasks_host", killed=[t.id for t in killed_on_host], before=left)
    until(lambda: (ids := running_ids()) and len(ids) == 1 and ids[0] not in left and ids, 30, "a replacement after kill_tasks")

    listed = client.list_tasks(app_id)
    step(
        "list_tasks",
        tasks=[{"id": t.id, "appId": t.app_id, "host": t.host, "state": t.state, "startedAt": str(t.started_at)} for t in listed],
    )
    all_tasks = client.list_tasks()
    step("list_all_tasks", count=len(all_tasks))

    status_event.wait(30)
    step("event_stream", received=status_event.is_set(), types=sorted(set(events)))

    deleted = client.delete_app(app_id)

    def gone():
        try:
            client.get_app(app_id)
            return False
        except NotFoundError:
            return True

    until(gone, 30, "the app to be deleted")
    step("delete", deploymentId=deleted.get("deploymentId"), gone=True, apps=[a.id for a in client.list_apps()])
    time.sleep(1)
    step("events_parsed", types=sorted(set(events)), error=summary.get("eventStreamError"))
except Exception as e:
    import traceback

    summary["error"] = repr(e)
    summary["traceback"] = traceback.format_exc()

print(json.dumps(summary, default=str))
