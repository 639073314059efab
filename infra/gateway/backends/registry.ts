// Backend kinds the gateway can build from its YAML config. Each backend module registers one
// factory under its kind; the gateway looks the kind up per configured driver name.
import type { Backend } from "../backend.js";
import { createCsiBackend } from "./csi/index.js";
import { createAwsEbsBackend } from "./aws-ebs/index.js";

/** What a backend may report to the gateway (its metrics). */
export interface BackendHooks {
  observeCsiCall?(driver: string, method: string, grpcStatusCode: string, seconds: number): void;
}

/** `entry` is the driver's YAML mapping as parsed (including `backend: <kind>`); the factory validates it. */
export type BackendFactory = (driverName: string, entry: Record<string, unknown>, hooks?: BackendHooks) => Promise<Backend> | Backend;

// One line per backend kind: ["<kind>", <factory>].
const factories = new Map<string, BackendFactory>([
  ["csi", createCsiBackend],
  ["aws-ebs", createAwsEbsBackend],
]);

export function registerBackend(kind: string, factory: BackendFactory): void {
  factories.set(kind, factory);
}

export function backendFactory(kind: string): BackendFactory | undefined {
  return factories.get(kind);
}

export function backendKinds(): string[] {
  return [...factories.keys()].sort();
}
