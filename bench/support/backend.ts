// Every snapshot the driver holds, through the gateway's paged ListSnapshots: the benches count
// leaked and duplicated backend snapshots from the driver's own record, not from the API objects.
import { StateStore, type SnapshotRecord, type VolumeRecord } from "../../infra/hostpath/state.js";
import type { GatewayClient, SnapshotInfo } from "../../shared/gateway/types.js";
import { HOSTPATH_DRIVER } from "./prebound.js";

export async function listBackendSnapshots(gateway: GatewayClient, driver = HOSTPATH_DRIVER): Promise<SnapshotInfo[]> {
  const all: SnapshotInfo[] = [];
  let token: string | undefined;
  do {
    const page = await gateway.listSnapshots(driver, { maxEntries: 1000, ...(token ? { startingToken: token } : {}) });
    all.push(...page.entries);
    token = page.nextToken || undefined;
  } while (token);
  return all;
}

/**
 * Every volume and snapshot the hostpath driver holds, from its own durable record (checkpoint and
 * journal) under `dataDir`. Only while no driver serves that directory (the record is replayed and
 * checkpointed, as a driver start would). The driver has no ListVolumes, and CSI's Volume message
 * carries no name anyway: counting volumes per name (`pvc-<claim uid>`) needs this record.
 */
export async function readHostpathRecord(dataDir: string): Promise<{ volumes: VolumeRecord[]; snapshots: SnapshotRecord[] }> {
  const store = await StateStore.open(dataDir);
  try {
    return { volumes: Object.values(store.state.volumes), snapshots: Object.values(store.state.snapshots) };
  } finally {
    await store.close();
  }
}
