// CreateSnapshot, DeleteSnapshot, ListSnapshots and GetSnapshot. A snapshot is a complete copy of
// its source volume's directory, independent of it from the moment it is recorded.
import type {
  CreateSnapshotRequest,
  CreateSnapshotResponse,
  DeleteSnapshotRequest,
  GetSnapshotRequest,
  GetSnapshotResponse,
  ListSnapshotsRequest,
  ListSnapshotsResponse,
  Outgoing,
} from "../../shared/csi/load.js";
import { lockKey, snapshotMessage, stageInto, syncParents, type DriverCore } from "./core.js";
import { aborted, alreadyExists, invalidArgument, notFound } from "./errors.js";
import { checkId, checkIdPresent, checkIdShape, checkName, isIssuedId, newId } from "./ids.js";
import { removeTree } from "./remove-tree.js";
import type { SnapshotRecord } from "./state.js";
import { checkMap, nowNs } from "./validate.js";

/** Largest page when the caller sets no max_entries: keeps a response well under gRPC's 4 MiB. */
export const MAX_PAGE_ENTRIES = 5000;

export async function createSnapshot(core: DriverCore, req: CreateSnapshotRequest): Promise<Outgoing<CreateSnapshotResponse>> {
  checkName("name", req.name);
  checkId("source_volume_id", req.sourceVolumeId);
  checkMap("parameters", req.parameters);

  // Cutting only reads the volume: writers of it hold its lock exclusively, so none runs meanwhile.
  const locks = { exclusive: [lockKey.snapshotName(req.name)], shared: [lockKey.volume(req.sourceVolumeId)] };
  return core.locks.with(locks, async () => {
    const existing = core.store.snapshotNamed(req.name);
    if (existing) {
      // Spec: a name is incompatible only with another volume_id. Parameters may differ on a
      // retry (a VolumeSnapshotClass can be edited meanwhile); the cut snapshot is still the answer.
      if (existing.sourceVolumeId !== req.sourceVolumeId) {
        throw alreadyExists(`snapshot ${JSON.stringify(req.name)} already exists for another source volume`);
      }
      return { snapshot: snapshotMessage(existing) };
    }

    const volume = isIssuedId("volume", req.sourceVolumeId) ? core.store.state.volumes[req.sourceVolumeId] : undefined;
    if (!volume) throw notFound(`source volume ${req.sourceVolumeId} does not exist`);

    // The (shared) volume lock keeps the driver's own writers out for the whole copy, so this is the cut.
    const record: SnapshotRecord = {
      id: newId("snapshot"),
      name: req.name,
      sourceVolumeId: volume.id,
      sizeBytes: volume.capacityBytes,
      creationTimeNs: nowNs(),
      parameters: req.parameters,
    };
    const dir = core.layout.snapshotDir(record.id);
    await stageInto(core, { dir: core.layout.volumeDir(volume.id), live: true }, dir);
    try {
      await syncParents(core, "snapshots");
      await core.store.commit([{ put: "snapshots", record }]);
    } catch (err) {
      await removeTree(dir);
      throw err;
    }
    return { snapshot: snapshotMessage(record) };
  });
}

export async function deleteSnapshot(core: DriverCore, req: DeleteSnapshotRequest): Promise<Record<string, never>> {
  checkIdPresent("snapshot_id", req.snapshotId);
  if (!isIssuedId("snapshot", req.snapshotId)) return {};
  return core.locks.with([lockKey.snapshot(req.snapshotId)], async () => {
    const snapshot = core.store.state.snapshots[req.snapshotId];
    if (!snapshot) return {};
    if (snapshot.groupId) {
      // Spec (DeleteSnapshot errors): "Snapshot is part of a group" is INVALID_ARGUMENT.
      throw invalidArgument(`snapshot ${snapshot.id} belongs to group snapshot ${snapshot.groupId}; delete the group instead`);
    }
    await core.store.commit([{ delete: "snapshots", id: req.snapshotId }]);
    await core.layout.discard(core.layout.snapshotDir(req.snapshotId));
    return {};
  });
}

export function getSnapshot(core: DriverCore, req: GetSnapshotRequest): Outgoing<GetSnapshotResponse> {
  checkId("snapshot_id", req.snapshotId);
  const snapshot = isIssuedId("snapshot", req.snapshotId) ? core.store.state.snapshots[req.snapshotId] : undefined;
  if (!snapshot) throw notFound(`snapshot ${req.snapshotId} does not exist`);
  return { snapshot: snapshotMessage(snapshot) };
}

/**
 * Entries sorted by snapshot id. The page token names the id to resume at, so it stays meaningful
 * when snapshots come and go between pages (the spec allows misses and duplicates then).
 */
export function listSnapshots(core: DriverCore, req: ListSnapshotsRequest): Outgoing<ListSnapshotsResponse> {
  if (req.maxEntries < 0) throw invalidArgument("max_entries must not be negative");
  if (req.snapshotId) checkIdShape("snapshot_id", req.snapshotId);
  if (req.sourceVolumeId) checkIdShape("source_volume_id", req.sourceVolumeId);
  const resumeAt = req.startingToken ? decodeToken(req.startingToken) : "";

  const pageSize = req.maxEntries > 0 ? Math.min(req.maxEntries, MAX_PAGE_ENTRIES) : MAX_PAGE_ENTRIES;
  // One more than a page tells whether there is a next one. Indexed: no scan of every snapshot.
  const matches = candidates(core, req, resumeAt, pageSize + 1);
  const page = matches.slice(0, pageSize);
  const next = matches[pageSize];
  return {
    entries: page.map((s) => ({ snapshot: snapshotMessage(s) })),
    nextToken: next ? encodeToken(next.id) : "",
  };
}

/** Snapshots matching the filters with id >= resumeAt, sorted by id; at most `limit` of them. */
function candidates(core: DriverCore, req: ListSnapshotsRequest, resumeAt: string, limit: number): SnapshotRecord[] {
  const { store } = core;
  if (req.snapshotId) {
    const one = isIssuedId("snapshot", req.snapshotId) ? store.state.snapshots[req.snapshotId] : undefined;
    const matches = one && one.id >= resumeAt && (!req.sourceVolumeId || one.sourceVolumeId === req.sourceVolumeId);
    return matches ? [one] : [];
  }
  if (req.sourceVolumeId) return store.snapshotsOfVolume(req.sourceVolumeId, resumeAt, limit);
  return store.snapshotsFrom(resumeAt, limit);
}

const TOKEN_PREFIX = "hostpath-list-v1:";

export function encodeToken(snapshotId: string): string {
  return Buffer.from(TOKEN_PREFIX + snapshotId, "utf8").toString("base64url");
}

/** The snapshot id a token resumes at; anything this driver did not issue is ABORTED (spec). */
export function decodeToken(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : "";
  const id = text.startsWith(TOKEN_PREFIX) ? text.slice(TOKEN_PREFIX.length) : "";
  if (!isIssuedId("snapshot", id)) throw aborted(`starting_token ${JSON.stringify(token.slice(0, 64))} is not a valid token`);
  return id;
}
