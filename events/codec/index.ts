export * from "./cloudevent.js";
export * from "./percent.js";
export * from "./structured.js";
export * from "./binary.js";
export * from "./nats.js";
export * from "./http.js";
export * from "./forward.js";
