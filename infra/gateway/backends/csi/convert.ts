// Gateway JSON shapes ↔ CSI messages (as shared/csi decodes them). int64 travels as a decimal
// string on the CSI side; byte counts become JS numbers (exact up to 8 PiB), times stay strings.
import type * as csi from "../../../../shared/csi/load.js";
import {
  GatewayError,
  type CreateGroupSnapshotRequest,
  type CreateSnapshotRequest,
  type CreateVolumeRequest,
  type ExpandVolumeRequest,
  type GroupSnapshotInfo,
  type ListSnapshotsRequest,
  type SnapshotInfo,
  type VolumeCapability,
  type VolumeInfo,
} from "../../../../shared/gateway/types.js";
import type { Secrets } from "../../backend.js";
import type { TopologyRequirement } from "../../validate.js";

type Out<T> = csi.Outgoing<T>;
type WithSecrets<T> = Omit<T, "secretRef"> & { secrets?: Secrets };

function int64(n: number | undefined): string {
  return String(n ?? 0);
}

function toNumber(value: csi.Int64 | undefined): number {
  return value ? Number(value) : 0;
}

export function timestampToNs(ts: csi.Timestamp | null | undefined): string {
  if (!ts) return "0";
  return (BigInt(ts.seconds || "0") * 1_000_000_000n + BigInt(ts.nanos || 0)).toString();
}

function capacityRange(requiredBytes: number | undefined, limitBytes: number | undefined): Out<csi.CapacityRange> | null {
  if (!requiredBytes && !limitBytes) return null;
  return { requiredBytes: int64(requiredBytes), limitBytes: int64(limitBytes) };
}

export function toCsiCapability(cap: VolumeCapability): Out<csi.VolumeCapability> {
  const accessMode = { mode: cap.accessMode as csi.AccessModeName };
  if (cap.volumeMode === "Block") return { block: {}, accessMode };
  return { mount: { fsType: cap.fsType ?? "", mountFlags: cap.mountFlags ?? [] }, accessMode };
}

export function toCsiCreateVolume(req: WithSecrets<CreateVolumeRequest>): Out<csi.CreateVolumeRequest> {
  const out: Out<csi.CreateVolumeRequest> = {
    name: req.name,
    volumeCapabilities: req.capabilities.map(toCsiCapability),
    parameters: req.parameters ?? {},
    secrets: req.secrets ?? {},
  };
  const range = capacityRange(req.requiredBytes, req.limitBytes);
  if (range) out.capacityRange = range;
  if (req.source && "snapshotId" in req.source) out.volumeContentSource = { snapshot: { snapshotId: req.source.snapshotId } };
  else if (req.source) out.volumeContentSource = { volume: { volumeId: req.source.volumeId } };
  const topology = req.accessibilityRequirements as TopologyRequirement | undefined;
  if (topology) out.accessibilityRequirements = { requisite: topology.requisite ?? [], preferred: topology.preferred ?? [] };
  return out;
}

export function fromCsiVolume(volume: csi.Volume | null, what: string): VolumeInfo {
  if (!volume || !volume.volumeId) throw new GatewayError("INTERNAL", `${what}: driver answered without a volume`, true, "gateway");
  const info: VolumeInfo = {
    volumeId: volume.volumeId,
    capacityBytes: toNumber(volume.capacityBytes),
    volumeContext: volume.volumeContext ?? {},
  };
  const src = volume.contentSource;
  if (src?.snapshot?.snapshotId) info.source = { snapshotId: src.snapshot.snapshotId };
  else if (src?.volume?.volumeId) info.source = { volumeId: src.volume.volumeId };
  return info;
}

export function toCsiExpand(req: WithSecrets<ExpandVolumeRequest>): Out<csi.ControllerExpandVolumeRequest> {
  const out: Out<csi.ControllerExpandVolumeRequest> = {
    volumeId: req.volumeId,
    capacityRange: capacityRange(req.requiredBytes, req.limitBytes) ?? { requiredBytes: "0", limitBytes: "0" },
    secrets: req.secrets ?? {},
  };
  if (req.capability) out.volumeCapability = toCsiCapability(req.capability);
  return out;
}

export function toCsiCreateSnapshot(req: WithSecrets<CreateSnapshotRequest>): Out<csi.CreateSnapshotRequest> {
  return { name: req.name, sourceVolumeId: req.sourceVolumeId, parameters: req.parameters ?? {}, secrets: req.secrets ?? {} };
}

export function toCsiListSnapshots(req: WithSecrets<ListSnapshotsRequest>): Out<csi.ListSnapshotsRequest> {
  return {
    maxEntries: req.maxEntries ?? 0,
    startingToken: req.startingToken ?? "",
    sourceVolumeId: req.sourceVolumeId ?? "",
    snapshotId: req.snapshotId ?? "",
    secrets: req.secrets ?? {},
  };
}

export function fromCsiSnapshot(snapshot: csi.Snapshot | null, what: string): SnapshotInfo {
  if (!snapshot || !snapshot.snapshotId) throw new GatewayError("INTERNAL", `${what}: driver answered without a snapshot`, true, "gateway");
  const info: SnapshotInfo = {
    snapshotId: snapshot.snapshotId,
    sourceVolumeId: snapshot.sourceVolumeId,
    creationTimeNs: timestampToNs(snapshot.creationTime),
    sizeBytes: toNumber(snapshot.sizeBytes),
    readyToUse: snapshot.readyToUse,
  };
  if (snapshot.groupSnapshotId) info.groupSnapshotId = snapshot.groupSnapshotId;
  return info;
}

export function toCsiCreateGroup(req: WithSecrets<CreateGroupSnapshotRequest>): Out<csi.CreateVolumeGroupSnapshotRequest> {
  return { name: req.name, sourceVolumeIds: req.sourceVolumeIds, parameters: req.parameters ?? {}, secrets: req.secrets ?? {} };
}

export function fromCsiGroup(group: csi.VolumeGroupSnapshot | null, what: string): GroupSnapshotInfo {
  if (!group || !group.groupSnapshotId) throw new GatewayError("INTERNAL", `${what}: driver answered without a group snapshot`, true, "gateway");
  return {
    groupSnapshotId: group.groupSnapshotId,
    snapshots: group.snapshots.map((s) => fromCsiSnapshot(s, what)),
    creationTimeNs: timestampToNs(group.creationTime),
    readyToUse: group.readyToUse,
  };
}
