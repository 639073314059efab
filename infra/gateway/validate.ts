// Precise request validation: every rejection is INVALID_ARGUMENT naming the offending field
// (e.g. "body.capabilities[0].accessMode: ..."), checked before anything reaches a backend.
// Limits follow the CSI spec: strings (names, ids) at most 128 bytes, maps at most 4 KiB.
import {
  GatewayError,
  type CreateGroupSnapshotRequest,
  type CreateSnapshotRequest,
  type CreateVolumeRequest,
  type ExpandVolumeRequest,
  type GroupSnapshotRef,
  type ListSnapshotsRequest,
  type SecretRef,
  type VolumeCapability,
} from "../../shared/gateway/types.js";

export const ACCESS_MODES = [
  "SINGLE_NODE_WRITER",
  "SINGLE_NODE_READER_ONLY",
  "MULTI_NODE_READER_ONLY",
  "MULTI_NODE_SINGLE_WRITER",
  "MULTI_NODE_MULTI_WRITER",
  "SINGLE_NODE_SINGLE_WRITER",
  "SINGLE_NODE_MULTI_WRITER",
] as const;

const MAX_STRING_BYTES = 128;
const MAX_MAP_BYTES = 4096;
const MAX_LIST_ITEMS = 1000;
// Control characters the spec forbids in names (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+007F–U+009F).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_NAME_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A validated topology requirement (CSI TopologyRequirement). */
export interface TopologyRequirement {
  requisite?: Array<{ segments: Record<string, string> }>;
  preferred?: Array<{ segments: Record<string, string> }>;
}

function invalid(path: string, problem: string): GatewayError {
  return new GatewayError("INVALID_ARGUMENT", `${path}: ${problem}`, false);
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string, allowed: readonly string[]): Obj {
  if (!isObj(value)) throw invalid(path, "must be a JSON object");
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(`${path}.${key}`, `unknown field (allowed: ${allowed.join(", ")})`);
  }
  return value;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function string(value: unknown, path: string, opts: { name?: boolean; maxBytes?: number } = {}): string {
  if (value === undefined || value === null) throw invalid(path, "required");
  if (typeof value !== "string") throw invalid(path, "must be a string");
  if (value.length === 0) throw invalid(path, "must not be empty");
  const max = opts.maxBytes ?? MAX_STRING_BYTES;
  if (byteLength(value) > max) throw invalid(path, `must be at most ${max} bytes`);
  if (opts.name && FORBIDDEN_NAME_CHARS.test(value)) throw invalid(path, "must not contain control characters");
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : string(value, path);
}

function bytes(value: unknown, path: string, opts: { positive?: boolean } = {}): number {
  if (value === undefined || value === null) throw invalid(path, "required");
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw invalid(path, "must be an integer number of bytes");
  if (value < 0) throw invalid(path, "must not be negative");
  if (opts.positive && value === 0) throw invalid(path, "must be greater than 0");
  return value;
}

function optionalBytes(value: unknown, path: string): number | undefined {
  return value === undefined ? undefined : bytes(value, path);
}

function stringMap(value: unknown, path: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObj(value)) throw invalid(path, "must be an object of string values");
  let total = 0;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw invalid(`${path}.${key}`, "must be a string");
    total += byteLength(key) + byteLength(v);
  }
  if (total > MAX_MAP_BYTES) throw invalid(path, `must total at most ${MAX_MAP_BYTES} bytes of keys and values`);
  return value as Record<string, string>;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) throw invalid(path, "required");
  if (!Array.isArray(value)) throw invalid(path, "must be an array");
  if (value.length === 0) throw invalid(path, "must not be empty");
  if (value.length > MAX_LIST_ITEMS) throw invalid(path, `must have at most ${MAX_LIST_ITEMS} items`);
  return value;
}

function secretRef(value: unknown, path: string): SecretRef | undefined {
  if (value === undefined) return undefined;
  const o = object(value, path, ["name", "namespace"]);
  const name = string(o.name, `${path}.name`, { maxBytes: 253 });
  if (!DNS_SUBDOMAIN.test(name)) throw invalid(`${path}.name`, "must be a valid Kubernetes object name");
  const namespace = string(o.namespace, `${path}.namespace`, { maxBytes: 63 });
  if (!DNS_LABEL.test(namespace)) throw invalid(`${path}.namespace`, "must be a valid Kubernetes namespace name");
  return { name, namespace };
}

