// expand: external-resizer's role as a function (DESIGN: Functions) — ControllerExpandVolume for a
// bound claim whose storage request grew, then the new size on the PV and the claim.
import type { SnapflowFunction } from "../../shared/function/types.js";
import { executeExpand } from "./execute.js";

export const expandFunction: SnapflowFunction = {
  name: "expand",
  // Events name the driver's resizer, as upstream's do; each step sets its own component.
  component: "external-resizer",
  resources: ["persistentvolumeclaims"],
  reconcile: (ctx) => executeExpand(ctx),
};

export default expandFunction;
