export * from "./deliver.js";
export * from "./classify.js";
export * from "./dispatcher.js";
