// TypeScript shapes of the CSI messages in csi.proto, as @grpc/proto-loader decodes them with
// shared/csi/load.ts's options: camelCase names, int64 as decimal strings, enums as names, scalars
// and maps always present (defaults), absent sub-messages as null, and a oneof's chosen member
// named by its discriminator (`type` / `accessType`).

/** int64 on the wire; decoded as (and sent as) a decimal string so that no precision is lost. */
export type Int64 = string;

export type StringMap = Record<string, string>;

export interface Timestamp {
  seconds: Int64;
  nanos: number;
}

export interface BoolValue {
  value: boolean;
}

/** What a sender may pass: every field optional (proto3 fills defaults), nested alike. */
export type Outgoing<T> = T extends readonly (infer E)[]
  ? Outgoing<E>[]
  : T extends object
    ? { [K in keyof T]?: Outgoing<T[K]> }
    : T;

// ---- Identity ----------------------------------------------------------------------------------

export type GetPluginInfoRequest = Record<string, never>;

export interface GetPluginInfoResponse {
  name: string;
  vendorVersion: string;
  manifest: StringMap;
}

export type GetPluginCapabilitiesRequest = Record<string, never>;

export type PluginServiceType =
  | "UNKNOWN"
  | "CONTROLLER_SERVICE"
  | "VOLUME_ACCESSIBILITY_CONSTRAINTS"
  | "GROUP_CONTROLLER_SERVICE"
  | "SNAPSHOT_METADATA_SERVICE";

export type VolumeExpansionType = "UNKNOWN" | "ONLINE" | "OFFLINE";

export interface PluginCapability {
  service?: { type: PluginServiceType } | null;
  volumeExpansion?: { type: VolumeExpansionType } | null;
  type?: "service" | "volumeExpansion";
}

export interface GetPluginCapabilitiesResponse {
  capabilities: PluginCapability[];
}

export type ProbeRequest = Record<string, never>;

export interface ProbeResponse {
  /** null means ready. */
  ready: BoolValue | null;
}

// ---- Controller: volumes -----------------------------------------------------------------------

export interface CapacityRange {
  requiredBytes: Int64;
  limitBytes: Int64;
}

export type AccessModeName =
  | "UNKNOWN"
  | "SINGLE_NODE_WRITER"
  | "SINGLE_NODE_READER_ONLY"
  | "MULTI_NODE_READER_ONLY"
  | "MULTI_NODE_SINGLE_WRITER"
  | "MULTI_NODE_MULTI_WRITER"
  | "SINGLE_NODE_SINGLE_WRITER"
  | "SINGLE_NODE_MULTI_WRITER";

export interface MountVolume {
  fsType: string;
  mountFlags: string[];
  volumeMountGroup: string;
}

export interface VolumeCapability {
  block?: Record<string, never> | null;
  mount?: MountVolume | null;
  accessType?: "block" | "mount";
  accessMode: { mode: AccessModeName } | null;
}

export interface VolumeContentSource {
  snapshot?: { snapshotId: string } | null;
  volume?: { volumeId: string } | null;
  type?: "snapshot" | "volume";
}

export interface Topology {
  segments: StringMap;
}

export interface TopologyRequirement {
  requisite: Topology[];
  preferred: Topology[];
}

export interface Volume {
  capacityBytes: Int64;
  volumeId: string;
  volumeContext: StringMap;
  contentSource: VolumeContentSource | null;
  accessibleTopology: Topology[];
}

export interface CreateVolumeRequest {
  name: string;
  capacityRange: CapacityRange | null;
  volumeCapabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  volumeContentSource: VolumeContentSource | null;
  accessibilityRequirements: TopologyRequirement | null;
  mutableParameters: StringMap;
}

export interface CreateVolumeResponse {
  volume: Volume | null;
}

export interface DeleteVolumeRequest {
  volumeId: string;
  secrets: StringMap;
}

export type DeleteVolumeResponse = Record<string, never>;

export interface ControllerExpandVolumeRequest {
  volumeId: string;
  capacityRange: CapacityRange | null;
  secrets: StringMap;
  volumeCapability: VolumeCapability | null;
}

export interface ControllerExpandVolumeResponse {
  capacityBytes: Int64;
  nodeExpansionRequired: boolean;
}

export interface VolumeCondition {
  abnormal: boolean;
  message: string;
}

export interface ControllerGetVolumeRequest {
  volumeId: string;
}

export interface ControllerGetVolumeResponse {
  volume: Volume | null;
  status: { publishedNodeIds: string[]; volumeCondition: VolumeCondition | null } | null;
}

export interface ValidateVolumeCapabilitiesRequest {
  volumeId: string;
  volumeContext: StringMap;
  volumeCapabilities: VolumeCapability[];
  parameters: StringMap;
  secrets: StringMap;
  mutableParameters: StringMap;
}

