export { default } from "./worker.ts";
export { ClusterMaster } from "./cluster-master.ts";
