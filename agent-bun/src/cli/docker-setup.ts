/**
 * Wires the Docker containerizer in when `--containerizers` names docker: main.ts's one call.
 * The engine is not required at start (it may come up later); a DOCKER task launched while
 * it is unreachable fails with that message.
 */

import type { Containerizer } from "../containerizers/containerizer.ts";
import { ComposingContainerizer } from "../docker/composing-containerizer.ts";
import { DockerClient } from "../docker/docker-client.ts";
import { DockerContainerizer } from "../docker/docker-containerizer.ts";
import type { Logger } from "../system/log.ts";
import type { AgentFlags } from "./agent-flags.ts";

/** `processes` alone, or composed with a Docker containerizer on `flags.dockerSocket` (persistent volumes under `workDir`). */
export function withDocker(processes: Containerizer, flags: Pick<AgentFlags, "containerizers" | "dockerSocket">, log: Logger, workDir: string): Containerizer {
  if (!flags.containerizers.includes("docker")) return processes;
  return new ComposingContainerizer(processes, new DockerContainerizer(new DockerClient(flags.dockerSocket), log, workDir));
}
