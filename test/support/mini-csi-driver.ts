// A small, real CSI gRPC server (shared/csi proto, unix socket) whose identity and capabilities a
// test chooses, for what the hostpath driver cannot show: a driver that lacks capabilities, one
// that expands volumes on the node only, one that is not ready or has another name, one that is
// slow, and one that echoes the secrets it was given in its answers. Snapshots and volumes it
// creates live in memory; a slow CreateVolume creates its volume even when the caller gave up.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  loadCsi,
  type ControllerHandlers,
  type ControllerRpcType,
  type CreateVolumeRequest,
  type GroupControllerHandlers,
  type GroupControllerRpcType,
  type IdentityHandlers,
  type NodeHandlers,
  type NodeRpcType,
  type PluginServiceType,
  type Snapshot,
} from "../../shared/csi/load.js";

export interface MiniCsiOptions {
  name: string;
  controller?: ControllerRpcType[];
  group?: GroupControllerRpcType[];
  /** Probe answers ready=false while this is false. */
  ready?: boolean;
  /** Plugin capabilities beyond CONTROLLER_SERVICE (and GROUP_CONTROLLER_SERVICE when `group` is set). */
  plugin?: PluginServiceType[];
  /** false: CONTROLLER_SERVICE is not announced (the Controller service still answers). */
  controllerService?: boolean;
  /** Serves the Node service with these capabilities; absent, Node calls are UNIMPLEMENTED. */
  node?: NodeRpcType[];
  /** With `node`: the first this many NodeGetCapabilities calls answer INTERNAL. */
  nodeFailures?: number;
}

