// Deployment descriptor (serverless.yml) and the manifest renderers.
export * from "./descriptor.js";
export { renderDeployment, renderStream, writeRendered, TARGETS, type Target, type RenderOptions } from "./render.js";
export type { RenderedFile } from "./manifests.js";
