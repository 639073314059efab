// The embedded hostpath CSI driver (plugin name hostpath.snapflow.dev): volumes are directories
// under the data dir, snapshots are point-in-time copies. See README "hostpath CSI driver".
import { HostpathDriver } from "./driver.js";
import { serveCsi } from "./server.js";

export { DRIVER_NAME, HostpathDriver, type HostpathDriverOptions } from "./driver.js";
export { serveCsi, type CsiServer } from "./server.js";

/** Opens the driver on `dataDir` and serves it on `endpoint` (unix:///abs/path.sock). */
export async function startHostpathDriver(opts: { dataDir: string; endpoint: string }): Promise<{ endpoint: string; close(): Promise<void> }> {
  const driver = await HostpathDriver.open({ dataDir: opts.dataDir });
  try {
    return await serveCsi(driver, opts.endpoint);
  } catch (err) {
    await driver.close();
    throw err;
  }
}