function capability(value: unknown, path: string): VolumeCapability {
  const o = object(value, path, ["accessMode", "volumeMode", "fsType", "mountFlags"]);
  const accessMode = string(o.accessMode, `${path}.accessMode`);
  if (!(ACCESS_MODES as readonly string[]).includes(accessMode)) {
    throw invalid(`${path}.accessMode`, `must be one of ${ACCESS_MODES.join(", ")}`);
  }
  if (o.volumeMode !== "Filesystem" && o.volumeMode !== "Block") {
    throw invalid(`${path}.volumeMode`, 'must be "Filesystem" or "Block"');
  }
  const cap: VolumeCapability = { accessMode, volumeMode: o.volumeMode };
  if (o.fsType !== undefined) {
    if (o.volumeMode === "Block") throw invalid(`${path}.fsType`, 'only allowed with volumeMode "Filesystem"');
    cap.fsType = string(o.fsType, `${path}.fsType`);
  }
  if (o.mountFlags !== undefined) {
    if (o.volumeMode === "Block") throw invalid(`${path}.mountFlags`, 'only allowed with volumeMode "Filesystem"');
    if (!Array.isArray(o.mountFlags)) throw invalid(`${path}.mountFlags`, "must be an array of strings");
    cap.mountFlags = o.mountFlags.map((f, i) => string(f, `${path}.mountFlags[${i}]`));
    if (cap.mountFlags.reduce((n, f) => n + byteLength(f), 0) > MAX_MAP_BYTES) {
      throw invalid(`${path}.mountFlags`, `must total at most ${MAX_MAP_BYTES} bytes`);
    }
  }
  return cap;
}

function topologyList(value: unknown, path: string): Array<{ segments: Record<string, string> }> | undefined {
  if (value === undefined) return undefined;
  return list(value, path).map((t, i) => {
    const o = object(t, `${path}[${i}]`, ["segments"]);
    const segments = stringMap(o.segments, `${path}[${i}].segments`);
    if (!segments) throw invalid(`${path}[${i}].segments`, "required");
    return { segments };
  });
}

function topology(value: unknown, path: string): TopologyRequirement | undefined {
  if (value === undefined) return undefined;
  const o = object(value, path, ["requisite", "preferred"]);
  const req: TopologyRequirement = {};
  const requisite = topologyList(o.requisite, `${path}.requisite`);
  const preferred = topologyList(o.preferred, `${path}.preferred`);
  if (requisite) req.requisite = requisite;
  if (preferred) req.preferred = preferred;
  return req;
}

function idList(value: unknown, path: string): string[] {
  const ids = list(value, path).map((id, i) => string(id, `${path}[${i}]`));
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) throw invalid(`${path}[${i}]`, `duplicate id "${id}"`);
    seen.add(id);
  });
  return ids;
}

/** Drops keys whose value is undefined, so responses and backend calls carry no noise. */
function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as Array<keyof T>) if (o[key] === undefined) delete o[key];
  return o;
}

export function parseCreateVolume(body: unknown): CreateVolumeRequest & { accessibilityRequirements?: TopologyRequirement } {
  const o = object(body, "body", [
    "name", "requiredBytes", "limitBytes", "capabilities", "parameters", "secretRef", "source", "accessibilityRequirements",
  ]);
  const req = compact({
    name: string(o.name, "body.name", { name: true }),
    requiredBytes: optionalBytes(o.requiredBytes, "body.requiredBytes"),
    limitBytes: optionalBytes(o.limitBytes, "body.limitBytes"),
    capabilities: list(o.capabilities, "body.capabilities").map((c, i) => capability(c, `body.capabilities[${i}]`)),
    parameters: stringMap(o.parameters, "body.parameters"),
    secretRef: secretRef(o.secretRef, "body.secretRef"),
    source: undefined as CreateVolumeRequest["source"],
    accessibilityRequirements: topology(o.accessibilityRequirements, "body.accessibilityRequirements"),
  });
  if (req.requiredBytes && req.limitBytes && req.limitBytes < req.requiredBytes) {
    throw invalid("body.limitBytes", "must not be smaller than body.requiredBytes");
  }
  if (o.source !== undefined) {
    const s = object(o.source, "body.source", ["snapshotId", "volumeId"]);
    if ((s.snapshotId === undefined) === (s.volumeId === undefined)) {
      throw invalid("body.source", "must have exactly one of snapshotId, volumeId");
    }
    req.source = s.snapshotId !== undefined
      ? { snapshotId: string(s.snapshotId, "body.source.snapshotId") }
      : { volumeId: string(s.volumeId, "body.source.volumeId") };
  }
  return req;
}

