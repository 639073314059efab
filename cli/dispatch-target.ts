// How the dispatcher is told about a function: one mapping for every place that starts a dispatcher
// (`snapflow up` in process or in its worker, `snapflow dispatch`), so what a function declares about
// its events (resources, verb filter) reaches each of them alike.
import type { FunctionTarget } from "../events/dispatcher/index.js";
import type { SnapflowFunction } from "../shared/function/types.js";

export function dispatchTarget(fn: SnapflowFunction, url: string, extra: Omit<FunctionTarget, "name" | "resources" | "verbs" | "url"> = {}): FunctionTarget {
  return { name: fn.name, resources: fn.resources, ...(fn.verbs ? { verbs: fn.verbs } : {}), url, ...extra };
}
