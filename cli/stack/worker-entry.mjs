// Entry of the function worker child (cli/stack/function-worker.ts): TypeScript through tsx's loader,
// resolved from this file's location so the child starts from any working directory.
import { register } from "tsx/esm/api";

register();
await import("./function-worker.ts");
