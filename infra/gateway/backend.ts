// What the gateway asks of a storage backend (csi over gRPC, aws-ebs, ...). The gateway resolves
// SecretRefs into `secrets` before calling; a backend never sees a SecretRef and never logs `secrets`.
// Failures are thrown as GatewayError with the CSI code that fits (retryable follows the code unless
// the backend knows better, e.g. EC2 throttling is RESOURCE_EXHAUSTED and retryable).
import type {
  CreateGroupSnapshotRequest,
  CreateSnapshotRequest,
  CreateVolumeRequest,
  DriverCapabilities,
  ExpandVolumeRequest,
  ExpandVolumeResult,
  GroupSnapshotInfo,
  ListSnapshotsRequest,
  ListSnapshotsResult,
  SnapshotInfo,
  VolumeInfo,
} from "../../shared/gateway/types.js";

export type Secrets = Record<string, string>;

type WithSecrets<T> = Omit<T, "secretRef"> & { secrets?: Secrets };

export interface Backend {
  /** Backend kind as configured: "csi", "aws-ebs". */
  readonly kind: string;
  capabilities(): Promise<DriverCapabilities>;
  createVolume(req: WithSecrets<CreateVolumeRequest>): Promise<VolumeInfo>;
  deleteVolume(req: { volumeId: string; secrets?: Secrets }): Promise<void>;
  expandVolume(req: WithSecrets<ExpandVolumeRequest>): Promise<ExpandVolumeResult>;
  createSnapshot(req: WithSecrets<CreateSnapshotRequest>): Promise<SnapshotInfo>;
  getSnapshot(req: { snapshotId: string; secrets?: Secrets }): Promise<SnapshotInfo | undefined>;
  listSnapshots(req: WithSecrets<ListSnapshotsRequest>): Promise<ListSnapshotsResult>;
  deleteSnapshot(req: { snapshotId: string; secrets?: Secrets }): Promise<void>;
  createGroupSnapshot(req: WithSecrets<CreateGroupSnapshotRequest>): Promise<GroupSnapshotInfo>;
  /**
   * A group the driver does not have is a NOT_FOUND failure with the driver's own message, as
   * GetVolumeGroupSnapshot answers it: upstream's sidecar reports that message, so it must reach it.
   */
  getGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[]; secrets?: Secrets }): Promise<GroupSnapshotInfo>;
  deleteGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[]; secrets?: Secrets }): Promise<void>;
  close(): Promise<void>;
}
