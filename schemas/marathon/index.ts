/** Marathon's app definition (REST API v2) for the built-in services framework: schemas, defaults, rules, merge and answer. */
export * from "./app-container.ts";
export * from "./app-defaults.ts";
export * from "./app-definition.ts";
export * from "./app-id.ts";
export * from "./app-input.ts";
export * from "./app-json.ts";
export * from "./app-update.ts";
export * from "./app-validation.ts";
export * from "./health-checks.ts";
export * from "./marathon-error.ts";
export * from "./marathon-types.ts";
export * from "./parse-app.ts";
export * from "./query-boolean.ts";
export * from "./shape-errors.ts";
