// CreateVolume (blank, restore from snapshot, clone), DeleteVolume, ControllerExpandVolume and
// ControllerGetVolume for directory volumes.
import type {
  ControllerExpandVolumeRequest,
  ControllerExpandVolumeResponse,
  ControllerGetVolumeRequest,
  ControllerGetVolumeResponse,
  CreateVolumeRequest,
  CreateVolumeResponse,
  DeleteVolumeRequest,
  Outgoing,
  ValidateVolumeCapabilitiesRequest,
  ValidateVolumeCapabilitiesResponse,
} from "../../shared/csi/load.js";
import { lockKey, stageInto, syncParents, volumeContext, volumeMessage, type DriverCore, type StageSource } from "./core.js";
import { alreadyExists, invalidArgument, notFound, outOfRange } from "./errors.js";
import { checkId, checkIdPresent, checkName, isIssuedId, newId } from "./ids.js";
import { removeTree } from "./remove-tree.js";
import type { ContentSource, VolumeRecord } from "./state.js";
import { checkCapabilities, checkCapability, checkCapabilityShape, checkMap, parseRange, sameMap, type Range } from "./validate.js";

/** Size recorded for a blank volume created without a capacity range (directories have no real size). */
export const DEFAULT_CAPACITY_BYTES = 1024 ** 3;

export async function createVolume(core: DriverCore, req: CreateVolumeRequest): Promise<Outgoing<CreateVolumeResponse>> {
  checkName("name", req.name);
  checkCapabilities(req.volumeCapabilities);
  const range = parseRange(req.capacityRange);
  checkMap("parameters", req.parameters);
  if (Object.keys(req.mutableParameters).length > 0) {
    throw invalidArgument("mutable_parameters needs MODIFY_VOLUME, which this driver does not offer");
  }
  const source = parseSource(req);

  // The source is only read: any number of restores/clones of it run at once; its writers
  // (DeleteSnapshot/DeleteVolume, group cuts, withVolumesLocked) take it exclusively.
  const shared: string[] = [];
  if (source && "snapshotId" in source) shared.push(lockKey.snapshot(source.snapshotId));
  if (source && "volumeId" in source) shared.push(lockKey.volume(source.volumeId));

  return core.locks.with({ exclusive: [lockKey.volumeName(req.name)], shared }, async () => {
    const existing = core.store.volumeNamed(req.name);
    if (existing) {
      const conflict = incompatibility(existing, range, req.parameters, source);
      if (conflict) throw alreadyExists(`volume ${JSON.stringify(req.name)} already exists with ${conflict}`);
      return { volume: volumeMessage(core, existing) };
    }

    const { sourceBytes, sourceDir } = findSource(core, source);
    const capacityBytes = chooseCapacity(range, sourceBytes);

    const record: VolumeRecord = {
      id: newId("volume"),
      name: req.name,
      capacityBytes,
      requiredBytes: range.requiredBytes,
      limitBytes: range.limitBytes,
      parameters: req.parameters,
      mutableParameters: {},
      ...(source ? { source } : {}),
    };
    const dir = core.layout.volumeDir(record.id);
    await stageInto(core, sourceDir, dir);
    try {
      await syncParents(core, "volumes");
      await core.store.commit([{ put: "volumes", record }]);
    } catch (err) {
      await removeTree(dir);
      throw err;
    }
    return { volume: volumeMessage(core, record) };
  });
}

function parseSource(req: CreateVolumeRequest): ContentSource | undefined {
  const source = req.volumeContentSource;
  if (!source) return undefined;
  if (source.type === "snapshot" && source.snapshot) {
    checkId("volume_content_source.snapshot.snapshot_id", source.snapshot.snapshotId);
    return { snapshotId: source.snapshot.snapshotId };
  }
  if (source.type === "volume" && source.volume) {
    checkId("volume_content_source.volume.volume_id", source.volume.volumeId);
    return { volumeId: source.volume.volumeId };
  }
  throw invalidArgument("volume_content_source must name a snapshot or a volume");
}

function findSource(core: DriverCore, source: ContentSource | undefined): { sourceBytes?: number; sourceDir?: StageSource } {
  if (!source) return {};
  const { snapshots, volumes } = core.store.state;
  if ("snapshotId" in source) {
    const snapshot = isIssuedId("snapshot", source.snapshotId) ? snapshots[source.snapshotId] : undefined;
    if (!snapshot) throw notFound(`source snapshot ${source.snapshotId} does not exist`);
    return { sourceBytes: snapshot.sizeBytes, sourceDir: { dir: core.layout.snapshotDir(snapshot.id), live: false } };
  }
  const volume = isIssuedId("volume", source.volumeId) ? volumes[source.volumeId] : undefined;
  if (!volume) throw notFound(`source volume ${source.volumeId} does not exist`);
  return { sourceBytes: volume.capacityBytes, sourceDir: { dir: core.layout.volumeDir(volume.id), live: true } };
}

/** Exactly the requested size; with a source, never smaller than the source (spec: OUT_OF_RANGE). */
function chooseCapacity(range: Range, sourceBytes: number | undefined): number {
  if (sourceBytes === undefined) return range.requiredBytes || range.limitBytes || DEFAULT_CAPACITY_BYTES;
  const capacity = range.requiredBytes || sourceBytes;
  if (capacity < sourceBytes) {
    throw outOfRange(`requested ${capacity} bytes is smaller than the source's ${sourceBytes} bytes`);
  }
  if (range.limitBytes > 0 && capacity > range.limitBytes) {
    throw outOfRange(`the source's ${sourceBytes} bytes exceed capacity_range.limit_bytes ${range.limitBytes}`);
  }
  return capacity;
}

