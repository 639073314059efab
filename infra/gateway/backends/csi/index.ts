// Factory for the `csi` backend kind: validates the driver's YAML entry
//   <driver-name>: { backend: csi, address: unix:///abs/path.sock, timeoutSeconds: 30 }
import { GatewayConfigError } from "../../config.js";
import type { Backend } from "../../backend.js";
import type { BackendHooks } from "../registry.js";
import { CsiBackend } from "./backend.js";

export { CsiBackend, type CsiBackendOptions } from "./backend.js";

export const DEFAULT_CSI_TIMEOUT_SECONDS = 30;

/** unix:///abs/path.sock, or a bare absolute path (as sidecars accept for --csi-address). */
export function normalizeCsiAddress(address: string): string | undefined {
  if (address.startsWith("unix:///")) return address;
  if (address.startsWith("/")) return `unix://${address}`;
  return undefined;
}

export function createCsiBackend(driverName: string, entry: Record<string, unknown>, hooks?: BackendHooks): Backend {
  const where = `drivers."${driverName}"`;
  for (const key of Object.keys(entry)) {
    if (!["backend", "address", "timeoutSeconds"].includes(key)) {
      throw new GatewayConfigError(`${where}.${key}: unknown key for backend csi (expected address, timeoutSeconds)`);
    }
  }
  if (typeof entry.address !== "string") throw new GatewayConfigError(`${where}.address: required (unix:///abs/path.sock)`);
  const address = normalizeCsiAddress(entry.address);
  if (!address) throw new GatewayConfigError(`${where}.address: must be unix:///absolute/path.sock or an absolute path`);
  const timeoutSeconds = entry.timeoutSeconds ?? DEFAULT_CSI_TIMEOUT_SECONDS;
  if (typeof timeoutSeconds !== "number" || !(timeoutSeconds > 0) || timeoutSeconds > 3600) {
    throw new GatewayConfigError(`${where}.timeoutSeconds: must be a number of seconds between 0 and 3600`);
  }
  const observe = hooks?.observeCsiCall;
  return new CsiBackend({
    driverName,
    address,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    ...(observe ? { onCall: (method: string, code: string, seconds: number) => observe.call(hooks, driverName, method, code, seconds) } : {}),
  });
}
