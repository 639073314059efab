// Every snapshot the driver holds, through the gateway's paged ListSnapshots: the benches count
// leaked and duplicated backend snapshots from the driver's own record, not from the API objects.
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