function incompatibility(
  existing: VolumeRecord,
  range: Range,
  parameters: Record<string, string>,
  source: ContentSource | undefined,
): string | undefined {
  if (range.requiredBytes > 0 && existing.capacityBytes < range.requiredBytes) return `a smaller capacity (${existing.capacityBytes} bytes)`;
  if (range.limitBytes > 0 && existing.capacityBytes > range.limitBytes) return `a larger capacity (${existing.capacityBytes} bytes)`;
  if (!sameMap(existing.parameters, parameters)) return "other parameters";
  if (JSON.stringify(existing.source ?? null) !== JSON.stringify(source ?? null)) return "another content source";
  return undefined;
}

export async function deleteVolume(core: DriverCore, req: DeleteVolumeRequest): Promise<Record<string, never>> {
  checkIdPresent("volume_id", req.volumeId);
  if (!isIssuedId("volume", req.volumeId)) return {};
  return core.locks.with([lockKey.volume(req.volumeId)], async () => {
    if (!core.store.state.volumes[req.volumeId]) return {};
    // Snapshots are independent copies: they stay usable after their source is gone.
    await core.store.commit([{ delete: "volumes", id: req.volumeId }]);
    await core.layout.discard(core.layout.volumeDir(req.volumeId));
    return {};
  });
}

export async function expandVolume(
  core: DriverCore,
  req: ControllerExpandVolumeRequest,
): Promise<Outgoing<ControllerExpandVolumeResponse>> {
  checkId("volume_id", req.volumeId);
  if (!req.capacityRange) throw invalidArgument("capacity_range is required");
  const range = parseRange(req.capacityRange);
  if (range.requiredBytes === 0 && range.limitBytes === 0) throw invalidArgument("capacity_range needs required_bytes or limit_bytes");
  if (req.volumeCapability) checkCapability("volume_capability", req.volumeCapability);
  if (!isIssuedId("volume", req.volumeId)) throw notFound(`volume ${req.volumeId} does not exist`);

  return core.locks.with([lockKey.volume(req.volumeId)], async () => {
    const volume = core.store.state.volumes[req.volumeId];
    if (!volume) throw notFound(`volume ${req.volumeId} does not exist`);
    const target = range.requiredBytes || range.limitBytes;
    // A directory has no filesystem of its own to grow, so no node step is ever needed.
    if (volume.capacityBytes >= target) {
      if (range.limitBytes > 0 && volume.capacityBytes > range.limitBytes) {
        throw outOfRange(`volume is already ${volume.capacityBytes} bytes, above capacity_range.limit_bytes; shrinking is not supported`);
      }
      return { capacityBytes: String(volume.capacityBytes), nodeExpansionRequired: false };
    }
    await core.store.commit([{ put: "volumes", record: { ...volume, capacityBytes: target } }]);
    return { capacityBytes: String(target), nodeExpansionRequired: false };
  });
}

export function getVolume(core: DriverCore, req: ControllerGetVolumeRequest): Outgoing<ControllerGetVolumeResponse> {
  checkId("volume_id", req.volumeId);
  const volume = isIssuedId("volume", req.volumeId) ? core.store.state.volumes[req.volumeId] : undefined;
  if (!volume) throw notFound(`volume ${req.volumeId} does not exist`);
  return { volume: volumeMessage(core, volume), status: { publishedNodeIds: [] } };
}

/**
 * Confirms only what a directory volume can be: mounted, in any access mode. A request this driver
 * cannot satisfy is OK without `confirmed`, with the reason as `message` (spec); malformed requests
 * are INVALID_ARGUMENT, checked before the lookup.
 */
export function validateVolumeCapabilities(
  core: DriverCore,
  req: ValidateVolumeCapabilitiesRequest,
): Outgoing<ValidateVolumeCapabilitiesResponse> {
  checkId("volume_id", req.volumeId);
  if (req.volumeCapabilities.length === 0) throw invalidArgument("volume_capabilities is required");
  req.volumeCapabilities.forEach((capability, i) => checkCapabilityShape(`volume_capabilities[${i}]`, capability));
  checkMap("volume_context", req.volumeContext);
  checkMap("parameters", req.parameters);
  checkMap("mutable_parameters", req.mutableParameters);
  const volume = isIssuedId("volume", req.volumeId) ? core.store.state.volumes[req.volumeId] : undefined;
  if (!volume) throw notFound(`volume ${req.volumeId} does not exist`);

  const unsupported = unsupportedBy(core, volume, req);
  if (unsupported) return { message: unsupported };
  return {
    confirmed: {
      volumeContext: req.volumeContext,
      volumeCapabilities: req.volumeCapabilities,
      parameters: req.parameters,
      mutableParameters: req.mutableParameters,
    },
  };
}

function unsupportedBy(core: DriverCore, volume: VolumeRecord, req: ValidateVolumeCapabilitiesRequest): string | undefined {
  const block = req.volumeCapabilities.findIndex((capability) => capability.accessType === "block");
  if (block >= 0) return `volume_capabilities[${block}]: block access is not supported, volumes are directories`;
  // Empty maps ask nothing; given ones must be the volume's own (spec: volume_context MUST match).
  if (Object.keys(req.volumeContext).length > 0 && !sameMap(volumeContext(core, volume), req.volumeContext)) {
    return `volume_context does not match volume ${volume.id}`;
  }
  if (Object.keys(req.parameters).length > 0 && !sameMap(volume.parameters, req.parameters)) {
    return `volume ${volume.id} was created with other parameters`;
  }
  if (Object.keys(req.mutableParameters).length > 0) {
    return "mutable_parameters needs MODIFY_VOLUME, which this driver does not offer";
  }
  return undefined;
}
