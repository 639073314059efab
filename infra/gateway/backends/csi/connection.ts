// One gRPC channel to a CSI driver's socket, shared by its Identity, Controller and
// GroupController clients. Every call carries a deadline. When a call finds the driver
// unreachable the channel is dropped and the next call dials afresh, so a restarted driver (a new
// socket file at the same path) is picked up at once instead of after grpc's reconnect back-off.
import * as grpc from "@grpc/grpc-js";
import {
  callUnary,
  loadCsi,
  type ControllerClient,
  type GroupControllerClient,
  type IdentityClient,
  type UnaryMethod,
} from "../../../../shared/csi/load.js";
import { fromGrpcError, isGrpcError } from "./codes.js";

export interface CsiClients {
  identity: IdentityClient;
  controller: ControllerClient;
  group: GroupControllerClient;
  /** Increments each time a fresh channel is dialled. */
  generation: number;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Sidecars use "localhost" as the HTTP/2 authority on unix sockets.
  "grpc.default_authority": "localhost",
  // csi-lib-utils retries the connection every second at most; do the same.
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
};

export class CsiConnection {
  private current: CsiClients | undefined;
  private generation = 0;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly timeoutMs: number,
  ) {}

  clients(): CsiClients {
    if (this.closed) throw new Error(`connection to ${this.address} is closed`);
    if (!this.current) {
      const csi = loadCsi();
      const credentials = grpc.credentials.createInsecure();
      const identity = new csi.Identity.Client(this.address, credentials, CHANNEL_OPTIONS);
      const channelOverride = identity.getChannel();
      this.current = {
        identity,
        controller: new csi.Controller.Client(this.address, credentials, { ...CHANNEL_OPTIONS, channelOverride }),
        group: new csi.GroupController.Client(this.address, credentials, { ...CHANNEL_OPTIONS, channelOverride }),
        generation: ++this.generation,
      };
    }
    return this.current;
  }

  /**
   * One unary call with the connection's deadline. `pick` chooses the bound method; `what` names
   * the call in error messages. Failures are thrown as GatewayError.
   */
  async call<Req, Res>(pick: (c: CsiClients) => UnaryMethod<Req, Res>, request: Req, what: string): Promise<Res> {
    const clients = this.clients();
    try {
      return await callUnary(pick(clients), request, { deadline: Date.now() + this.timeoutMs });
    } catch (err) {
      if (isGrpcError(err) && err.code === grpc.status.UNAVAILABLE) this.drop(clients.generation);
      throw fromGrpcError(err, what);
    }
  }

  /** Forgets the channel of the given generation (no-op when a newer one already replaced it). */
  drop(generation: number): void {
    if (this.current && this.current.generation === generation) {
      this.current.identity.close();
      this.current = undefined;
    }
  }

  close(): void {
    if (this.current) this.drop(this.current.generation);
    this.closed = true;
  }
}
