// The gateway's route table: one entry per CSI operation, pairing its HTTP route with the body
// validator, the backend call and the shape of the answer. README "Driver gateway" documents it.
import type { SecretRef } from "../../shared/gateway/types.js";
import type { Backend, Secrets } from "./backend.js";
import {
  parseCreateGroupSnapshot,
  parseCreateSnapshot,
  parseCreateVolume,
  parseExpandVolume,
  parseGroupSnapshotRef,
  parseListSnapshots,
  parseSnapshotRef,
  parseVolumeRef,
} from "./validate.js";

/** A validated request, ready to run: its secretRef (if any) and how to call the backend once secrets are resolved. */
export interface PreparedCall {
  secretRef?: SecretRef;
  /** The object a log line is about, when the request names one. */
  target?: string;
  run(backend: Backend, secrets: Secrets | undefined): Promise<unknown>;
}

export interface Operation {
  /** Metric and log label: the GatewayClient method name. */
  name: string;
  method: "GET" | "POST";
  /** Path below /v1/drivers/:driver. */
  path: string;
  /** 204 answers carry no body. */
  noContent?: boolean;
  /** Validates the body (GET operations get undefined); throws INVALID_ARGUMENT naming the field. */
  prepare(body: unknown): PreparedCall;
}

type BackendRequest<R> = Omit<R, "secretRef"> & { secrets?: Secrets };

function op<R extends { secretRef?: SecretRef }>(def: {
  name: string;
  method?: "GET" | "POST";
  path: string;
  noContent?: boolean;
  parse(body: unknown): R;
  call(backend: Backend, req: BackendRequest<R>): Promise<unknown>;
  target?(req: R): string | undefined;
}): Operation {
  return {
    name: def.name,
    method: def.method ?? "POST",
    path: def.path,
    noContent: def.noContent,
    prepare(body) {
      const req = def.parse(body);
      const { secretRef, ...rest } = req;
      return {
        secretRef,
        target: def.target?.(req),
        // The backend sees the request without its secretRef and with the resolved values.
        run: (backend, secrets) => def.call(backend, secrets ? { ...rest, secrets } : rest),
      };
    },
  };
}

export const OPERATIONS: readonly Operation[] = [
  op({
    name: "capabilities",
    method: "GET",
    path: "/capabilities",
    parse: () => ({}),
    call: (b) => b.capabilities(),
  }),
  op({
    name: "createVolume",
    path: "/volumes",
    parse: parseCreateVolume,
    call: (b, req) => b.createVolume(req),
    target: (req) => req.name,
  }),
  op({
    name: "deleteVolume",
    path: "/volumes/delete",
    noContent: true,
    parse: parseVolumeRef,
    call: (b, req) => b.deleteVolume(req),
    target: (req) => req.volumeId,
  }),
  op({
    name: "expandVolume",
    path: "/volumes/expand",
    parse: parseExpandVolume,
    call: (b, req) => b.expandVolume(req),
    target: (req) => req.volumeId,
  }),
  op({
    name: "createSnapshot",
    path: "/snapshots",
    parse: parseCreateSnapshot,
    call: (b, req) => b.createSnapshot(req),
    target: (req) => req.name,
  }),
  op({
    name: "getSnapshot",
    path: "/snapshots/get",
    parse: parseSnapshotRef,
    call: async (b, req) => ({ snapshot: (await b.getSnapshot(req)) ?? null }),
    target: (req) => req.snapshotId,
  }),
  op({
    name: "listSnapshots",
    path: "/snapshots/list",
    parse: parseListSnapshots,
    call: (b, req) => b.listSnapshots(req),
    target: (req) => req.snapshotId ?? req.sourceVolumeId,
  }),
  op({
    name: "deleteSnapshot",
    path: "/snapshots/delete",
    noContent: true,
    parse: parseSnapshotRef,
    call: (b, req) => b.deleteSnapshot(req),
    target: (req) => req.snapshotId,
  }),
  op({
    name: "createGroupSnapshot",
    path: "/group-snapshots",
    parse: parseCreateGroupSnapshot,
    call: (b, req) => b.createGroupSnapshot(req),
    target: (req) => req.name,
  }),
  op({
    name: "getGroupSnapshot",
    path: "/group-snapshots/get",
    parse: parseGroupSnapshotRef,
    call: async (b, req) => ({ groupSnapshot: await b.getGroupSnapshot(req) }),
    target: (req) => req.groupSnapshotId,
  }),
  op({
    name: "deleteGroupSnapshot",
    path: "/group-snapshots/delete",
    noContent: true,
    parse: parseGroupSnapshotRef,
    call: (b, req) => b.deleteGroupSnapshot(req),
    target: (req) => req.groupSnapshotId,
  }),
];
