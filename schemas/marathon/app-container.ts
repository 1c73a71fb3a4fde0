/**
 * An app's container, networks, ports and volumes as Marathon reads them (mesosphere/marathon,
 * docs/docs/rest-api/public/api/v2/types/appContainer.raml, network.raml, volumes.raml,
 * portDefinitions.raml): raw shapes, no defaults (app-defaults.ts fills them).
 */
import { z } from "zod";
import { freeText, list, nameText } from "../bounded.ts";
import { anyPort, int64, kvLabels, legacyName, marathonEnum, shortName } from "./marathon-types.ts";

/** `strings.NetworkProtocol` of a port: tcp, udp or both. */
export const NetworkProtocol = marathonEnum(["tcp", "udp", "udp,tcp"] as const);

/** `ContainerPortMapping`: a container port mapped onto a host port and a service port. */
export const PortMapping = z.object({
  containerPort: anyPort().optional(),
  hostPort: anyPort().optional(),
  labels: kvLabels().optional(),
  name: legacyName().optional(),
  protocol: NetworkProtocol.optional(),
  servicePort: anyPort().optional(),
});
export type PortMapping = z.output<typeof PortMapping>;

/** `PortDefinition`: a host port of a host-networked app (0: any port of the offer). */
export const PortDefinition = z.object({
  port: anyPort().optional(),
  labels: kvLabels().optional(),
  name: legacyName().optional(),
  protocol: NetworkProtocol.optional(),
});
export type PortDefinition = z.output<typeof PortDefinition>;

/** `Network`: host, a named container network, or the container bridge. */
export const Network = z.object({
  name: shortName().optional(),
  mode: marathonEnum(["container", "container/bridge", "host"] as const).optional(),
  labels: kvLabels().optional(),
});
export type Network = z.output<typeof Network>;

/** `PersistentVolume`: a local persistent volume (size in MiB) of a resident app. */
export const PersistentVolume = z.object({
  type: marathonEnum(["root", "path", "mount"] as const).optional(),
  size: int64(0),
  maxSize: int64(0).optional(),
  constraints: list(list(freeText())).optional(),
});

/** `AppVolume`: a host path, a persistent volume or (refused here) an external volume. */
export const AppVolume = z.object({
  containerPath: z.string().min(1).max(4096),
  hostPath: z.string().min(1).max(4096).optional(),
  persistent: PersistentVolume.optional(),
  external: z.object({}).optional(),
  mode: marathonEnum(["RO", "RW"] as const),
});
export type AppVolume = z.output<typeof AppVolume>;

/** `DockerParameter`: a `docker run` option. */
const DockerParameter = z.object({ key: nameText().min(1), value: freeText() });

/** `DockerContainer`: the image and how to run it. */
export const DockerContainer = z.object({
  image: freeText().min(1),
  forcePullImage: z.boolean().optional(),
  privileged: z.boolean().optional(),
  parameters: list(DockerParameter).optional(),
  network: marathonEnum(["BRIDGE", "HOST", "NONE", "USER"] as const).optional(),
  portMappings: list(PortMapping).optional(),
  credential: z.object({ principal: nameText(), secret: freeText().optional() }).optional(),
});

/** `Container`: the engine (MESOS or DOCKER; DOCKER when not given), its image, ports and volumes. */
export const Container = z.object({
  type: marathonEnum(["MESOS", "DOCKER"] as const).optional(),
  docker: DockerContainer.optional(),
  appc: z.object({}).optional(),
  volumes: list(AppVolume).optional(),
  portMappings: list(PortMapping).optional(),
});
export type ContainerInput = z.output<typeof Container>;
