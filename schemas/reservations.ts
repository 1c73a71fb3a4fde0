/**
 * Operator API calls for dynamic reservations and persistent volumes
 * (`include/mesos/v1/master/master.proto`): RESERVE_RESOURCES, UNRESERVE_RESOURCES,
 * CREATE_VOLUMES, DESTROY_VOLUMES, each naming one agent. Listed in `OPERATOR_CALL_SCHEMAS`.
 */
import { z } from "zod";
import { resourceList } from "./bounded.ts";
import { AgentID, Resource } from "./mesos.ts";

const resources = resourceList(Resource);

export const ReserveResourcesCall = z.object({
  type: z.literal("RESERVE_RESOURCES"),
  reserve_resources: z.object({ agent_id: AgentID, resources }),
});
export const UnreserveResourcesCall = z.object({
  type: z.literal("UNRESERVE_RESOURCES"),
  unreserve_resources: z.object({ agent_id: AgentID, resources }),
});
export const CreateVolumesCall = z.object({
  type: z.literal("CREATE_VOLUMES"),
  create_volumes: z.object({ agent_id: AgentID, volumes: resources }),
});
export const DestroyVolumesCall = z.object({
  type: z.literal("DESTROY_VOLUMES"),
  destroy_volumes: z.object({ agent_id: AgentID, volumes: resources }),
});
export type ReserveResourcesCall = z.infer<typeof ReserveResourcesCall>;
export type UnreserveResourcesCall = z.infer<typeof UnreserveResourcesCall>;
export type CreateVolumesCall = z.infer<typeof CreateVolumesCall>;
export type DestroyVolumesCall = z.infer<typeof DestroyVolumesCall>;

/** The calls by type, for `OPERATOR_CALL_SCHEMAS`. */
export const RESERVATION_CALL_SCHEMAS = {
  RESERVE_RESOURCES: ReserveResourcesCall,
  UNRESERVE_RESOURCES: UnreserveResourcesCall,
  CREATE_VOLUMES: CreateVolumesCall,
  DESTROY_VOLUMES: DestroyVolumesCall,
};
