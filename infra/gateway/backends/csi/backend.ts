// The `csi` backend: any CSI driver over gRPC. On first use of each connection it checks the
// driver's identity (the name must be the configured one), probes it, and reads its plugin,
// controller and group-controller capabilities once; calls the driver does not advertise are
// refused up front with a final UNIMPLEMENTED instead of being sent. The Node service's capabilities
// are read only when capabilities() is asked for, so a driver whose Node service misbehaves still
// serves snapshots.
import type * as csi from "../../../../shared/csi/load.js";
import {
  GatewayError,
  type CreateGroupSnapshotRequest,
  type CreateSnapshotRequest,
  type CreateVolumeRequest,
  type DriverCapabilities,
  type ExpandVolumeRequest,
  type ExpandVolumeResult,
  type GroupSnapshotInfo,
  type ListSnapshotsRequest,
  type ListSnapshotsResult,
  type SnapshotInfo,
  type VolumeInfo,
} from "../../../../shared/gateway/types.js";
import type { Backend, Secrets } from "../../backend.js";
import { CsiConnection, type CallObserver } from "./connection.js";
import {
  fromCsiGroup,
  fromCsiSnapshot,
  fromCsiVolume,
  toCsiCreateGroup,
  toCsiCreateSnapshot,
  toCsiCreateVolume,
  toCsiExpand,
  toCsiListSnapshots,
} from "./convert.js";

type WithSecrets<T> = Omit<T, "secretRef"> & { secrets?: Secrets };

export interface CsiBackendOptions {
  /** The CSI driver name this backend serves; the driver's GetPluginInfo must report it. */
  driverName: string;
  /** unix:///abs/path.sock (a bare absolute path is accepted too). */
  address: string;
  /** Deadline of every gRPC call. */
  timeoutMs: number;
  /** Told of every gRPC call made to the driver (the gateway's csi_sidecar_operations_seconds). */
  onCall?: CallObserver;
}

interface DriverProfile {
  generation: number;
  info: csi.GetPluginInfoResponse;
  plugin: Set<csi.PluginServiceType>;
  controller: Set<csi.ControllerRpcType>;
  group: Set<csi.GroupControllerRpcType>;
}

export class CsiBackend implements Backend {
  readonly kind = "csi";
  private readonly conn: CsiConnection;
  private profile: Promise<DriverProfile> | undefined;
  private profileGeneration = 0;
  /** The Node service's capabilities, learned for one channel generation. */
  private nodeCaps: { generation: number; caps: Promise<Set<csi.NodeRpcType>> } | undefined;

  constructor(private readonly opts: CsiBackendOptions) {
    this.conn = new CsiConnection(opts.address, opts.timeoutMs, opts.onCall);
  }

  private what(method: string): string {
    return `driver ${this.opts.driverName} ${method}`;
  }

  /** Identity + capabilities of the driver behind the current channel; re-read after a redial. */
  private async driver(): Promise<DriverProfile> {
    const generation = this.conn.channel().generation;
    if (!this.profile || this.profileGeneration !== generation) {
      this.profileGeneration = generation;
      const loading = this.readProfile(generation);
      this.profile = loading;
      // A failed read must not stick: the next call tries again.
      loading.catch(() => {
        if (this.profile === loading) this.profile = undefined;
      });
    }
    return this.profile;
  }

  /**
   * An identity or capability call made on behalf of another call: a failure names the call that
   * failed, and is the gateway's (the requested call itself was never sent).
   */
  private async learn<T>(call: Promise<T>, what: string): Promise<T> {
    try {
      return await call;
    } catch (err) {
      if (err instanceof GatewayError && err.origin === undefined) throw new GatewayError(err.code, `${what}: ${err.message}`, err.retryable, "gateway");
      throw err;
    }
  }

