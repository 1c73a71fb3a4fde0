export { default } from "./edge/worker.ts";
export { ClusterMaster } from "./shell/cluster-master.ts";
