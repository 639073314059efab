// One gRPC channel to a CSI driver's socket, carrying its Identity, Controller, GroupController and
// Node calls. Every call carries a deadline. When a call finds the driver unreachable the channel is
// dropped and the next call dials afresh, so a restarted driver (a new socket file at the same
// path) is picked up at once instead of after grpc's reconnect back-off.
import * as grpc from "@grpc/grpc-js";
import {
  loadCsi,
  type ControllerClient,
  type GroupControllerClient,
  type IdentityClient,
  type NodeClient,
  type UnaryMethod,
} from "../../../../shared/csi/load.js";
import { GO_CODE_NAMES } from "../../../../shared/gateway/failure.js";
import { NON_GRPC_STATUS } from "../../metrics.js";
import { fromGrpcError, grpcCodeName, isGrpcError } from "./codes.js";
import { unaryCall } from "./unary.js";

export interface CsiChannel {
  channel: grpc.Channel;
  /** Increments each time a fresh channel is dialled. */
  generation: number;
}

/** The generated clients' typings, by the service names calls use. */
interface ServiceClients {
  identity: IdentityClient;
  controller: ControllerClient;
  group: GroupControllerClient;
  node: NodeClient;
}
type Service = keyof ServiceClients;
type MethodName<S extends Service> = {
  [K in keyof ServiceClients[S]]: ServiceClients[S][K] extends UnaryMethod<infer _Req, infer _Res> ? K : never;
}[keyof ServiceClients[S]] &
  string;
type RequestOf<S extends Service, M extends MethodName<S>> = ServiceClients[S][M] extends UnaryMethod<infer Req, infer _Res> ? Req : never;
type ResponseOf<S extends Service, M extends MethodName<S>> = ServiceClients[S][M] extends UnaryMethod<infer _Req, infer Res> ? Res : never;

const SERVICE_NAMES = { identity: "Identity", controller: "Controller", group: "GroupController", node: "Node" } as const;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Sidecars use "localhost" as the HTTP/2 authority on unix sockets.
  "grpc.default_authority": "localhost",
  // csi-lib-utils retries the connection every second at most; do the same.
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1000,
};

/** Told of every finished call: full gRPC method, grpc-go code name (or "unknown-non-grpc"), seconds. */
export type CallObserver = (method: string, grpcStatusCode: string, seconds: number) => void;

export class CsiConnection {
  private current: CsiChannel | undefined;
  private generation = 0;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly timeoutMs: number,
    private readonly onCall?: CallObserver,
  ) {}

  channel(): CsiChannel {
    if (this.closed) throw new Error(`connection to ${this.address} is closed`);
    this.current ??= {
      channel: new grpc.Channel(this.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS),
      generation: ++this.generation,
    };
    return this.current;
  }

  /**
   * One unary call with the connection's deadline, e.g. `call("controller", "CreateSnapshot", req, what)`;
   * `what` names the call in error messages. Failures are thrown as GatewayError.
   */
  async call<S extends Service, M extends MethodName<S>>(service: S, method: M, request: RequestOf<S, M>, what: string): Promise<ResponseOf<S, M>> {
    const current = this.channel();
    const definition = loadCsi()[SERVICE_NAMES[service]].service[method] as grpc.MethodDefinition<RequestOf<S, M>, ResponseOf<S, M>>;
    const started = performance.now();
    const observe = (code: string) => this.onCall?.(`/csi.v1.${SERVICE_NAMES[service]}/${method}`, code, (performance.now() - started) / 1000);
    try {
      const response = await unaryCall(current.channel, definition, request, Date.now() + this.timeoutMs);
      observe(GO_CODE_NAMES.OK);
      return response;
    } catch (err) {
      observe(isGrpcError(err) ? GO_CODE_NAMES[grpcCodeName(err.code)] : NON_GRPC_STATUS);
      if (isGrpcError(err) && err.code === grpc.status.UNAVAILABLE) this.drop(current.generation);
      throw fromGrpcError(err, what);
    }
  }

  /** Forgets the channel of the given generation (no-op when a newer one already replaced it). */
  drop(generation: number): void {
    if (this.current && this.current.generation === generation) {
      this.current.channel.close();
      this.current = undefined;
    }
  }

  close(): void {
    if (this.current) this.drop(this.current.generation);
    this.closed = true;
  }
}
