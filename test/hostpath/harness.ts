// Starts the hostpath driver on a temp data dir and a real unix socket, and gives tests awaitable
// CSI clients. Everything it starts is stopped by stop().
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { expect } from "vitest";
import {
  callUnary,
  loadCsi,
  statusName,
  type ControllerClient,
  type GroupControllerClient,
  type IdentityClient,
  type Outgoing,
  type UnaryMethod,
} from "../../shared/csi/load.js";
import { HostpathDriver } from "../../infra/hostpath/driver.js";
import { serveCsi, type CsiServer } from "../../infra/hostpath/server.js";

type Awaitable<C> = {
  [K in keyof C as C[K] extends UnaryMethod<never, unknown> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (request: Req) => Promise<Res>
    : never;
};

export interface Clients {
  identity: Awaitable<IdentityClient>;
  controller: Awaitable<ControllerClient>;
  group: Awaitable<GroupControllerClient>;
  close(): void;
}

export const MOUNT_RWO = { mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" as const } };

/** Promise-returning wrappers around every unary method of a generated client. */
function awaitable<C extends grpc.Client>(client: C, service: grpc.ServiceDefinition): Awaitable<C> {
  const out: Record<string, (req: unknown) => Promise<unknown>> = {};
  for (const name of Object.keys(service)) {
    const method = (client as unknown as Record<string, UnaryMethod<unknown, unknown>>)[name]!;
    out[name] = (request) => callUnary(method.bind(client), request, { deadline: Date.now() + 20_000 });
  }
  return out as Awaitable<C>;
}

export function connect(endpoint: string): Clients {
  const csi = loadCsi();
  const credentials = grpc.credentials.createInsecure();
  const identity = new csi.Identity.Client(endpoint, credentials);
  const controller = new csi.Controller.Client(endpoint, credentials);
  const group = new csi.GroupController.Client(endpoint, credentials);
  return {
    identity: awaitable(identity, csi.Identity.service),
    controller: awaitable(controller, csi.Controller.service),
    group: awaitable(group, csi.GroupController.service),
    close() {
      identity.close();
      controller.close();
      group.close();
    },
  };
}

export interface Harness {
  tmp: string;
  dataDir: string;
  endpoint: string;
  driver: HostpathDriver;
  server: CsiServer;
  csi: Clients;
  /** Stops server and clients, keeps the data dir (for restart tests). */
  stopDriver(): Promise<void>;
  /** Starts a fresh driver and server on the same data dir and socket. */
  restartDriver(): Promise<void>;
  /** Stops everything and removes the temp dir. */
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-test-"));
  const dataDir = path.join(tmp, "data");
  const endpoint = `unix://${path.join(tmp, "csi.sock")}`;
  const h = { tmp, dataDir, endpoint } as Harness;
  let running = false;
  h.restartDriver = async () => {
    h.driver = await HostpathDriver.open({ dataDir });
    h.server = await serveCsi(h.driver, endpoint);
    h.csi = connect(endpoint);
    running = true;
  };
  h.stopDriver = async () => {
    if (!running) return;
    running = false;
    h.csi.close();
    await h.server.close();
  };
  h.stop = async () => {
    await h.stopDriver();
    await fs.rm(tmp, { recursive: true, force: true });
  };
  await h.restartDriver();
  return h;
}

/** Asserts the call fails with this gRPC status name and returns the error message. */
export async function expectCode(call: Promise<unknown>, code: string): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = err as grpc.ServiceError;
    expect({ code: statusName(e.code), details: e.details }).toMatchObject({ code });
    return e.details;
  }
  throw new Error(`expected the call to fail with ${code}, it succeeded`);
}

export async function createVolume(
  csi: Clients,
  name: string,
  extra: Outgoing<import("../../shared/csi/load.js").CreateVolumeRequest> = {},
) {
  const res = await csi.controller.CreateVolume({ name, volumeCapabilities: [MOUNT_RWO], ...extra });
  return res.volume!;
}

export const GiB = 1024 ** 3;