export interface MiniCsiDriver {
  endpoint: string;
  /** Calls received, by method name, in order. */
  calls: string[];
  /** Secrets received by the last call that carried any. */
  lastSecrets(): Record<string, string> | undefined;
  /** The last CreateVolume request as the driver decoded it. */
  lastCreateVolume(): CreateVolumeRequest | undefined;
  /** The ids of the volumes it holds (created and not deleted), sorted. */
  volumes(): string[];
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

type Status = { code: grpc.status; details: string };

function fail(code: grpc.status, details: string): Status {
  return { code, details };
}

/**
 * Behaviour steered by request parameters (CreateVolume / CreateSnapshot):
 *   fail=<CODE NAME>  answer that gRPC status, with a message quoting every secret received;
 *   echo=true         copy the received secrets into the answer (volume context / snapshot id);
 *   delayMs=<n>       answer only after n ms (a CreateVolume of a volume it already holds answers at
 *                     once, as a driver that finds the volume by name does).
 */
export async function startMiniCsiDriver(opts: MiniCsiOptions): Promise<MiniCsiDriver> {
  const dir = mkdtempSync(join(tmpdir(), "mini-csi-"));
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const csi = loadCsi();
  const calls: string[] = [];
  let ready = opts.ready ?? true;
  let lastSecrets: Record<string, string> | undefined;
  let lastCreateVolume: CreateVolumeRequest | undefined;
  const snapshots = new Map<string, Snapshot>();
  /** Volumes by CSI name (CreateVolume is idempotent by name); the id is `vol-<name>`. */
  const volumes = new Map<string, string>();
  // Delayed answers still pending at close are dropped, so nothing outlives the test.
  const timers = new Set<NodeJS.Timeout>();

  const note = (method: string, secrets?: Record<string, string>) => {
    calls.push(method);
    if (secrets && Object.keys(secrets).length > 0) lastSecrets = secrets;
  };
  const steer = async (parameters: Record<string, string>, secrets: Record<string, string>): Promise<Status | undefined> => {
    if (parameters.delayMs) {
      await new Promise<void>((r) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          r();
        }, Number(parameters.delayMs));
        timers.add(timer);
      });
    }
    if (parameters.fail) {
      const code = grpc.status[parameters.fail as keyof typeof grpc.status] as grpc.status;
      return fail(code, `rejected; credentials were ${JSON.stringify(secrets)} (user=${secrets.username ?? ""})`);
    }
    return undefined;
  };

  const services: PluginServiceType[] = opts.controllerService === false ? [] : ["CONTROLLER_SERVICE"];
  if ((opts.group ?? []).length > 0) services.push("GROUP_CONTROLLER_SERVICE");
  services.push(...(opts.plugin ?? []));

  const identity: IdentityHandlers = {
    GetPluginInfo: (_call, cb) => {
      note("GetPluginInfo");
      cb(null, { name: opts.name, vendorVersion: "0.0.1-test" });
    },
    GetPluginCapabilities: (_call, cb) => {
      note("GetPluginCapabilities");
      cb(null, { capabilities: services.map((type) => ({ service: { type } })) });
    },
    Probe: (_call, cb) => {
      note("Probe");
      cb(null, { ready: { value: ready } });
    },
  };

  const unimplemented = (method: string) => (_call: unknown, cb: (err: Status) => void) => {
    note(method);
    cb(fail(grpc.status.UNIMPLEMENTED, `${method} not implemented`));
  };

  const controller: ControllerHandlers = {
    ControllerGetCapabilities: (_call, cb) => {
      note("ControllerGetCapabilities");
      cb(null, { capabilities: (opts.controller ?? []).map((type) => ({ rpc: { type } })) });
    },
    CreateVolume: async (call, cb) => {
      const r = call.request;
      note("CreateVolume", r.secrets);
      lastCreateVolume = r;
      if (!volumes.has(r.name)) {
        const err = await steer(r.parameters, r.secrets);
        if (err) return cb(err);
        // Made whether or not the caller still waits (its deadline may have passed meanwhile).
        volumes.set(r.name, `vol-${r.name}`);
      }
      const volumeContext: Record<string, string> = r.parameters.echo === "true" ? { ...r.secrets } : {};
      cb(null, { volume: { volumeId: volumes.get(r.name)!, capacityBytes: r.capacityRange?.requiredBytes ?? "0", volumeContext } });
    },
    DeleteVolume: (call, cb) => {
      note("DeleteVolume", call.request.secrets);
      for (const [name, id] of volumes) if (id === call.request.volumeId) volumes.delete(name);
      cb(null, {});
    },
    CreateSnapshot: async (call, cb) => {
      const r = call.request;
      note("CreateSnapshot", r.secrets);
      const err = await steer(r.parameters, r.secrets);
      if (err) return cb(err);
      const snapshot: Snapshot = {
        snapshotId: `snap-${r.name}`,
        sourceVolumeId: r.sourceVolumeId,
        sizeBytes: "4096",
        creationTime: { seconds: "1700000000", nanos: 5 },
        readyToUse: true,
        groupSnapshotId: "",
      };
      snapshots.set(snapshot.snapshotId, snapshot);
      cb(null, { snapshot });
    },
    DeleteSnapshot: (call, cb) => {
      note("DeleteSnapshot", call.request.secrets);
      snapshots.delete(call.request.snapshotId);
      cb(null, {});
    },
    ListSnapshots: (call, cb) => {
      const r = call.request;
      note("ListSnapshots", r.secrets);
      const entries = [...snapshots.values()]
        .filter((s) => (!r.snapshotId || s.snapshotId === r.snapshotId) && (!r.sourceVolumeId || s.sourceVolumeId === r.sourceVolumeId))
        .map((snapshot) => ({ snapshot }));
      cb(null, { entries, nextToken: "" });
    },
    GetSnapshot: (call, cb) => {
      note("GetSnapshot", call.request.secrets);
      const snapshot = snapshots.get(call.request.snapshotId);
      if (!snapshot) return cb(fail(grpc.status.NOT_FOUND, `snapshot ${call.request.snapshotId} not found`));
      cb(null, { snapshot });
    },
    ControllerExpandVolume: (call, cb) => {
      note("ControllerExpandVolume", call.request.secrets);
      cb(null, { capacityBytes: call.request.capacityRange?.requiredBytes ?? "0", nodeExpansionRequired: false });
    },
    ControllerGetVolume: unimplemented("ControllerGetVolume"),
    ValidateVolumeCapabilities: unimplemented("ValidateVolumeCapabilities"),
  };

  const group: GroupControllerHandlers = {
    GroupControllerGetCapabilities: (_call, cb) => {
      note("GroupControllerGetCapabilities");
      cb(null, { capabilities: (opts.group ?? []).map((type) => ({ rpc: { type } })) });
    },
    CreateVolumeGroupSnapshot: (call, cb) => {
      note("CreateVolumeGroupSnapshot", call.request.secrets);
      const groupSnapshotId = `group-${randomUUID()}`;
      cb(null, { groupSnapshot: { groupSnapshotId, snapshots: [], creationTime: { seconds: "1", nanos: 0 }, readyToUse: true } });
    },
    DeleteVolumeGroupSnapshot: (call, cb) => {
      note("DeleteVolumeGroupSnapshot", call.request.secrets);
      cb(null, {});
    },
    GetVolumeGroupSnapshot: (call, cb) => {
      note("GetVolumeGroupSnapshot", call.request.secrets);
      cb(fail(grpc.status.NOT_FOUND, `group ${call.request.groupSnapshotId} not found`));
    },
  };

  let nodeFailuresLeft = opts.nodeFailures ?? 0;
  const node: NodeHandlers = {
    NodeGetCapabilities: (_call, cb) => {
      note("NodeGetCapabilities");
      if (nodeFailuresLeft > 0) {
        nodeFailuresLeft--;
        cb(fail(grpc.status.INTERNAL, "node service not ready"));
        return;
      }
      cb(null, { capabilities: (opts.node ?? []).map((type) => ({ rpc: { type } })) });
    },
  };

  const server = new grpc.Server();
  server.addService(csi.Identity.service, identity as unknown as grpc.UntypedServiceImplementation);
  server.addService(csi.Controller.service, controller as unknown as grpc.UntypedServiceImplementation);
  server.addService(csi.GroupController.service, group as unknown as grpc.UntypedServiceImplementation);
  if (opts.node) server.addService(csi.Node.service, node as unknown as grpc.UntypedServiceImplementation);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(endpoint, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );

  return {
    endpoint,
    calls,
    lastSecrets: () => lastSecrets,
    lastCreateVolume: () => lastCreateVolume,
    volumes: () => [...volumes.values()].sort(),
    setReady: (value) => {
      ready = value;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
