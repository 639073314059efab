// Names and texts of external-provisioner (and of kube-controller-manager's PV controller, whose
// annotation role provision also plays), spelled as upstream spells them: tools match on these.

export const ANN = {
  storageProvisioner: "volume.kubernetes.io/storage-provisioner",
  betaStorageProvisioner: "volume.beta.kubernetes.io/storage-provisioner",
  provisionedBy: "pv.kubernetes.io/provisioned-by",
  deletionSecretName: "volume.kubernetes.io/provisioner-deletion-secret-name",
  deletionSecretNamespace: "volume.kubernetes.io/provisioner-deletion-secret-namespace",
  modifySecretName: "volume.kubernetes.io/controller-modify-secret-name",
  modifySecretNamespace: "volume.kubernetes.io/controller-modify-secret-namespace",
  /** Legacy class annotation on a claim; wins over spec.storageClassName when present. */
  betaStorageClass: "volume.beta.kubernetes.io/storage-class",
  defaultClass: "storageclass.kubernetes.io/is-default-class",
  betaDefaultClass: "storageclass.beta.kubernetes.io/is-default-class",
  allowVolumeModeChange: "snapshot.storage.kubernetes.io/allow-volume-mode-change",
  /** Set by the scheduler for WaitForFirstConsumer classes; provisioning waits for it. */
  selectedNode: "volume.kubernetes.io/selected-node",
} as const;

export const FINALIZER = {
  snapshotSource: "provisioner.storage.kubernetes.io/volumesnapshot-as-source-protection",
  cloneSource: "provisioner.storage.kubernetes.io/cloning-protection",
  /** The provisioner library's PV finalizer: the volume is deleted before the PV object goes. */
  volume: "external-provisioner.volume.kubernetes.io/finalizer",
} as const;

/** Volume attribute every provisioned PV carries (upstream: the provisioner instance's identity). */
export const PROVISIONER_IDENTITY_KEY = "storage.kubernetes.io/csiProvisionerIdentity";

export const VOLUME_NAME_PREFIX = "pvc";

export function volumeNameFor(claimUid: string): string {
  return `${VOLUME_NAME_PREFIX}-${claimUid}`;
}

/** Stable per driver: functions keep no state, so every replica presents the same identity. */
export function provisionerIdentity(driver: string): string {
  return `snapflow-${driver}`;
}

export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
export const SNAPSHOT_KIND = "VolumeSnapshot";
export const CLAIM_KIND = "PersistentVolumeClaim";

export const REASONS = {
  externalProvisioning: "ExternalProvisioning",
  waitForFirstConsumer: "WaitForFirstConsumer",
  provisioning: "Provisioning",
  provisioningFailed: "ProvisioningFailed",
  provisioningSucceeded: "ProvisioningSucceeded",
  volumeFailedDelete: "VolumeFailedDelete",
} as const;

/** Event source components as kubectl describe shows them ("From"). */
export const PV_CONTROLLER_COMPONENT = "persistentvolume-controller";
export function provisionerComponent(driver: string): string {
  return `${driver}_snapflow-provision`;
}

const ref = (ns: string | undefined, name: string | undefined) => `${ns ?? ""}/${name ?? ""}`;

