export * from "./subjects.js";
export * from "./streams.js";
export * from "./consumers.js";
export * from "./connect.js";
