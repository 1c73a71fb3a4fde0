export * from "./mesos.ts";
export * from "./scheduler.ts";
export * from "./agent.ts";
export * from "./parse.ts";
