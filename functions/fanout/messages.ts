// Upstream's group-snapshot error and Event texts (external-snapshotter §4), word for word: backup
// tools and operators match on them. The single-snapshot texts live in shared/snapshot/messages.ts.
import { goQuote } from "../../shared/snapshot/messages.js";

const ref = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ""}/${name ?? ""}`;

export const notFoundGroupClass = (name: string): string =>
  `volumegroupsnapshotclass.groupsnapshot.storage.k8s.io ${goQuote(name)} not found`;

export const GMSG = {
  // class resolution (§4.2 step 1, §2.3)
  getClassFailed: (err: string) => `failed to get group snapshot class with error ${err}`,
  setDefaultClassFailed: (err: string) => `Failed to set default group snapshot class with error ${err}`,
  noDefaultClass: "cannot find default group snapshot class",
  defaultClassNonCsi: (ns: string | undefined, vgs: string | undefined) =>
    `snapshotting non-CSI volumes is not supported, group snapshot:${ref(ns, vgs)}`,

  // validation and binding (§4.2)
  exactlyOneSource: "Exactly one of Selector and VolumeGroupSnapshotContentName should be specified",
  contentMissing: "VolumeGroupSnapshotContent is missing",
  requestsNonExistingContent: (ns: string | undefined, name: string | undefined, content: string) =>
    `group snapshot ${ref(ns, name)} requests an non-existing group snapshot content ${content}`,
  dynamicWhileExpectingStatic: "VolumeGroupSnapshotContent is dynamically provisioned while expecting a pre-provisioned one",
  staticWhileExpectingDynamic: (content: string) =>
    `VolumeGroupSnapshotContent ${content} is pre-provisioned while expecting a dynamically provisioned one`,
  contentBoundToOther: (content: string) => `VolumeGroupSnapshotContent [${content}] is bound to a different group snapshot`,
  contentNotBoundCorrectly: "VolumeGroupSnapshotContent is not bound to the VolumeGroupSnapshot correctly",
  bindFailed: (err: string) => `GroupSnapshot failed to bind VolumeGroupSnapshotContent, ${err}`,
  statusUpdateFailed: (err: string) => `GroupSnapshot status update failed, ${err}`,
  finalizerError: (err: string) => `Failed to check and update group snapshot: ${err}`,
  emptyContentName: (ns: string | undefined, vgs: string | undefined) => `empty VolumeGroupSnapshotContentName for group snapshot ${ref(ns, vgs)}`,
  expectsStatic: (ns: string | undefined, vgs: string | undefined, content: string) =>
    `group snapshot ${ref(ns, vgs)} expects a pre-provisioned VolumeGroupSnapshotContent ${content} but gets a dynamically provisioned one`,
  expectsDynamic: (ns: string | undefined, vgs: string | undefined, content: string) =>
    `group snapshot ${ref(ns, vgs)} expects a dynamically provisioned VolumeGroupSnapshotContent ${content} but gets a pre-provisioned one`,

  // creating the group content (§4.2.1)
  contentCreationFailed: (err: string) => `failed to create group snapshot content with error ${err}`,
  noClass: (vgs: string) => `failed to take group snapshot ${vgs} without a group snapshot class`,
  inputParameters: (vgs: string, err: string) => `failed to get input parameters to create group snapshot ${vgs}: ${goQuote(err)}`,
  selectorMatchesNothing: (selector: string) => `label selector ${selector} for group snapshot not applied to any PVC`,
  pvcNotBound: (pvc: string) => `the PVC ${pvc} is not yet bound to a PV, will not attempt to take a group snapshot`,
  nonCsiVolume: (ns: string | undefined, vgs: string | undefined, pv: string) =>
    `cannot snapshot a non-CSI volume for group snapshot ${ref(ns, vgs)}: ${pv}`,
  nonCsiVolumeEvent: (pv: string) => `Cannot snapshot a non-CSI volume: ${pv}`,
  driverMismatch: (ns: string | undefined, vgs: string | undefined, pvDriver: string, classDriver: string, pv: string) =>
    `Volume CSI driver (${pvDriver}) mismatch with VolumeGroupSnapshotClass (${classDriver}) ${ref(ns, vgs)}: ${pv}`,
  createContentFailedEvent: (ns: string | undefined, vgs: string | undefined, err: string) =>
    `Error creating volume group snapshot content object for group snapshot ${ref(ns, vgs)}: ${err}.`,
  creatingGroupSnapshot: (ns: string | undefined, vgs: string | undefined) =>
    `Waiting for a group snapshot ${ref(ns, vgs)} to be created by the CSI driver.`,
  groupSnapshotCreated: (ns: string | undefined, vgs: string | undefined) =>
    `GroupSnapshot ${ref(ns, vgs)} was successfully created by the CSI driver.`,
  groupSnapshotReady: (ns: string | undefined, vgs: string | undefined) => `GroupSnapshot ${ref(ns, vgs)} is ready to use.`,

  // members (§4.3)
  memberSecretNoClass: "getGroupSnapshotSecret: internal error: cannot find reference to volume group snapshot class",
  memberSecretReference: (content: string, err: string) =>
    `getGroupSnapshotSecret: failed to get secret reference for group snapshot content ${content}: ${err}`,
  memberWithoutUid: (name: string) => `createIndividualSnapshotForGroupSnapshot: created snapshot ${name} has an empty UID`,

  // deletion (§4.7)
  memberRestorePending: (ns: string | undefined, vs: string, vgs: string | undefined) =>
    `Snapshot ${ref(ns, vs)} belonging to VolumeGroupSnapshot ${ref(ns, vgs)} is being used to restore a PVC`,
  contentObjectDeleteError: "Failed to delete group snapshot content API object",
  memberDeleteFailed: (ns: string | undefined, vs: string, vgs: string | undefined, err: string) =>
    `failed to delete snapshot API object ${ns ?? ""}/${vs} part of group snapshot ${ref(ns, vgs)}: ${err}`,

  // csi-snapshotter, group content (§4.5)
  contentValidation: "Exactly one of GroupSnapshotHandles and VolumeHandles should be specified",
  contentNoClass: (content: string) => `failed to take group snapshot ${content} without a group snapshot class`,
  contentInputParameters: (content: string, err: string) =>
    `failed to get input parameters to create group snapshot for group snapshot content ${content}: ${goQuote(err)}`,
  secretNameOrNamespaceMissing: (content: string) =>
    `cannot retrieve secrets for group snapshot content ${goQuote(content)}, err: secret name or namespace not specified`,
  cannotGetCredentials: (content: string) => `cannot get credentials for group snapshot content ${goQuote(content)}`,
  contentNotBound: (content: string) => `cannot create group snapshot. Group snapshot content ${content} not bound to a group snapshot`,
  noVolumeHandles: (content: string) => `cannot create group snapshot. PVCs to be snapshotted not found in group snapshot content ${content}`,
  takeGroupSnapshotFailed: (handles: readonly string[], err: string) =>
    `failed to take group snapshot of the volumes [${handles.join(" ")}]: ${goQuote(err)}`,
  createGroupSnapshotFailed: (err: string) => `Failed to create group snapshot: ${err}`,
  checkAndUpdateFailed: (err: string) => `Failed to check and update group snapshot content: ${err}`,
  getNoSnapshots: (content: string) => `cannot list group snapshot ${content}. No snapshots found in the group snapshot content`,
  getClassFailedForContent: (cls: string, content: string, err: string) =>
    `failed to get group snapshot class ${cls} for group snapshot content ${content}: ${err}`,
  getSecretReferenceFailed: (content: string, err: string) => `failed to get secret reference for group snapshot content ${content}: ${err}`,
  getCredentialsFailed: (content: string, err: string) => `failed to get credentials for group snapshot content ${content}: ${err}`,
  getGroupSnapshotFailed: (content: string, err: string) => `failed to list group snapshot for group snapshot content ${content}: ${goQuote(err)}`,
  deleteNoSnapshots: (content: string) => `cannot delete group snapshot content ${content}. No snapshots found in the group snapshot`,
  deleteHandleMissing: (content: string) => `failed to delete group snapshot content ${content}: groupsnapshotHandle is missing`,
  deleteCredentialsFailed: "Failed to get snapshot credentials",
  deleteInputParameters: (content: string, err: string) =>
    `failed to get input parameters to delete group snapshot for group snapshot content ${content}: ${goQuote(err)}`,
  deleteGroupSnapshotFailedEvent: "Failed to delete group snapshot",
  clearStatusFailedEvent: "Failed to clear content status",
  // Unlike DeleteSnapshot's, the group call's error is not wrapped again inside.
  deleteGroupSnapshotFailed: (content: string, err: string) => `failed to delete group snapshot ${goQuote(content)}, err: ${err}`,
  // snapflow's own: a driver answer that does not account for every requested volume exactly once
  // is not a crash-consistent group; the group is discarded at the backend instead of recorded.
  incompleteGroup: (requested: readonly string[], answered: readonly string[]) =>
    `the driver's group snapshot does not cover the requested volumes exactly once (requested [${requested.join(" ")}], answered [${answered.join(" ")}]); the group was discarded`,
};
