// The driver gateway's API as functions see it. Requests name secrets, never carry their values:
// only the gateway resolves a SecretRef (DESIGN: "Secrets stay at the gateway").

/** CSI / gRPC status code names. */
export type CsiCode =
  | "OK"
  | "CANCELLED"
  | "UNKNOWN"
  | "INVALID_ARGUMENT"
  | "DEADLINE_EXCEEDED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "PERMISSION_DENIED"
  | "RESOURCE_EXHAUSTED"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "OUT_OF_RANGE"
  | "UNIMPLEMENTED"
  | "INTERNAL"
  | "UNAVAILABLE"
  | "DATA_LOSS"
  | "UNAUTHENTICATED";

/** Codes after which the same call may succeed later; everything else is final for that input. */
export const RETRYABLE_CODES: ReadonlySet<CsiCode> = new Set<CsiCode>([
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "ABORTED",
  "RESOURCE_EXHAUSTED",
  "CANCELLED",
  "UNKNOWN",
  "INTERNAL",
]);

export interface SecretRef {
  name: string;
  namespace: string;
}

export interface DriverCapabilities {
  driver: string;
  vendorVersion?: string;
  /** GetPluginCapabilities' services, e.g. "CONTROLLER_SERVICE" (external-resizer requires it). */
  plugin: string[];
  controller: string[]; // e.g. "CREATE_DELETE_SNAPSHOT"
  groupController: string[]; // e.g. "CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"
  /** NodeGetCapabilities, e.g. "EXPAND_VOLUME"; empty when the driver serves no Node service. */
  node: string[];
}

export interface VolumeCapability {
  accessMode: string; // CSI AccessMode name, e.g. "SINGLE_NODE_WRITER"
  volumeMode: "Filesystem" | "Block";
  fsType?: string;
  mountFlags?: string[];
}

export interface CreateVolumeRequest {
  name: string;
  requiredBytes?: number;
  limitBytes?: number;
  capabilities: VolumeCapability[];
  parameters?: Record<string, string>;
  secretRef?: SecretRef;
  source?: { snapshotId: string } | { volumeId: string };
  accessibilityRequirements?: unknown;
}

export interface VolumeInfo {
  volumeId: string;
  capacityBytes: number;
  volumeContext: Record<string, string>;
  source?: { snapshotId: string } | { volumeId: string };
}

export interface ExpandVolumeRequest {
  volumeId: string;
  requiredBytes: number;
  limitBytes?: number;
  capability?: VolumeCapability;
  secretRef?: SecretRef;
}

export interface ExpandVolumeResult {
  capacityBytes: number;
  nodeExpansionRequired: boolean;
}

export interface CreateSnapshotRequest {
  name: string;
  sourceVolumeId: string;
  parameters?: Record<string, string>;
  secretRef?: SecretRef;
}

export interface SnapshotInfo {
  snapshotId: string;
  sourceVolumeId: string;
  /** Unix nanoseconds as a decimal string (int64 does not fit a JSON number). */
  creationTimeNs: string;
  sizeBytes: number;
  readyToUse: boolean;
  groupSnapshotId?: string;
}

export interface ListSnapshotsRequest {
  snapshotId?: string;
  sourceVolumeId?: string;
  maxEntries?: number;
  startingToken?: string;
  secretRef?: SecretRef;
}

export interface ListSnapshotsResult {
  entries: SnapshotInfo[];
  nextToken?: string;
}

export interface CreateGroupSnapshotRequest {
  name: string;
  sourceVolumeIds: string[];
  parameters?: Record<string, string>;
  secretRef?: SecretRef;
}

export interface GroupSnapshotInfo {
  groupSnapshotId: string;
  snapshots: SnapshotInfo[];
  creationTimeNs: string;
  readyToUse: boolean;
}

export interface GroupSnapshotRef {
  groupSnapshotId: string;
  snapshotIds: string[];
  secretRef?: SecretRef;
}

/**
 * Who produced a failure the driver itself did not answer with: the gateway (or whatever stood in
 * its place) refusing or failing on its own, or its read of the request's Secret. Absent = the
 * driver's (or its backend API's) answer. Upstream's sidecar decides "final" only from a driver's
 * gRPC status; a failure before the call says nothing about a create that may still be running.
 */
export type FailureOrigin = "gateway" | "secret";

/** What every gateway failure looks like on the wire and in the client. */
export interface GatewayErrorBody {
  error: { code: CsiCode; message: string; retryable: boolean; origin?: FailureOrigin };
}

export class GatewayError extends Error {
  constructor(
    readonly code: CsiCode,
    message: string,
    readonly retryable: boolean = RETRYABLE_CODES.has(code),
    readonly origin?: FailureOrigin,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** The typed client functions use (implemented over HTTP in shared/gateway/client.ts). Failures throw GatewayError. */
export interface GatewayClient {
  capabilities(driver: string): Promise<DriverCapabilities>;
  createVolume(driver: string, req: CreateVolumeRequest): Promise<VolumeInfo>;
  deleteVolume(driver: string, req: { volumeId: string; secretRef?: SecretRef }): Promise<void>;
  expandVolume(driver: string, req: ExpandVolumeRequest): Promise<ExpandVolumeResult>;
  createSnapshot(driver: string, req: CreateSnapshotRequest): Promise<SnapshotInfo>;
  /** undefined when the driver does not know the snapshot. */
  getSnapshot(driver: string, req: { snapshotId: string; secretRef?: SecretRef }): Promise<SnapshotInfo | undefined>;
  listSnapshots(driver: string, req: ListSnapshotsRequest): Promise<ListSnapshotsResult>;
  /** Deleting what is already gone succeeds. */
  deleteSnapshot(driver: string, req: { snapshotId: string; secretRef?: SecretRef }): Promise<void>;
  createGroupSnapshot(driver: string, req: CreateGroupSnapshotRequest): Promise<GroupSnapshotInfo>;
  /** A group the driver does not have fails NOT_FOUND with the driver's message (upstream quotes it). */
  getGroupSnapshot(driver: string, req: GroupSnapshotRef): Promise<GroupSnapshotInfo>;
  deleteGroupSnapshot(driver: string, req: GroupSnapshotRef): Promise<void>;
}