export const MSG = {
  externalProvisioning: (driver: string) =>
    `Waiting for a volume to be created either by the external provisioner '${driver}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
  waitForFirstConsumer: "waiting for first consumer to be created before binding",
  provisioning: (ns: string | undefined, name: string | undefined) => `External provisioner is provisioning volume for claim ${JSON.stringify(ref(ns, name))}`,
  succeeded: (pv: string) => `Successfully provisioned volume ${pv}`,
  populator: "Assuming an external populator will provision the volume",
  classNotFound: (name: string) => `storageclass.storage.k8s.io ${JSON.stringify(name)} not found`,
  noDynamicProvisioning: "CSI driver does not support dynamic provisioning: controller CREATE_DELETE_VOLUME capability is not reported",
  noRestore: "CSI driver does not support snapshot restore: controller CREATE_DELETE_SNAPSHOT capability is not reported",
  noClone: "CSI driver does not support clone operations: controller CLONE_VOLUME capability is not reported",
  selectorUnsupported: "claim Selector is not supported",
  sourceNameMissing: (claim: string) => `the PVC source not found for PVC ${claim}`,
  wrongApiGroup: (got: string) => `the PVC source does not belong to the right APIGroup. Expected ${SNAPSHOT_GROUP}, Got ${got}`,
  crossNamespace: "dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled",
  fsTypeTwice: `fstype specified in parameters with both "fstype" and "csi.storage.k8s.io/fstype" keys`,
  stripParameters: (err: string) => `failed to strip CSI Parameters of prefixed keys: ${err}`,
  dataSourceHandle: (kind: string, name: string, err: string) => `error getting handle for DataSource Type ${kind} by Name ${name}: ${err}`,

  // restore (getSnapshotSource)
  snapshotGet: (name: string, err: string) => `error getting snapshot ${name} from api server: ${err}`,
  snapshotNotFound: (name: string) => `volumesnapshots.snapshot.storage.k8s.io ${JSON.stringify(name)} not found`,
  snapshotBeingDeleted: (name: string) => `snapshot ${name} is being deleted`,
  snapshotNotBound: (name: string) => `snapshot ${name} not bound`,
  contentGet: (content: string, snapshot: string) => `error getting snapshotcontent ${content} for snapshot ${snapshot}`,
  contentBoundElsewhere: (content: string, snapshot: string) => `snapshotcontent ${content} for snapshot ${snapshot} is bound to a different snapshot`,
  contentOtherDriver: (content: string, snapshot: string, cls: string) =>
    `snapshotcontent ${content} for snapshot ${snapshot} is not handled by CSI driver of StorageClass ${cls}`,
  snapshotNotReady: (name: string) => `snapshot ${name} is not Ready`,
  snapshotHandleMissing: (name: string) => `snapshot handle ${name} is not available`,
  restoreNoCapacity: (claim: string, snapshot: string) => `error getting capacity for PVC ${claim} when creating snapshot ${snapshot}`,
  restoreTooSmall: (requested: bigint, restoreSize: bigint, snapshot: string) =>
    `requested volume size ${requested} is less than the size ${restoreSize} for the source snapshot ${snapshot}`,
  modeChangeNoAnnotation: (ns: string | undefined, name: string | undefined, content: string) =>
    `requested volume ${ref(ns, name)} modifies the mode of the source volume but does not have permission to do so. ${ANN.allowVolumeModeChange} annotation is not present on snapshotcontent ${content}`,
  modeChangeBadValue: (ns: string | undefined, name: string | undefined, value: string) =>
    `requested volume ${ref(ns, name)} modifies the mode of the source volume but does not have permission to do so. failed to convert ${ANN.allowVolumeModeChange} annotation value to boolean with error: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`,
  modeChangeFalse: (ns: string | undefined, name: string | undefined, content: string) =>
    `requested volume ${ref(ns, name)} modifies the mode of the source volume but does not have permission to do so. ${ANN.allowVolumeModeChange} is set to false on snapshotcontent ${content}`,

  // clone (getPVCSource)
  sourceClaimGet: (name: string, ns: string | undefined, err: string) => `error getting PVC ${name} (namespace ${JSON.stringify(ns ?? "")}) from api server: ${err}`,
  sourceClaimNotFound: (name: string) => `persistentvolumeclaim ${JSON.stringify(name)} not found`,
  sourceNotBound: (name: string, status: string) => `the PVC DataSource ${name} must have a status of Bound.  Got ${status}`,
  sourceBeingDeleted: (name: string) => `the PVC DataSource ${name} is currently being deleted`,
  sourceClassEmpty: (name: string) => `the source PVC (${name}) storageclass cannot be empty`,
  targetClassEmpty: (name: string) => `the requested PVC (${name}) storageclass cannot be empty`,
  cloneTooSmall: (requested: bigint, source: bigint) =>
    `error, new PVC request must be greater than or equal in size to the specified PVC data source, requested ${requested} but source is ${source}`,
  sourceVolumeNameEmpty: (name: string) => `volume name is empty in source PVC ${name}`,
  claimNotBoundOrInvalid: "claim in dataSource not bound or invalid",
  modeBlockToFs: "the source PVC and destination PVCs must have the same volume mode for cloning.  Source is Block, but new PVC requested Filesystem",
  modeFsToBlock: "the source PVC and destination PVCs must have the same volume mode for cloning.  Source is Filesystem, but new PVC requested Block",

  // after CreateVolume
  infeasible: (err: string) => `Volume provisioning failed with infeasible error. Retries will be delayed. ${err}`,
  capacityTooSmall: (got: number, wanted: number) => `created volume capacity ${got} less than requested capacity ${wanted}`,
  contentSourceMissing: "volume content source missing",

  // Delete (getSecretsFromSC)
  deletionSecretRef: (pv: string, err: string) => `failed to get secretreference for volume ${pv}: ${err}`,
};
