/**
 * The Docker `parameters` (docker run's long options) Strata's agent applies to a DOCKER task
 * (agent-bun/src/docker/docker-config.ts); a task with any other key fails its launch. Kept here,
 * below both, so that a framework (the services framework) can refuse such a definition up front.
 */
export const SUPPORTED_DOCKER_PARAMETERS = ["env", "label", "user", "workdir", "hostname", "entrypoint"] as const;
