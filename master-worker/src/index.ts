export { default } from "./edge/worker.ts";
export { ClusterMaster } from "./shell/cluster-master.ts";
export { ServicesFramework } from "./shell/services-framework.ts";
