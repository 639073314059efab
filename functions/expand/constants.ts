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
  nodeInProgress: "NodeResizeInProgress",
  nodeInfeasible: "NodeResizeInfeasible",
} as const;

/** external-resizer's --retry-interval-max default: the slow retry of an infeasible resize. */
export const RETRY_INTERVAL_MAX_MS = 5 * 60_000;

/**
 * external-resizer (AnnotateFsResize, on by default) marks a PV whose node step is pending with the
 * claim's capacity from before the resize.
 */
export const ANN_PRE_RESIZE_CAPACITY = "volume.alpha.kubernetes.io/pre-resize-capacity";

export const ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class";
export const ANN_NODE_EXPANSION_NOT_REQUIRED = "volume.kubernetes.io/node-expansion-not-required";
/**
 * Names the resizer of a claim. kube-controller-manager writes it only for in-tree and CSI-migrated
 * volumes, and external-resizer reads it only for migrated drivers: a CSI claim never needs it.
 */
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
  /** kube-controller-manager's expand controller, for a PV no in-tree plugin can expand. */
  externalExpanding: "waiting for an external controller to expand this PVC",
  slowRetry: (ns: string | undefined, name: string | undefined) =>
    `skipping volume expansion for pvc ${ns ?? ""}/${name ?? ""}, because expansion previously failed with infeasible error`,
  resizing: (pv: string) => `External resizer is resizing volume ${pv}`,
  succeeded: "Resize volume succeeded",
  fsResizeRequired: "Require file system resize of volume on node",
  fsResizePendingCondition: "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
  failed: (pv: string, driver: string, err: string) => `resize volume ${JSON.stringify(pv)} by resizer ${JSON.stringify(driver)} failed: ${err}`,
  noCapability: (pv: string, err: string) => `failed to get capabilities of volume ${pv} with ${err}`,
  failedCondition: (err: string) => `failed to expand pvc with ${err}`,
  /** kube-apiserver's PersistentVolumeClaimResize admission text. */
  notAllowed: "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
  /** external-resizer's NewResizerFromClient errors: no resizer exists for such a driver. */
  noControllerService: "CSI driver does not support controller service",
  resizeNotSupported: "CSI driver neither supports controller resize nor node resize",
  pvNotFound: (pv: string, ns: string | undefined, name: string | undefined) => `PV ${JSON.stringify(pv)} bound to pvc ${JSON.stringify(`${ns ?? ""}/${name ?? ""}`)} not found`,
};