  private async readProfile(generation: number): Promise<DriverProfile> {
    const c = this.conn;
    const info = await this.learn(c.call("identity", "GetPluginInfo", {}, this.what("GetPluginInfo")), this.what("GetPluginInfo"));
    if (info.name !== this.opts.driverName) {
      throw new GatewayError(
        "FAILED_PRECONDITION",
        `${this.opts.address} serves CSI driver "${info.name}", not the configured "${this.opts.driverName}"`,
        false,
        "gateway",
      );
    }
    const probe = await this.learn(c.call("identity", "Probe", {}, this.what("Probe")), this.what("Probe")).catch((err: GatewayError) => {
      // An unhealthy driver may recover; the call is worth retrying later.
      throw new GatewayError("UNAVAILABLE", `${err.message} (driver not healthy)`, true, "gateway");
    });
    if (probe.ready && probe.ready.value === false) {
      throw new GatewayError("UNAVAILABLE", `${this.what("Probe")}: driver is not ready yet`, true, "gateway");
    }
    const pluginCaps = await this.learn(c.call("identity", "GetPluginCapabilities", {}, this.what("GetPluginCapabilities")), this.what("GetPluginCapabilities"));
    const plugin = new Set(pluginCaps.capabilities.flatMap((cap) => (cap.service ? [cap.service.type] : [])));
    const controller = new Set<csi.ControllerRpcType>();
    if (plugin.has("CONTROLLER_SERVICE")) {
      const res = await this.learn(c.call("controller", "ControllerGetCapabilities", {}, this.what("ControllerGetCapabilities")), this.what("ControllerGetCapabilities"));
      for (const cap of res.capabilities) if (cap.rpc && cap.rpc.type !== "UNKNOWN") controller.add(cap.rpc.type);
    }
    const group = new Set<csi.GroupControllerRpcType>();
    if (plugin.has("GROUP_CONTROLLER_SERVICE")) {
      const res = await this.learn(c.call("group", "GroupControllerGetCapabilities", {}, this.what("GroupControllerGetCapabilities")), this.what("GroupControllerGetCapabilities"));
      for (const cap of res.capabilities) if (cap.rpc && cap.rpc.type !== "UNKNOWN") group.add(cap.rpc.type);
    }
    return { generation, info, plugin, controller, group };
  }

  private refuse(operation: string, missing: string): never {
    throw new GatewayError(
      "UNIMPLEMENTED",
      `driver ${this.opts.driverName} does not support ${operation} (capability ${missing} not advertised)`,
      false,
    );
  }

  private async requireController(operation: string, ...caps: csi.ControllerRpcType[]): Promise<DriverProfile> {
    const p = await this.driver();
    for (const cap of caps) if (!p.controller.has(cap)) this.refuse(operation, cap);
    return p;
  }

  private async requireGroup(operation: string): Promise<DriverProfile> {
    const p = await this.driver();
    if (!p.group.has("CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT")) this.refuse(operation, "CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT");
    return p;
  }

  /**
   * external-resizer asks the Node service whether the node can grow a volume the controller cannot
   * (its trivial resizer). A controller-only plugin need not serve Node at all: UNIMPLEMENTED means
   * none. Any other failure is this call's alone, and is not kept: the next one asks again.
   */
  private nodeCapabilities(generation: number): Promise<Set<csi.NodeRpcType>> {
    if (this.nodeCaps?.generation === generation) return this.nodeCaps.caps;
    const what = this.what("NodeGetCapabilities");
    const caps = this.learn(this.conn.call("node", "NodeGetCapabilities", {}, what), what).then(
      (res) => new Set(res.capabilities.flatMap((cap) => (cap.rpc && cap.rpc.type !== "UNKNOWN" ? [cap.rpc.type] : []))),
      (err: unknown) => {
        if (err instanceof GatewayError && err.code === "UNIMPLEMENTED") return new Set<csi.NodeRpcType>();
        throw err;
      },
    );
    const entry = { generation, caps };
    this.nodeCaps = entry;
    caps.catch(() => {
      if (this.nodeCaps === entry) this.nodeCaps = undefined;
    });
    return caps;
  }

  async capabilities(): Promise<DriverCapabilities> {
    const p = await this.driver();
    const node = await this.nodeCapabilities(p.generation);
    return {
      driver: p.info.name,
      vendorVersion: p.info.vendorVersion,
      plugin: [...p.plugin].filter((t) => t !== "UNKNOWN").sort(),
      controller: [...p.controller].sort(),
      groupController: [...p.group].sort(),
      node: [...node].sort(),
    };
  }

  async createVolume(req: WithSecrets<CreateVolumeRequest>): Promise<VolumeInfo> {
    const needed: csi.ControllerRpcType[] = ["CREATE_DELETE_VOLUME"];
    if (req.source && "snapshotId" in req.source) needed.push("CREATE_DELETE_SNAPSHOT");
    if (req.source && "volumeId" in req.source) needed.push("CLONE_VOLUME");
    const p = await this.requireController("CreateVolume", ...needed);
    const what = this.what("CreateVolume");
    const request = toCsiCreateVolume(req);
    // Spec: accessibility_requirements SHALL NOT be sent to a plugin without
    // VOLUME_ACCESSIBILITY_CONSTRAINTS; its volumes have no topology to honour (external-provisioner
    // computes none for such drivers either).
    if (!p.plugin.has("VOLUME_ACCESSIBILITY_CONSTRAINTS")) delete request.accessibilityRequirements;
    const res = await this.conn.call("controller", "CreateVolume", request, what);
    return fromCsiVolume(res.volume, what);
  }

