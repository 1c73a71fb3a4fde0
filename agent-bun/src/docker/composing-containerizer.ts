/**
 * The agent's containerizer when Docker is enabled (`--containerizers=mesos,docker`, as Mesos'
 * composing containerizer): DOCKER tasks go to the Docker containerizer, all others to the
 * process containerizer; a task of an earlier agent run goes to the one that started it (its
 * record names a Docker container or not).
 */

import type { Container, Containerizer, LaunchSpec } from "../containerizers/containerizer.ts";
import type { TaskRecord } from "../state/checkpoint.ts";
import type { DockerContainerizer } from "./docker-containerizer.ts";

/** Process tasks and DOCKER tasks, each to its own containerizer. */
export class ComposingContainerizer implements Containerizer {
  readonly runsDocker = true;
  readonly description: string;

  constructor(
    private readonly processes: Containerizer,
    private readonly docker: DockerContainerizer,
  ) {
    this.description = `${processes.description}; ${docker.description}`;
  }

  prepare(spec: LaunchSpec): Promise<void> {
    return this.pick(spec).prepare(spec);
  }

  launch(spec: LaunchSpec): Promise<Container> {
    return this.pick(spec).launch(spec);
  }

  destroyOrphan(record: TaskRecord): Promise<void> {
    return record.docker_container ? this.docker.destroyOrphan(record) : this.processes.destroyOrphan(record);
  }

  /**
   * Re-attaches to a task of an earlier agent run after a restart: a DOCKER task's container
   * (`DockerContainerizer.recover`), a process task through its executor (the process
   * containerizer's `recover`); undefined when it is gone.
   */
  recover(record: TaskRecord): Promise<Container | undefined> {
    if (record.docker_container) return this.docker.recover(record);
    return this.processes.recover ? this.processes.recover(record) : Promise.resolve(undefined);
  }

  private pick(spec: LaunchSpec): Containerizer {
    return spec.task.container?.type === "DOCKER" ? this.docker : this.processes;
  }
}
