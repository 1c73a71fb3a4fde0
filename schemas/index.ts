export * from "./agent.ts";
export * from "./mesos.ts";
export * from "./parse.ts";
export * from "./scheduler.ts";
