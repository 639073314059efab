// Serves a HostpathDriver as a CSI plugin: Identity, Controller and GroupController on one unix
// socket. RPCs not in the project's proto (Node, SnapshotMetadata, ...) answer UNIMPLEMENTED.
import * as fs from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import type { ControllerHandlers, GroupControllerHandlers, IdentityHandlers } from "../../shared/csi/load.js";
import { loadCsi } from "../../shared/csi/load.js";
import type { HostpathDriver } from "./driver.js";
import { removeStaleSocket, socketPathOf } from "./endpoint.js";
import { CsiError } from "./errors.js";

export interface CsiServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Milliseconds close() lets running calls finish before cutting them off. */
const GRACEFUL_STOP_MS = 5000;

/** Serves `driver` on `endpoint`; the returned close() stops the server and then closes the driver. */
export async function serveCsi(driver: HostpathDriver, endpoint: string): Promise<CsiServer> {
  const socketPath = socketPathOf(endpoint);
  await removeStaleSocket(socketPath);

  const csi = loadCsi();
  const server = new grpc.Server();
  server.addService(csi.Identity.service, identityHandlers(driver));
  server.addService(csi.Controller.service, controllerHandlers(driver));
  server.addService(csi.GroupController.service, groupControllerHandlers(driver));

  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );

  let closing: Promise<void> | undefined;
  return {
    endpoint: `unix://${socketPath}`,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, GRACEFUL_STOP_MS);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await driver.close();
        await fs.rm(socketPath, { force: true });
      })()),
  };
}

/** Adapts `(request) => response | Promise<response>` to a grpc-js unary handler. */
function unary<Req, Res>(work: (request: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => work(call.request))
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toStatus(err)),
      );
  };
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof CsiError) return { code: err.code, details: err.message };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return { code: grpc.status.RESOURCE_EXHAUSTED, details: "not enough space in the data dir" };
  return { code: grpc.status.INTERNAL, details: `hostpath driver: ${(err as Error | undefined)?.message ?? String(err)}` };
}

function identityHandlers(driver: HostpathDriver): IdentityHandlers {
  return {
    GetPluginInfo: unary(() => driver.pluginInfo()),
    GetPluginCapabilities: unary(() => driver.pluginCapabilities()),
    Probe: unary(() => driver.probe()),
  };
}

function controllerHandlers(driver: HostpathDriver): ControllerHandlers {
  return {
    CreateVolume: unary((req) => driver.createVolume(req)),
    DeleteVolume: unary((req) => driver.deleteVolume(req)),
    ValidateVolumeCapabilities: unary((req) => driver.validateVolumeCapabilities(req)),
    ControllerGetCapabilities: unary(() => driver.controllerCapabilities()),
    CreateSnapshot: unary((req) => driver.createSnapshot(req)),
    DeleteSnapshot: unary((req) => driver.deleteSnapshot(req)),
    ListSnapshots: unary((req) => driver.listSnapshots(req)),
    GetSnapshot: unary((req) => driver.getSnapshot(req)),
    ControllerExpandVolume: unary((req) => driver.expandVolume(req)),
    ControllerGetVolume: unary((req) => driver.getVolume(req)),
  };
}

function groupControllerHandlers(driver: HostpathDriver): GroupControllerHandlers {
  return {
    GroupControllerGetCapabilities: unary(() => driver.groupControllerCapabilities()),
    CreateVolumeGroupSnapshot: unary((req) => driver.createGroupSnapshot(req)),
    DeleteVolumeGroupSnapshot: unary((req) => driver.deleteGroupSnapshot(req)),
    GetVolumeGroupSnapshot: unary((req) => driver.getGroupSnapshot(req)),
  };
}
