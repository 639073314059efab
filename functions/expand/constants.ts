// Names and texts of external-resizer (and of kube-apiserver's resize admission, which snapflow's
// expand function enforces itself), spelled as upstream spells them.

export const CONDITIONS = {
  resizing: "Resizing",
  fileSystemResizePending: "FileSystemResizePending",
  controllerResizeError: "ControllerResizeError",
  nodeResizeError: "NodeResizeError",
} as const;

/** Conditions the resizer owns; every other condition on a claim is left alone. */
export const RESIZE_CONDITIONS: ReadonlySet<string> = new Set(Object.values(CONDITIONS));

/** status.allocatedResourceStatuses["storage"] values (RecoverVolumeExpansionFailure). */
export const RESIZE_STATUS = {
  controllerInProgress: "ControllerResizeInProgress",
  controllerInfeasible: "ControllerResizeInfeasible",
  nodePending: "NodeResizePending",
} as const;

export const ANN_NODE_EXPANSION_NOT_REQUIRED = "volume.kubernetes.io/node-expansion-not-required";
/** kube-controller-manager's expand controller names the external resizer on the claim. */
export const ANN_STORAGE_RESIZER = "volume.kubernetes.io/storage-resizer";
/** source.component of kube-controller-manager's expand controller Events. */
export const EXPAND_CONTROLLER_COMPONENT = "volume_expand";

export const REASONS = {
  resizing: "Resizing",
  resizeFailed: "VolumeResizeFailed",
  resizeSucceeded: "VolumeResizeSuccessful",
  fileSystemResizeRequired: "FileSystemResizeRequired",
  externalExpanding: "ExternalExpanding",
} as const;

export function resizerComponent(driver: string): string {
  return `external-resizer ${driver}`;
}

export const MSG = {
  externalExpanding: "Ignoring the PVC: didn't find a plugin capable of expanding the volume; waiting for an external controller to process this PVC.",
  resizing: (pv: string) => `External resizer is resizing volume ${pv}`,
  succeeded: "Resize volume succeeded",
  fsResizeRequired: "Require file system resize of volume on node",
  fsResizePendingCondition: "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
  failed: (pv: string, driver: string, err: string) => `resize volume ${JSON.stringify(pv)} by resizer ${JSON.stringify(driver)} failed: ${err}`,
  failedCondition: (err: string) => `failed to expand pvc with ${err}`,
  /** kube-apiserver's PersistentVolumeClaimResize admission text. */
  notAllowed: "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
  noExpandCapability: (driver: string) => `CSI driver ${driver} does not support volume expansion: controller EXPAND_VOLUME capability is not reported`,
  pvNotFound: (pv: string, ns: string | undefined, name: string | undefined) => `PV ${JSON.stringify(pv)} bound to pvc ${JSON.stringify(`${ns ?? ""}/${name ?? ""}`)} not found`,
};
