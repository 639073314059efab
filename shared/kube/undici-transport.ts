// undici transport: keep-alive connections to the API server, each an undici Client driven
// through dispatch() with a small handler (no Readable per response). About half the client CPU
// per call of node:http's ClientRequest/IncomingMessage path, and functions make ~25 API calls
// per snapshot.
import type { Socket } from "node:net";
import { buildConnector, Client, type Dispatcher } from "undici";
import { ConnectionSlots } from "./connection-slots.js";
import { parseBody, timedOut, type KubeTransport, type Reply } from "./transport.js";

export interface UndiciTransportOptions {
  timeoutMs: number;
  connections: number;
  /** TLS material from the kubeconfig (ignored for http). */
  tls?: buildConnector.BuildOptions;
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);
const CONNECTION_LOST_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);
const BYTES_READ = Symbol("bytesReadBeforeError");

type SocketFailure = Error & { code?: string; [BYTES_READ]?: number; socket?: { bytesRead?: number } };

// undici passes a socket's own errors (ECONNRESET, EPIPE) through without saying which socket:
// note how much it had read, so a failure can be told apart from one on a fresh connection.
function noteBytesRead(this: Socket, err: SocketFailure): void {
  err[BYTES_READ] ??= this.bytesRead;
}

/**
 * A connection that had already read something before this request's answer began was reused
 * (one request at a time, so that was an earlier answer): the server closed it while idle.
 */
function onReusedConnection(err: SocketFailure): boolean {
  return (err.socket?.bytesRead ?? err[BYTES_READ] ?? 0) > 0;
}

class Exchange implements Dispatcher.DispatchHandler {
  private status = 0;
  private started = false;
  private readonly chunks: Buffer[] = [];
  private client: Client | undefined;

  constructor(
    private readonly options: Dispatcher.DispatchOptions,
    private readonly slots: ConnectionSlots<Client>,
    private readonly timeoutMs: number,
    private readonly resolve: (reply: Reply) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  start(client: Client): void {
    this.client = client;
    client.dispatch(this.options, this);
  }

  private release(): void {
    const client = this.client;
    this.client = undefined;
    if (client) this.slots.release(client);
  }

  onRequestStart(): void {}

  onResponseStart(_c: Dispatcher.DispatchController, status: number): void {
    this.status = status;
    this.started = true;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.release();
    this.resolve({ status: this.status, body: parseBody(this.chunks) });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: SocketFailure): void {
    this.release();
    if (err.code !== undefined && TIMEOUT_CODES.has(err.code)) {
      this.reject(timedOut(this.timeoutMs, err));
      return;
    }
    if (!this.started && err.code !== undefined && CONNECTION_LOST_CODES.has(err.code) && onReusedConnection(err)) {
      (err as { staleSocket?: boolean }).staleSocket = true;
    }
    this.reject(err);
  }
}

export function undiciTransport(base: URL, options: UndiciTransportOptions): KubeTransport {
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, "");
  const { timeoutMs } = options;
  const connector = buildConnector({ ...options.tls, timeout: timeoutMs });
  const connect: buildConnector.connector = (opts, callback) =>
    connector(opts, (...args) => {
      args[1]?.on("error", noteBytesRead);
      callback(...args);
    });
  const slots = new ConnectionSlots<Client>(options.connections, () =>
    // Same idle limit as node:http's `timeout` option: from sending until the answer starts, and between body chunks.
    new Client(origin, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect }),
  );
  return {
    send(method, path, headers, payload) {
      return new Promise<Reply>((resolve, reject) => {
        const request: Dispatcher.DispatchOptions = { origin, method: method as Dispatcher.HttpMethod, path: basePath + path, headers: headers as string[], body: payload };
        slots.acquire(new Exchange(request, slots, timeoutMs, resolve, reject));
      });
    },
    close() {
      for (const client of slots.connections()) client.destroy().catch(() => undefined);
    },
  };
}
