// The hostpath driver's logic without any transport: each method takes a decoded CSI request and
// returns the response message, or throws CsiError. server.ts puts it on gRPC.
import type * as csi from "../../shared/csi/load.js";
import type { Outgoing } from "../../shared/csi/load.js";
import type { DriverCore } from "./core.js";
import { probeCloneEngine } from "./clone.js";
import { lockKey } from "./core.js";
import { lockDataDir, type DirLock } from "./dirlock.js";
import { createGroupSnapshot, deleteGroupSnapshot, getGroupSnapshot } from "./groups.js";
import { Layout } from "./layout.js";
import { KeyedLocks } from "./locks.js";
import { createSnapshot, deleteSnapshot, getSnapshot, listSnapshots } from "./snapshots.js";
import { StateStore } from "./state.js";
import { createVolume, deleteVolume, expandVolume, getVolume, validateVolumeCapabilities } from "./volumes.js";

export const DRIVER_NAME = "hostpath.snapflow.dev";
export const VENDOR_VERSION = "0.1.0";

export const CONTROLLER_CAPABILITIES: readonly csi.ControllerRpcType[] = [
  "CREATE_DELETE_VOLUME",
  "CLONE_VOLUME",
  "EXPAND_VOLUME",
  "CREATE_DELETE_SNAPSHOT",
  "LIST_SNAPSHOTS",
  "GET_SNAPSHOT",
  "GET_VOLUME",
];

export const GROUP_CONTROLLER_CAPABILITIES: readonly csi.GroupControllerRpcType[] = ["CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"];

export interface HostpathDriverOptions {
  dataDir: string;
  /** fsync copied data before recording it (default true). Off only for throwaway data dirs. */
  durable?: boolean;
  /**
   * "auto" (default): whole-tree reflink clones with `cp` where the filesystem has reflinks, else
   * per-file copies; "copy": always per-file copies (COPYFILE_FICLONE, so still CoW per file).
   */
  copyEngine?: "auto" | "copy";
}

export class HostpathDriver {
  private constructor(
    private readonly core: DriverCore,
    private readonly dirLock: DirLock,
  ) {}

  /**
   * Opens (or creates) the data dir, loads the state and sweeps what a crash left behind. Refuses a
   * data dir another live driver holds. close() gives the data dir up again.
   */
  static async open(options: HostpathDriverOptions): Promise<HostpathDriver> {
    const layout = new Layout(options.dataDir);
    await layout.create();
    const dirLock = await lockDataDir(layout.root);
    try {
      const store = await StateStore.open(layout.root);
      await layout.sweep(store.state);
      const cloneEngine = options.copyEngine === "copy" ? false : await probeCloneEngine(layout.staging);
      return new HostpathDriver({ layout, store, locks: new KeyedLocks(), durable: options.durable ?? true, cloneEngine }, dirLock);
    } catch (err) {
      await dirLock.release();
      throw err;
    }
  }

  /**
   * Waits for in-flight state writes, checkpoints the journal into state.json, then releases the
   * data dir. Call after the server stopped.
   */
  async close(): Promise<void> {
    try {
      await this.core.store.close();
    } finally {
      await this.dirLock.release();
    }
  }

  get dataDir(): string {
    return this.core.layout.root;
  }

  /**
   * How restores copy data on this data dir. Snapshots and clones read live volumes, so they are
   * always per-file copies (reflinked, and synced with one syncfs, where this says "cp-reflink").
   */
  get copyEngine(): "cp-reflink" | "copy" {
    return this.core.cloneEngine ? "cp-reflink" : "copy";
  }

  /** Absolute directory of a volume (what the volume context calls `hostPath`). */
  volumePath(volumeId: string): string {
    return this.core.layout.volumeDir(volumeId);
  }

  /**
   * Runs `work` while holding the driver's locks on these volumes: the way for code embedding the
   * driver to write into volumes without ever straddling a snapshot or group snapshot cut.
   */
  withVolumesLocked<T>(volumeIds: readonly string[], work: () => Promise<T>): Promise<T> {
    return this.core.locks.with(volumeIds.map(lockKey.volume), work);
  }

  // ---- Identity ----

  pluginInfo(): Outgoing<csi.GetPluginInfoResponse> {
    return { name: DRIVER_NAME, vendorVersion: VENDOR_VERSION };
  }

  pluginCapabilities(): Outgoing<csi.GetPluginCapabilitiesResponse> {
    return {
      capabilities: [
        { service: { type: "CONTROLLER_SERVICE" } },
        { service: { type: "GROUP_CONTROLLER_SERVICE" } },
        // A directory can be "grown" at any time: there is no filesystem to unmount first.
        { volumeExpansion: { type: "ONLINE" } },
      ],
    };
  }

  probe(): Outgoing<csi.ProbeResponse> {
    return { ready: { value: true } };
  }

  // ---- Controller ----

  controllerCapabilities(): Outgoing<csi.ControllerGetCapabilitiesResponse> {
    return { capabilities: CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type } })) };
  }

  createVolume(req: csi.CreateVolumeRequest) {
    return createVolume(this.core, req);
  }

  deleteVolume(req: csi.DeleteVolumeRequest) {
    return deleteVolume(this.core, req);
  }

  expandVolume(req: csi.ControllerExpandVolumeRequest) {
    return expandVolume(this.core, req);
  }

  getVolume(req: csi.ControllerGetVolumeRequest) {
    return getVolume(this.core, req);
  }

  validateVolumeCapabilities(req: csi.ValidateVolumeCapabilitiesRequest) {
    return validateVolumeCapabilities(this.core, req);
  }

  createSnapshot(req: csi.CreateSnapshotRequest) {
    return createSnapshot(this.core, req);
  }

  deleteSnapshot(req: csi.DeleteSnapshotRequest) {
    return deleteSnapshot(this.core, req);
  }

  listSnapshots(req: csi.ListSnapshotsRequest) {
    return listSnapshots(this.core, req);
  }

  getSnapshot(req: csi.GetSnapshotRequest) {
    return getSnapshot(this.core, req);
  }

  // ---- GroupController ----

  groupControllerCapabilities(): Outgoing<csi.GroupControllerGetCapabilitiesResponse> {
    return { capabilities: GROUP_CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type } })) };
  }

  createGroupSnapshot(req: csi.CreateVolumeGroupSnapshotRequest) {
    return createGroupSnapshot(this.core, req);
  }

  deleteGroupSnapshot(req: csi.DeleteVolumeGroupSnapshotRequest) {
    return deleteGroupSnapshot(this.core, req);
  }

  getGroupSnapshot(req: csi.GetVolumeGroupSnapshotRequest) {
    return getGroupSnapshot(this.core, req);
  }
}

