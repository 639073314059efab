// invoke: the csi-snapshotter sidecar's role as a function (DESIGN: Functions).
import type { SnapflowFunction } from "../../shared/function/types.js";
import { executeInvoke } from "./execute.js";

export const invokeFunction: SnapflowFunction = {
  name: "invoke",
  // Events name the driver's sidecar, as upstream's do; each step sets its own component.
  component: "csi-snapshotter",
  resources: ["volumesnapshotcontents"],
  reconcile: (ctx) => executeInvoke(ctx),
};

export default invokeFunction;
