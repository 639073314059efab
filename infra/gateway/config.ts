// The gateway's YAML configuration: one entry per CSI driver name, each naming the backend kind
// that serves it. Backend-specific keys are validated by that backend's factory, not here.
import { readFile } from "node:fs/promises";
import { parse } from "yaml";

export interface DriverEntry {
  /** Backend kind, e.g. "csi" or "aws-ebs". */
  backend: string;
  [key: string]: unknown;
}

export interface GatewayConfig {
  drivers: Record<string, DriverEntry>;
  /** Largest accepted request body; larger bodies answer 413. */
  maxBodyBytes?: number;
  /** pino level name; default SNAPFLOW_LOG_LEVEL, else "info". */
  logLevel?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

// CSI plugin names are domain-name style, at most 63 characters (csi-notes §1.3).
const DRIVER_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;

export class GatewayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GatewayConfigError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks a parsed document and returns it typed; throws GatewayConfigError naming the bad key. */
export function parseGatewayConfig(doc: unknown, source = "config"): GatewayConfig {
  if (!isRecord(doc)) throw new GatewayConfigError(`${source}: must be a mapping with a "drivers" key`);
  for (const key of Object.keys(doc)) {
    if (!["drivers", "maxBodyBytes", "logLevel"].includes(key)) {
      throw new GatewayConfigError(`${source}: unknown key "${key}" (expected drivers, maxBodyBytes, logLevel)`);
    }
  }
  const drivers = doc.drivers;
  if (!isRecord(drivers)) throw new GatewayConfigError(`${source}: "drivers" must be a mapping of driver name to backend entry`);
  const out: Record<string, DriverEntry> = {};
  for (const [name, entry] of Object.entries(drivers)) {
    if (!DRIVER_NAME.test(name)) {
      throw new GatewayConfigError(`${source}: drivers."${name}": not a valid CSI driver name (domain-name style, at most 63 characters)`);
    }
    if (!isRecord(entry)) throw new GatewayConfigError(`${source}: drivers."${name}": must be a mapping`);
    if (typeof entry.backend !== "string" || entry.backend === "") {
      throw new GatewayConfigError(`${source}: drivers."${name}".backend: required (e.g. "csi")`);
    }
    out[name] = { ...entry, backend: entry.backend };
  }
  const config: GatewayConfig = { drivers: out };
  if (doc.maxBodyBytes !== undefined) {
    if (typeof doc.maxBodyBytes !== "number" || !Number.isInteger(doc.maxBodyBytes) || doc.maxBodyBytes < 1024) {
      throw new GatewayConfigError(`${source}: maxBodyBytes: must be an integer of at least 1024`);
    }
    config.maxBodyBytes = doc.maxBodyBytes;
  }
  if (doc.logLevel !== undefined) {
    if (typeof doc.logLevel !== "string" || !LOG_LEVELS.has(doc.logLevel)) {
      throw new GatewayConfigError(`${source}: logLevel: must be one of ${[...LOG_LEVELS].join(", ")}`);
    }
    config.logLevel = doc.logLevel;
  }
  return config;
}

export async function loadGatewayConfig(file: string): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new GatewayConfigError(`cannot read gateway config ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new GatewayConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  return parseGatewayConfig(doc, file);
}
