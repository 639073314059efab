// Loads snapflow's CSI proto (shared/csi/csi.proto) once and hands out typed gRPC service
// constructors and definitions, so the hostpath driver (server) and the gateway's CSI backend (client)
// agree on one wire contract and one set of TypeScript shapes.
//
// Loader options are fixed for everyone: camelCase fields, int64 as decimal strings (a JS number
// would lose precision above 2^53), enums as their names, defaults filled in, and oneof
// discriminators (`type`, `accessType`) present on decoded messages.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type * as m from "./messages.js";

export type * from "./messages.js";

export const CSI_PROTO_PATH = fileURLToPath(new URL("./csi.proto", import.meta.url));

export const CSI_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** A unary method as the generated client exposes it (all grpc-js overloads). */
export interface UnaryMethod<Req, Res> {
  (request: Req, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, metadata: grpc.Metadata, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
  (request: Req, options: Partial<grpc.CallOptions>, callback: grpc.requestCallback<Res>): grpc.ClientUnaryCall;
}

/** Requests go out as partial objects (proto3 fills defaults); responses come back fully decoded. */
type ClientOf<S> = grpc.Client & {
  [K in keyof S]: S[K] extends [infer Req, infer Res] ? UnaryMethod<m.Outgoing<Req>, Res> : never;
};

/** Handlers get fully decoded requests and may answer with partial responses. */
type HandlersOf<S> = {
  [K in keyof S]: S[K] extends [infer Req, infer Res] ? grpc.handleUnaryCall<Req, m.Outgoing<Res>> : never;
};

interface IdentityMethods {
  GetPluginInfo: [m.GetPluginInfoRequest, m.GetPluginInfoResponse];
  GetPluginCapabilities: [m.GetPluginCapabilitiesRequest, m.GetPluginCapabilitiesResponse];
  Probe: [m.ProbeRequest, m.ProbeResponse];
}

interface ControllerMethods {
  CreateVolume: [m.CreateVolumeRequest, m.CreateVolumeResponse];
  DeleteVolume: [m.DeleteVolumeRequest, m.DeleteVolumeResponse];
  ValidateVolumeCapabilities: [m.ValidateVolumeCapabilitiesRequest, m.ValidateVolumeCapabilitiesResponse];
  ControllerGetCapabilities: [m.ControllerGetCapabilitiesRequest, m.ControllerGetCapabilitiesResponse];
  CreateSnapshot: [m.CreateSnapshotRequest, m.CreateSnapshotResponse];
  DeleteSnapshot: [m.DeleteSnapshotRequest, m.DeleteSnapshotResponse];
  ListSnapshots: [m.ListSnapshotsRequest, m.ListSnapshotsResponse];
  GetSnapshot: [m.GetSnapshotRequest, m.GetSnapshotResponse];
  ControllerExpandVolume: [m.ControllerExpandVolumeRequest, m.ControllerExpandVolumeResponse];
  ControllerGetVolume: [m.ControllerGetVolumeRequest, m.ControllerGetVolumeResponse];
}

interface GroupControllerMethods {
  GroupControllerGetCapabilities: [m.GroupControllerGetCapabilitiesRequest, m.GroupControllerGetCapabilitiesResponse];
  CreateVolumeGroupSnapshot: [m.CreateVolumeGroupSnapshotRequest, m.CreateVolumeGroupSnapshotResponse];
  DeleteVolumeGroupSnapshot: [m.DeleteVolumeGroupSnapshotRequest, m.DeleteVolumeGroupSnapshotResponse];
  GetVolumeGroupSnapshot: [m.GetVolumeGroupSnapshotRequest, m.GetVolumeGroupSnapshotResponse];
}

interface NodeMethods {
  NodeGetCapabilities: [m.NodeGetCapabilitiesRequest, m.NodeGetCapabilitiesResponse];
}

export type IdentityClient = ClientOf<IdentityMethods>;
export type ControllerClient = ClientOf<ControllerMethods>;
export type GroupControllerClient = ClientOf<GroupControllerMethods>;
export type NodeClient = ClientOf<NodeMethods>;

export type IdentityHandlers = HandlersOf<IdentityMethods>;
export type ControllerHandlers = HandlersOf<ControllerMethods>;
export type GroupControllerHandlers = HandlersOf<GroupControllerMethods>;
export type NodeHandlers = HandlersOf<NodeMethods>;

type ClientConstructor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C;

export interface CsiServices {
  Identity: { service: grpc.ServiceDefinition; Client: ClientConstructor<IdentityClient> };
  Controller: { service: grpc.ServiceDefinition; Client: ClientConstructor<ControllerClient> };
  GroupController: { service: grpc.ServiceDefinition; Client: ClientConstructor<GroupControllerClient> };
  Node: { service: grpc.ServiceDefinition; Client: ClientConstructor<NodeClient> };
}

let loaded: CsiServices | undefined;

/** The CSI services snapflow speaks (of Node, only its capabilities). Parsed once per process. */
export function loadCsi(): CsiServices {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(CSI_PROTO_PATH, CSI_LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    csi: { v1: Record<"Identity" | "Controller" | "GroupController" | "Node", grpc.ServiceClientConstructor> };
  };
  const pick = <C>(name: "Identity" | "Controller" | "GroupController" | "Node") => {
    const ctor = root.csi.v1[name];
    return { service: ctor.service, Client: ctor as unknown as ClientConstructor<C> };
  };
  loaded = {
    Identity: pick<IdentityClient>("Identity"),
    Controller: pick<ControllerClient>("Controller"),
    GroupController: pick<GroupControllerClient>("GroupController"),
    Node: pick<NodeClient>("Node"),
  };
  return loaded;
}

/** The gRPC status code name for a numeric code (e.g. 5 → "NOT_FOUND"); "UNKNOWN" for anything else. */
export function statusName(code: number): string {
  return grpc.status[code] ?? "UNKNOWN";
}

/** Awaitable unary call: `await callUnary(client.CreateSnapshot.bind(client), req, { deadline })`. */
export function callUnary<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: Partial<grpc.CallOptions> = {},
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (err, res) => {
      if (err) reject(err);
      else resolve(res as Res);
    });
  });
}