export function parseVolumeRef(body: unknown): { volumeId: string; secretRef?: SecretRef } {
  const o = object(body, "body", ["volumeId", "secretRef"]);
  return compact({ volumeId: string(o.volumeId, "body.volumeId"), secretRef: secretRef(o.secretRef, "body.secretRef") });
}

export function parseExpandVolume(body: unknown): ExpandVolumeRequest {
  const o = object(body, "body", ["volumeId", "requiredBytes", "limitBytes", "capability", "secretRef"]);
  const req = compact({
    volumeId: string(o.volumeId, "body.volumeId"),
    requiredBytes: bytes(o.requiredBytes, "body.requiredBytes", { positive: true }),
    limitBytes: optionalBytes(o.limitBytes, "body.limitBytes"),
    capability: o.capability === undefined ? undefined : capability(o.capability, "body.capability"),
    secretRef: secretRef(o.secretRef, "body.secretRef"),
  });
  if (req.limitBytes && req.limitBytes < req.requiredBytes) {
    throw invalid("body.limitBytes", "must not be smaller than body.requiredBytes");
  }
  return req;
}

export function parseCreateSnapshot(body: unknown): CreateSnapshotRequest {
  const o = object(body, "body", ["name", "sourceVolumeId", "parameters", "secretRef"]);
  return compact({
    name: string(o.name, "body.name", { name: true }),
    sourceVolumeId: string(o.sourceVolumeId, "body.sourceVolumeId"),
    parameters: stringMap(o.parameters, "body.parameters"),
    secretRef: secretRef(o.secretRef, "body.secretRef"),
  });
}

export function parseSnapshotRef(body: unknown): { snapshotId: string; secretRef?: SecretRef } {
  const o = object(body, "body", ["snapshotId", "secretRef"]);
  return compact({ snapshotId: string(o.snapshotId, "body.snapshotId"), secretRef: secretRef(o.secretRef, "body.secretRef") });
}

export function parseListSnapshots(body: unknown): ListSnapshotsRequest {
  const o = object(body ?? {}, "body", ["snapshotId", "sourceVolumeId", "maxEntries", "startingToken", "secretRef"]);
  const req = compact({
    snapshotId: optionalString(o.snapshotId, "body.snapshotId"),
    sourceVolumeId: optionalString(o.sourceVolumeId, "body.sourceVolumeId"),
    maxEntries: optionalBytes(o.maxEntries, "body.maxEntries"),
    startingToken: optionalString(o.startingToken, "body.startingToken"),
    secretRef: secretRef(o.secretRef, "body.secretRef"),
  });
  if (req.maxEntries !== undefined && req.maxEntries > 2 ** 31 - 1) throw invalid("body.maxEntries", "must fit a 32-bit integer");
  return req;
}

export function parseCreateGroupSnapshot(body: unknown): CreateGroupSnapshotRequest {
  const o = object(body, "body", ["name", "sourceVolumeIds", "parameters", "secretRef"]);
  return compact({
    name: string(o.name, "body.name", { name: true }),
    sourceVolumeIds: idList(o.sourceVolumeIds, "body.sourceVolumeIds"),
    parameters: stringMap(o.parameters, "body.parameters"),
    secretRef: secretRef(o.secretRef, "body.secretRef"),
  });
}

export function parseGroupSnapshotRef(body: unknown): GroupSnapshotRef {
  const o = object(body, "body", ["groupSnapshotId", "snapshotIds", "secretRef"]);
  return compact({
    groupSnapshotId: string(o.groupSnapshotId, "body.groupSnapshotId"),
    snapshotIds: idList(o.snapshotIds, "body.snapshotIds"),
    secretRef: secretRef(o.secretRef, "body.secretRef"),
  });
}