export interface ValidateVolumeCapabilitiesResponse {
  confirmed: {
    volumeContext: StringMap;
    volumeCapabilities: VolumeCapability[];
    parameters: StringMap;
    mutableParameters: StringMap;
  } | null;
  message: string;
}

// ---- Controller: capabilities ------------------------------------------------------------------

export type ControllerRpcType =
  | "UNKNOWN"
  | "CREATE_DELETE_VOLUME"
  | "PUBLISH_UNPUBLISH_VOLUME"
  | "LIST_VOLUMES"
  | "GET_CAPACITY"
  | "CREATE_DELETE_SNAPSHOT"
  | "LIST_SNAPSHOTS"
  | "CLONE_VOLUME"
  | "PUBLISH_READONLY"
  | "EXPAND_VOLUME"
  | "LIST_VOLUMES_PUBLISHED_NODES"
  | "VOLUME_CONDITION"
  | "GET_VOLUME"
  | "SINGLE_NODE_MULTI_WRITER"
  | "MODIFY_VOLUME"
  | "GET_SNAPSHOT";

export type ControllerGetCapabilitiesRequest = Record<string, never>;

export interface ControllerServiceCapability {
  rpc?: { type: ControllerRpcType } | null;
  type?: "rpc";
}

export interface ControllerGetCapabilitiesResponse {
  capabilities: ControllerServiceCapability[];
}

// ---- Controller: snapshots ---------------------------------------------------------------------

export interface Snapshot {
  sizeBytes: Int64;
  snapshotId: string;
  sourceVolumeId: string;
  creationTime: Timestamp | null;
  readyToUse: boolean;
  /** "" unless the snapshot is a group member. */
  groupSnapshotId: string;
}

export interface CreateSnapshotRequest {
  sourceVolumeId: string;
  name: string;
  secrets: StringMap;
  parameters: StringMap;
}

export interface CreateSnapshotResponse {
  snapshot: Snapshot | null;
}

export interface DeleteSnapshotRequest {
  snapshotId: string;
  secrets: StringMap;
}

export type DeleteSnapshotResponse = Record<string, never>;

export interface ListSnapshotsRequest {
  maxEntries: number;
  startingToken: string;
  sourceVolumeId: string;
  snapshotId: string;
  secrets: StringMap;
}

export interface ListSnapshotsResponse {
  entries: Array<{ snapshot: Snapshot | null }>;
  nextToken: string;
}

export interface GetSnapshotRequest {
  snapshotId: string;
  secrets: StringMap;
}

export interface GetSnapshotResponse {
  snapshot: Snapshot | null;
}

// ---- GroupController ---------------------------------------------------------------------------

export type GroupControllerRpcType = "UNKNOWN" | "CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT";

export type GroupControllerGetCapabilitiesRequest = Record<string, never>;

export interface GroupControllerServiceCapability {
  rpc?: { type: GroupControllerRpcType } | null;
  type?: "rpc";
}

export interface GroupControllerGetCapabilitiesResponse {
  capabilities: GroupControllerServiceCapability[];
}

export interface VolumeGroupSnapshot {
  groupSnapshotId: string;
  snapshots: Snapshot[];
  creationTime: Timestamp | null;
  readyToUse: boolean;
}

export interface CreateVolumeGroupSnapshotRequest {
  name: string;
  sourceVolumeIds: string[];
  secrets: StringMap;
  parameters: StringMap;
}

export interface CreateVolumeGroupSnapshotResponse {
  groupSnapshot: VolumeGroupSnapshot | null;
}

export interface DeleteVolumeGroupSnapshotRequest {
  groupSnapshotId: string;
  snapshotIds: string[];
  secrets: StringMap;
}

export type DeleteVolumeGroupSnapshotResponse = Record<string, never>;

export interface GetVolumeGroupSnapshotRequest {
  groupSnapshotId: string;
  snapshotIds: string[];
  secrets: StringMap;
}

export interface GetVolumeGroupSnapshotResponse {
  groupSnapshot: VolumeGroupSnapshot | null;
}

// ---- Node (capabilities only) ------------------------------------------------------------------

export type NodeRpcType =
  | "UNKNOWN"
  | "STAGE_UNSTAGE_VOLUME"
  | "GET_VOLUME_STATS"
  | "EXPAND_VOLUME"
  | "VOLUME_CONDITION"
  | "SINGLE_NODE_MULTI_WRITER"
  | "VOLUME_MOUNT_GROUP";

export type NodeGetCapabilitiesRequest = Record<string, never>;

export interface NodeServiceCapability {
  rpc?: { type: NodeRpcType } | null;
  type?: "rpc";
}

export interface NodeGetCapabilitiesResponse {
  capabilities: NodeServiceCapability[];
}
