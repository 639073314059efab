// `snapflow gateway --config FILE [--port N] [--host H] [--token-file F] [--kubeconfig F]`: runs the
// driver gateway alone until SIGINT/SIGTERM.
import type { Command } from "commander";
import { readGatewayToken } from "../../infra/gateway/auth.js";
import { DEFAULT_GATEWAY_PORT, loadGatewayConfig, startGateway } from "../../infra/gateway/index.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: not a port number: ${value}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("gateway")
    .description("run the driver gateway: HTTP+JSON API over CSI drivers and other storage backends")
    .requiredOption("--config <file>", "gateway YAML config (drivers: { <driver-name>: { backend: csi, address: unix:///... } })")
    .option("--port <n>", `TCP port (0 = any free port)`, port, DEFAULT_GATEWAY_PORT)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--token-file <file>", "file holding the bearer token (default: env SNAPFLOW_GATEWAY_TOKEN)")
    .option("--kubeconfig <file>", "cluster whose Secrets requests may reference")
    .action(async (options: { config: string; port: number; host: string; tokenFile?: string; kubeconfig?: string }) => {
      const token = await readGatewayToken(options.tokenFile);
      const config = await loadGatewayConfig(options.config);
      const gateway = await startGateway({
        config,
        port: options.port,
        host: options.host,
        token,
        kubeconfigPath: options.kubeconfig,
      });
      process.stdout.write(`${JSON.stringify({ gateway: gateway.url })}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await gateway.close();
    });
}
