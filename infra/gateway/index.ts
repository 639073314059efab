// The driver gateway, embeddable: startGateway() builds one backend per configured driver, serves
// the HTTP API on host:port and returns its URL and a close() that stops the server and backends.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createLogger } from "../../shared/log.js";
import type { Backend } from "./backend.js";
import { createGatewayApp } from "./app.js";
import { backendFactory, backendKinds, type BackendHooks } from "./backends/registry.js";
import { DEFAULT_MAX_BODY_BYTES, GatewayConfigError, loadGatewayConfig, type GatewayConfig } from "./config.js";
import { createGatewayMetrics } from "./metrics.js";
import { kubeSecretResolver, noClusterSecretResolver } from "./secrets.js";

export { loadGatewayConfig, parseGatewayConfig, GatewayConfigError, type GatewayConfig, type DriverEntry } from "./config.js";
export { createGatewayApp, UID_HEADER, type GatewayAppOptions } from "./app.js";

/** The port `snapflow gateway` listens on unless told otherwise. */
export const DEFAULT_GATEWAY_PORT = 7480;

export interface StartGatewayOptions {
  config: GatewayConfig;
  /** 0 or undefined: a free port chosen by the OS. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  token: string;
  /** Cluster whose Secrets requests may name; without it a request carrying a secretRef fails. */
  kubeconfigPath?: string;
}

export interface RunningGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds every configured backend; on any failure closes the ones already built. */
export async function buildBackends(config: GatewayConfig, hooks?: BackendHooks): Promise<Map<string, Backend>> {
  const backends = new Map<string, Backend>();
  try {
    for (const [driver, entry] of Object.entries(config.drivers)) {
      const factory = backendFactory(entry.backend);
      if (!factory) {
        throw new GatewayConfigError(
          `drivers."${driver}".backend: unknown backend "${entry.backend}" (known: ${backendKinds().join(", ")})`,
        );
      }
      backends.set(driver, await factory(driver, entry, hooks));
    }
  } catch (err) {
    await Promise.allSettled([...backends.values()].map((b) => b.close()));
    throw err;
  }
  return backends;
}

export async function startGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  if (!opts.token) throw new Error("startGateway: token must not be empty");
  const host = opts.host ?? "127.0.0.1";
  const secrets = opts.kubeconfigPath ? kubeSecretResolver(opts.kubeconfigPath) : noClusterSecretResolver;
  const metrics = createGatewayMetrics({ processMetrics: true });
  let backends: Map<string, Backend>;
  try {
    backends = await buildBackends(opts.config, metrics);
  } catch (err) {
    secrets.close?.();
    throw err;
  }
  // The team's logger: JSON lines, with a second, generic secret-redaction pass over every line.
  const logger = createLogger({ name: "snapflow-gateway", level: opts.config.logLevel });
  const app = createGatewayApp({
    backends,
    token: opts.token,
    secrets,
    logger,
    metrics,
    maxBodyBytes: opts.config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    secrets.close?.();
    await Promise.allSettled([...backends.values()].map((b) => b.close()));
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info({ url, drivers: [...backends.keys()] }, "driver gateway listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        secrets.close?.();
        await Promise.allSettled([...backends.values()].map((b) => b.close()));
      })();
      return closing;
    },
  };
}
