// A GatewayClient keeping snapshots in memory, for framework tests that need gateway calls to
// succeed or fail with CSI codes without a driver behind them. It behaves like the gateway
// contract says (idempotent create by name, deleting what is gone succeeds) for the calls it serves;
// `failWith` makes every call fail with that CSI code.
import {
  GatewayError,
  type CreateSnapshotRequest,
  type CsiCode,
  type GatewayClient,
  type SnapshotInfo,
} from "../../shared/gateway/types.js";

export type MemoryGateway = GatewayClient & { snapshots: Map<string, SnapshotInfo>; failWith?: CsiCode };

export function memoryGateway(): MemoryGateway {
  const snapshots = new Map<string, SnapshotInfo>();
  const unsupported = (op: string) => async (): Promise<never> => {
    throw new GatewayError("UNIMPLEMENTED", `${op} is not served by the in-memory gateway`);
  };
  const gateway: MemoryGateway = {
    snapshots,
    async capabilities(driver) {
      return { driver, plugin: ["CONTROLLER_SERVICE"], controller: ["CREATE_DELETE_SNAPSHOT"], groupController: [], node: [] };
    },
    async createSnapshot(_driver, req: CreateSnapshotRequest) {
      const existing = [...snapshots.values()].find((s) => s.snapshotId === `snap-${req.name}`);
      if (existing) return existing;
      const info: SnapshotInfo = {
        snapshotId: `snap-${req.name}`,
        sourceVolumeId: req.sourceVolumeId,
        creationTimeNs: String(BigInt(Date.now()) * 1_000_000n),
        sizeBytes: 1 << 20,
        readyToUse: true,
      };
      snapshots.set(info.snapshotId, info);
      return info;
    },
    async getSnapshot(_driver, req) {
      return snapshots.get(req.snapshotId);
    },
    async deleteSnapshot(_driver, req) {
      snapshots.delete(req.snapshotId);
    },
    async listSnapshots() {
      return { entries: [...snapshots.values()] };
    },
    async createVolume(_driver, req) {
      return { volumeId: `vol-${req.name}`, capacityBytes: req.requiredBytes ?? 1 << 20, volumeContext: {} };
    },
    deleteVolume: unsupported("deleteVolume"),
    expandVolume: unsupported("expandVolume"),
    createGroupSnapshot: unsupported("createGroupSnapshot"),
    getGroupSnapshot: unsupported("getGroupSnapshot"),
    deleteGroupSnapshot: unsupported("deleteGroupSnapshot"),
  };
  // Every method first honours failWith.
  for (const key of Object.keys(gateway) as (keyof GatewayClient)[]) {
    const method = gateway[key];
    if (typeof method !== "function") continue;
    (gateway as unknown as Record<string, unknown>)[key] = async (...args: unknown[]) => {
      if (gateway.failWith) throw new GatewayError(gateway.failWith, `injected ${gateway.failWith}`);
      return (method as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return gateway;
}
