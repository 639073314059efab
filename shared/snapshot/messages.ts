// Upstream's error and Event message texts. Backup tools and operators match on these strings, so
// they are reproduced word for word (including upstream's grammar slips, e.g. "an non-existing").

/** Go's %q for a string: double-quoted with inner quotes and backslashes escaped. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %q for a []string: `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(" ")}]`;
}

const ref = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ""}/${name ?? ""}`;

// "Not found" texts as the Kubernetes lister / API server phrase them.
export const notFound = {
  snapshotClass: (name: string) => `volumesnapshotclass.snapshot.storage.k8s.io ${goQuote(name)} not found`,
  pvcInLister: (name: string) => `persistentvolumeclaim ${goQuote(name)} not found`,
  pvFromApi: (name: string) => `persistentvolumes ${goQuote(name)} not found`,
  groupSnapshot: (name: string) => `volumegroupsnapshot.groupsnapshot.storage.k8s.io ${goQuote(name)} not found`,
};

export const MSG = {
  // class resolution (§2.2/§2.3)
  getSnapshotClassFailed: (err: string) => `Failed to get snapshot class with error ${err}`,
  setDefaultSnapshotClassFailed: (err: string) => `Failed to set default snapshot class with error ${err}`,
  noDefaultClass: "cannot find default snapshot class",
  severalDefaultClasses: (n: number) => `${n} default snapshot classes were found`,
  /** No persistentVolumeClaimName at all (an empty one is pvcNameNotSpecified). */
  pvcSourceNotSpecified: "the snapshot source PVC name is not specified",
  pvcNameNotSpecified: (ns: string | undefined, name: string | undefined) =>
    `the PVC name is not specified in snapshot ${ref(ns, name)}`,
  pvcNotInLister: (pvc: string, err: string) => `failed to retrieve PVC ${pvc} from the lister: ${goQuote(err)}`,
  pvcNotBound: (pvc: string) => `the PVC ${pvc} is not yet bound to a PV, will not attempt to take a snapshot`,
  pvNotFromApi: (pv: string, err: string) => `failed to retrieve PV ${pv} from the API server: ${goQuote(err)}`,
  claimMismatch: "claim in dataSource not bound or invalid",
  nonCsiVolume: (ns: string | undefined, name: string | undefined) =>
    `snapshotting non-CSI volumes is not supported, snapshot:${ref(ns, name)}`,

  // validation / binding (§2.2, §2.5)
  // Upstream's text at the reference's HEAD says "specified" (the reference's §2.2 quotes "set").
  exactlyOneSource: "Exactly one of PersistentVolumeClaimName and VolumeSnapshotContentName should be specified",
  contentMissing: "VolumeSnapshotContent is missing",
  requestsNonExistingContent: (ns: string | undefined, name: string | undefined, content: string) =>
    `snapshot ${ref(ns, name)} requests an non-existing content ${content}`,
  emptyContentName: (ns: string | undefined, name: string | undefined) =>
    `empty VolumeSnapshotContentName for snapshot ${ref(ns, name)}`,
  dynamicWhileExpectingStatic: "VolumeSnapshotContent is dynamically provisioned while expecting a pre-provisioned one",
  staticWhileExpectingDynamic: (content: string) =>
    `VolumeSnapshotContent ${content} is pre-provisioned while expecting a dynamically provisioned one`,
  contentBoundToOther: (content: string) => `VolumeSnapshotContent [${content}] is bound to a different snapshot`,
  // What the finalizer step (§2.2 step 6) reports after the mismatch checks above.
  expectsStaticContent: (ns: string | undefined, name: string | undefined, content: string) =>
    `snapshot ${ref(ns, name)} expects a pre-provisioned VolumeSnapshotContent ${content} but gets a dynamically provisioned one`,
  expectsDynamicContent: (ns: string | undefined, name: string | undefined, content: string) =>
    `snapshot ${ref(ns, name)} expects a dynamically provisioned VolumeSnapshotContent ${content} but gets a pre-provisioned one`,
  contentNotBoundCorrectly: "VolumeSnapshotContent is not bound to the VolumeSnapshot correctly",
  bindFailed: (err: string) => `Snapshot failed to bind VolumeSnapshotContent, ${err}`,
  snapshotHandleSetOnDynamic: (content: string) => `Snapshot handle should not be set in content ${content} for dynamic provisioning`,
  pvcSourceMissing: (ns: string | undefined, name: string | undefined) => `PVC source for snapshot ${ref(ns, name)} is missing`,
  statusUpdateFailed: (err: string) => `Snapshot status update failed, ${err}`,
  groupMemberWithoutContent: (ns: string | undefined, name: string | undefined) =>
    `detected group snapshot member ${ref(ns, name)} with no content, retrying`,
  groupMemberMissingContent: (ns: string | undefined, name: string | undefined, content: string) =>
    `group snapshot member ${ref(ns, name)} requests an non-existing content ${content}`,
  groupForSnapshotNotFound: (ns: string | undefined, name: string | undefined) =>
    `updateSnapshotStatus: cannot find the group snapshot for VolumeSnapshot [${ref(ns, name)}], will not update snapshot status`,

  // dynamic content creation (§2.4)
  controllerUpdateError: (name: string, err: string) => `snapshot controller failed to update ${name} on API server: ${err}`,
  cannotGetClaim: "cannot get claim from snapshot",
  claimBeingDeleted: "cannot add finalizer on claim because it is being deleted",
  noSnapshotClass: (snapshotName: string) => `failed to take snapshot ${snapshotName} without a snapshot class`,
  inputParameters: (snapshotName: string, err: string) =>
    `failed to get input parameters to create snapshot ${snapshotName}: ${goQuote(err)}`,
  noCsiSource: (pv: string) => `cannot find CSI PersistentVolumeSource for volume ${pv}`,
  contentCreationFailed: (err: string) => `Failed to create snapshot content with error ${err}`,
  createContentFailedEvent: (ns: string | undefined, name: string | undefined, err: string) =>
    `Error creating volume snapshot content object for snapshot ${ref(ns, name)}: ${err}.`,
  creatingSnapshot: (ns: string | undefined, name: string | undefined) =>
    `Waiting for a snapshot ${ref(ns, name)} to be created by the CSI driver.`,
  snapshotCreated: (ns: string | undefined, name: string | undefined) =>
    `Snapshot ${ref(ns, name)} was successfully created by the CSI driver.`,
  snapshotReady: (ns: string | undefined, name: string | undefined) => `Snapshot ${ref(ns, name)} is ready to use.`,

  // deletion (§2.9)
  deletePendingRestore: "Snapshot is being used to restore a PVC",
  deletePendingGroup: (ns: string | undefined, name: string | undefined, group: string) =>
    `deletion of the individual volume snapshot ${ref(ns, name)} is not allowed as it belongs to group snapshot ${ref(ns, group)}. Deleting the group snapshot will trigger the deletion of all the individual volume snapshots that are part of the group.`,
  contentObjectDeleteError: "Failed to delete snapshot content API object",
  contentDeleteFailed: (content: string, err: string) =>
    `failed to delete VolumeSnapshotContent ${content} from API server: ${goQuote(err)}`,
  pvcFinalizerError: "Error check and remove PVC Finalizer for VolumeSnapshot",
  finalizerError: (err: string) => `Failed to check and update snapshot: ${err}`,
  contentValidation: "Exactly one of VolumeHandle and SnapshotHandle should be specified",

  // csi-snapshotter (§3)
  contentNoSnapshotClass: (content: string) => `failed to take snapshot ${content} without a snapshot class`,
  contentInputParameters: (content: string, err: string) =>
    `failed to get input parameters to create snapshot for content ${content}: ${goQuote(err)}`,
  secretNameOrNamespaceMissing: (content: string) =>
    `cannot retrieve secrets for snapshot content ${goQuote(content)}, err: secret name or namespace not specified`,
  cannotGetCredentials: (content: string) => `cannot get credentials for snapshot content ${goQuote(content)}`,
  secretReadFailed: (name: string, namespace: string, err: string) => `error getting secret ${name} in namespace ${namespace}: ${err}`,
  deleteInputParameters: (content: string, err: string) =>
    `failed to get input parameters to delete snapshot for content ${content}: ${goQuote(err)}`,
  listCredentialsFailed: (content: string, err: string) => `failed to get credentials for snapshot content ${content}: ${err}`,
  removePrefixedParameters: (err: string) => `failed to remove CSI Parameters of prefixed keys: ${err}`,
  addBeingCreatedFailed: (content: string, err: string) =>
    `failed to add VolumeSnapshotBeingCreated annotation on the content ${content}: ${goQuote(err)}`,
  contentNotBound: (content: string) => `cannot create snapshot. Snapshot content ${content} not bound to a snapshot`,
  noVolumeHandle: (content: string) => `cannot create snapshot. Volume handle not found in snapshot content ${content}`,
  takeSnapshotFailed: (volumeHandle: string, err: string) =>
    `failed to take snapshot of the volume ${volumeHandle}: ${goQuote(err)}`,
  createSnapshotFailed: (err: string) => `Failed to create snapshot: ${err}`,
  checkAndUpdateFailed: (err: string) => `Failed to check and update snapshot content: ${err}`,
  listClassFailed: (cls: string, content: string, err: string) =>
    `failed to get snapshot class ${cls} for snapshot content ${content}: ${err}`,
  listSecretReferenceFailed: (content: string, err: string) => `failed to get secret reference for snapshot content ${content}: ${err}`,
  listAnnotationCredentialsFailed: (content: string, err: string) =>
    `failed to get credentials from annotation for snapshot content ${content}: ${err}`,
  snapshotNotFoundById: (id: string) => `can not find snapshot for snapshotID ${id}`,
  listSnapshotFailed: (content: string, err: string) => `failed to list snapshot for content ${content}: ${goQuote(err)}`,
  deleteCredentialsFailed: "Failed to get snapshot credentials",
  deleteSnapshotFailedEvent: "Failed to delete snapshot",
  clearStatusFailedEvent: "Failed to clear content status",
  snapshotHandleMissing: (content: string) => `failed to delete snapshot content ${content}: snapshotHandle is missing`,
  deleteSnapshotFailed: (content: string, err: string) =>
    `failed to delete snapshot ${goQuote(content)}, err: failed to delete snapshot content ${content}: ${goQuote(err)}`,

  // parameters (§0.4, §2.6)
  reservedParameter: (key: string) => `found unknown parameter key ${goQuote(key)} with reserved namespace csi.storage.k8s.io/`,
  secretPairIncomplete: (set: string) => `either name and namespace for ${set} secrets specified, Both must be specified`,
  secretValueEmpty: (set: string) => `${set} secrets specified in parameters but value of either namespace or name is empty`,
  secretTemplateParams: (err: string) => `failed to get name and namespace template from params: ${err}`,
  invalidTokens: (tokens: readonly string[]) => `invalid tokens: ${goQuoteList(tokens)}`,
  resolvingValue: (template: string, err: string) => `error resolving value ${goQuote(template)}: ${err}`,
  resolvedInvalidNamespace: (template: string, value: string) =>
    `${goQuote(template)} resolved to ${goQuote(value)} which is not a valid namespace name`,
  invalidNamespace: (template: string) => `${goQuote(template)} is not a valid namespace name`,
  resolvedInvalidSecretName: (template: string, value: string) =>
    `${goQuote(template)} resolved to ${goQuote(value)} which is not a valid secret name`,
  invalidSecretName: (template: string) => `${goQuote(template)} is not a valid secret name`,
};
