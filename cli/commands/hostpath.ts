// `snapflow hostpath --data-dir DIR --endpoint unix:///abs/path.sock`: runs the hostpath CSI driver
// alone until SIGINT/SIGTERM, then stops gracefully (running calls finish, the socket is removed).
import * as path from "node:path";
import type { Command } from "commander";
import { DRIVER_NAME, startHostpathDriver } from "../../infra/hostpath/index.js";

export function register(program: Command): void {
  program
    .command("hostpath")
    .description(`run the hostpath CSI driver (${DRIVER_NAME}): directory volumes, snapshots, group snapshots over gRPC`)
    .requiredOption("--data-dir <dir>", "directory holding the volumes, snapshots and the driver's state")
    .option("--endpoint <unix-url>", "CSI endpoint (default: env CSI_ENDPOINT, else unix://<data-dir>/csi.sock)")
    .action(async (options: { dataDir: string; endpoint?: string }) => {
      const dataDir = path.resolve(options.dataDir);
      const endpoint = options.endpoint ?? process.env.CSI_ENDPOINT ?? `unix://${path.join(dataDir, "csi.sock")}`;
      const driver = await startHostpathDriver({ dataDir, endpoint });
      process.stdout.write(`${JSON.stringify({ driver: DRIVER_NAME, endpoint: driver.endpoint, dataDir })}\n`);
      const signal = await new Promise<string>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      await driver.close();
      process.stdout.write(`${JSON.stringify({ driver: DRIVER_NAME, stopped: signal })}\n`);
    });
}
