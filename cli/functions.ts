// Every snapflow function, for `snapflow functions` and `snapflow up`. Function authors: add one
// import and one entry each.
import type { SnapflowFunction } from "../shared/function/types.js";
import { bindFunction } from "../functions/bind/index.js";
import { invokeFunction } from "../functions/invoke/index.js";
import { protectFunction } from "../functions/protect/index.js";
import { deleteFunction } from "../functions/delete/index.js";
import { provisionFunction } from "../functions/provision/index.js";
import { expandFunction } from "../functions/expand/index.js";
import { fanoutFunction } from "../functions/fanout/index.js";

export const allFunctions: SnapflowFunction[] = [
  bindFunction,
  invokeFunction,
  protectFunction,
  deleteFunction,
  provisionFunction,
  expandFunction,
  fanoutFunction,
];