  async deleteVolume(req: { volumeId: string; secrets?: Secrets }): Promise<void> {
    await this.requireController("DeleteVolume", "CREATE_DELETE_VOLUME");
    await this.conn.call(
      "controller", "DeleteVolume",
      { volumeId: req.volumeId, secrets: req.secrets ?? {} },
      this.what("DeleteVolume"),
    );
  }

  async expandVolume(req: WithSecrets<ExpandVolumeRequest>): Promise<ExpandVolumeResult> {
    await this.requireController("ControllerExpandVolume", "EXPAND_VOLUME");
    const res = await this.conn.call(
      "controller", "ControllerExpandVolume",
      toCsiExpand(req),
      this.what("ControllerExpandVolume"),
    );
    return { capacityBytes: Number(res.capacityBytes || "0"), nodeExpansionRequired: res.nodeExpansionRequired };
  }

  async createSnapshot(req: WithSecrets<CreateSnapshotRequest>): Promise<SnapshotInfo> {
    await this.requireController("CreateSnapshot", "CREATE_DELETE_SNAPSHOT");
    const what = this.what("CreateSnapshot");
    const res = await this.conn.call("controller", "CreateSnapshot", toCsiCreateSnapshot(req), what);
    return fromCsiSnapshot(res.snapshot, what);
  }

  /** GetSnapshot when advertised, else a ListSnapshots filtered by id (as csi-snapshotter does). */
  async getSnapshot(req: { snapshotId: string; secrets?: Secrets }): Promise<SnapshotInfo | undefined> {
    const p = await this.driver();
    if (p.controller.has("GET_SNAPSHOT")) {
      const what = this.what("GetSnapshot");
      try {
        const res = await this.conn.call(
          "controller", "GetSnapshot",
          { snapshotId: req.snapshotId, secrets: req.secrets ?? {} },
          what,
        );
        return fromCsiSnapshot(res.snapshot, what);
      } catch (err) {
        if (err instanceof GatewayError && err.code === "NOT_FOUND") return undefined;
        throw err;
      }
    }
    if (!p.controller.has("LIST_SNAPSHOTS")) this.refuse("GetSnapshot", "GET_SNAPSHOT or LIST_SNAPSHOTS");
    const listed = await this.listSnapshots({ snapshotId: req.snapshotId, secrets: req.secrets });
    return listed.entries.find((s) => s.snapshotId === req.snapshotId);
  }

  async listSnapshots(req: WithSecrets<ListSnapshotsRequest>): Promise<ListSnapshotsResult> {
    await this.requireController("ListSnapshots", "LIST_SNAPSHOTS");
    const what = this.what("ListSnapshots");
    const res = await this.conn.call("controller", "ListSnapshots", toCsiListSnapshots(req), what);
    const result: ListSnapshotsResult = { entries: res.entries.map((e) => fromCsiSnapshot(e.snapshot, what)) };
    if (res.nextToken) result.nextToken = res.nextToken;
    return result;
  }

  async deleteSnapshot(req: { snapshotId: string; secrets?: Secrets }): Promise<void> {
    await this.requireController("DeleteSnapshot", "CREATE_DELETE_SNAPSHOT");
    await this.conn.call(
      "controller", "DeleteSnapshot",
      { snapshotId: req.snapshotId, secrets: req.secrets ?? {} },
      this.what("DeleteSnapshot"),
    );
  }

  async createGroupSnapshot(req: WithSecrets<CreateGroupSnapshotRequest>): Promise<GroupSnapshotInfo> {
    await this.requireGroup("CreateVolumeGroupSnapshot");
    const what = this.what("CreateVolumeGroupSnapshot");
    const res = await this.conn.call("group", "CreateVolumeGroupSnapshot", toCsiCreateGroup(req), what);
    return fromCsiGroup(res.groupSnapshot, what);
  }

  async getGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[]; secrets?: Secrets }): Promise<GroupSnapshotInfo> {
    await this.requireGroup("GetVolumeGroupSnapshot");
    const what = this.what("GetVolumeGroupSnapshot");
    const res = await this.conn.call(
      "group", "GetVolumeGroupSnapshot",
      { groupSnapshotId: req.groupSnapshotId, snapshotIds: req.snapshotIds, secrets: req.secrets ?? {} },
      what,
    );
    return fromCsiGroup(res.groupSnapshot, what);
  }

  async deleteGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[]; secrets?: Secrets }): Promise<void> {
    await this.requireGroup("DeleteVolumeGroupSnapshot");
    await this.conn.call(
      "group", "DeleteVolumeGroupSnapshot",
      { groupSnapshotId: req.groupSnapshotId, snapshotIds: req.snapshotIds, secrets: req.secrets ?? {} },
      this.what("DeleteVolumeGroupSnapshot"),
    );
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}
