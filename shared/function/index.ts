// The function framework's public surface.
export * from "./types.js";
export * from "./audit.js";
export { createFunctionApp, createFunctionHandler, type FunctionDeps, type FunctionHandler } from "./app.js";
export { createFunctionHost, type FunctionHost, type FunctionHostOptions } from "./host.js";
export { readObjectEvent, RequestProblem, DEFAULT_MAX_BODY_BYTES } from "./incoming.js";
export { recordingGateway } from "./recording-gateway.js";
export { startFunctionServer, type FunctionServer, type FunctionServerOptions } from "./server.js";
