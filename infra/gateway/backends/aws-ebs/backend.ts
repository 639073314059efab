// The aws-ebs Backend: one per configured driver name, speaking to EC2 with @aws-sdk/client-ec2.
// The `secrets` the gateway may pass are not used (EC2 credentials come from the provider chain)
// and never logged.
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
} from "../../../../shared/gateway/types.js";
import { GatewayError } from "../../../../shared/gateway/types.js";
import type { Backend, Secrets } from "../../backend.js";
import { InFlight, type EbsContext } from "./context.js";
import * as groups from "./groups.js";
import * as snapshots from "./snapshots.js";
import * as volumes from "./volumes.js";

type WithSecrets<T> = Omit<T, "secretRef"> & { secrets?: Secrets };

export const AWS_EBS_CONTROLLER_CAPABILITIES = [
  "CREATE_DELETE_VOLUME",
  "CLONE_VOLUME",
  "CREATE_DELETE_SNAPSHOT",
  "LIST_SNAPSHOTS",
  "GET_SNAPSHOT",
  "EXPAND_VOLUME",
];
export const AWS_EBS_GROUP_CAPABILITIES = ["CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"];
/** The services the EBS CSI driver's controller announces, with the group controller this backend serves too. */
export const AWS_EBS_PLUGIN_CAPABILITIES = ["CONTROLLER_SERVICE", "VOLUME_ACCESSIBILITY_CONSTRAINTS", "GROUP_CONTROLLER_SERVICE"];
/**
 * What the EBS CSI driver's node plugin reports: EBS volumes grow at EC2 and then need their
 * filesystem grown on the node (expandVolume answers nodeExpansionRequired for Filesystem volumes).
 */
export const AWS_EBS_NODE_CAPABILITIES = ["STAGE_UNSTAGE_VOLUME", "EXPAND_VOLUME", "GET_VOLUME_STATS"];

function busy(what: string): () => GatewayError {
  // ABORTED: an identical call is under way here; the caller retries and then finds its result.
  return () => new GatewayError("ABORTED", `${what} is already in progress`);
}

export class AwsEbsBackend implements Backend {
  readonly kind = "aws-ebs";
  private readonly inFlight = new InFlight();

  constructor(private readonly ctx: EbsContext) {}

  async capabilities(): Promise<DriverCapabilities> {
    return {
      driver: this.ctx.driverName,
      plugin: [...AWS_EBS_PLUGIN_CAPABILITIES],
      controller: [...AWS_EBS_CONTROLLER_CAPABILITIES],
      groupController: [...AWS_EBS_GROUP_CAPABILITIES],
      node: [...AWS_EBS_NODE_CAPABILITIES],
    };
  }

  createVolume(req: WithSecrets<CreateVolumeRequest>): Promise<VolumeInfo> {
    const { secrets: _unused, ...rest } = req;
    return this.inFlight.run(`volume/${req.name}`, busy(`creation of volume ${req.name}`), () => volumes.createVolume(this.ctx, rest));
  }

  deleteVolume(req: { volumeId: string; secrets?: Secrets }): Promise<void> {
    return this.inFlight.run(`volume-id/${req.volumeId}`, busy(`an operation on volume ${req.volumeId}`), () =>
      volumes.deleteVolume(this.ctx, req.volumeId),
    );
  }

  expandVolume(req: WithSecrets<ExpandVolumeRequest>): Promise<ExpandVolumeResult> {
    const { secrets: _unused, ...rest } = req;
    return this.inFlight.run(`volume-id/${req.volumeId}`, busy(`an operation on volume ${req.volumeId}`), () =>
      volumes.expandVolume(this.ctx, rest),
    );
  }

  createSnapshot(req: WithSecrets<CreateSnapshotRequest>): Promise<SnapshotInfo> {
    return this.inFlight.run(`snapshot/${req.name}`, busy(`creation of snapshot ${req.name}`), () =>
      snapshots.createSnapshot(this.ctx, req),
    );
  }

  getSnapshot(req: { snapshotId: string; secrets?: Secrets }): Promise<SnapshotInfo | undefined> {
    return snapshots.getSnapshot(this.ctx, req.snapshotId);
  }

  listSnapshots(req: WithSecrets<ListSnapshotsRequest>): Promise<ListSnapshotsResult> {
    return snapshots.listSnapshots(this.ctx, req);
  }

  deleteSnapshot(req: { snapshotId: string; secrets?: Secrets }): Promise<void> {
    return snapshots.deleteSnapshot(this.ctx, req.snapshotId);
  }

  createGroupSnapshot(req: WithSecrets<CreateGroupSnapshotRequest>): Promise<GroupSnapshotInfo> {
    return this.inFlight.run(`group/${req.name}`, busy(`creation of group snapshot ${req.name}`), () =>
      groups.createGroupSnapshot(this.ctx, req),
    );
  }

  getGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[]; secrets?: Secrets }): Promise<GroupSnapshotInfo> {
    return groups.getGroupSnapshot(this.ctx, req);
  }

  deleteGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[]; secrets?: Secrets }): Promise<void> {
    return this.inFlight.run(`group/${req.groupSnapshotId}`, busy(`an operation on group snapshot ${req.groupSnapshotId}`), () =>
      groups.deleteGroupSnapshot(this.ctx, req),
    );
  }

  async close(): Promise<void> {
    this.ctx.client.destroy();
  }
}
