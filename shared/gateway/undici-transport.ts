// The gateway over HTTP: keep-alive undici Clients driven through dispatch() with a small handler,
// and one plain timer per call for the deadline — markedly less CPU per call than node:http with
// AbortSignal.timeout + AbortSignal.any, and functions make several gateway calls per snapshot.
import { Client, type Dispatcher } from "undici";
import { ConnectionSlots, type SlotWaiter } from "../kube/connection-slots.js";
import { CallTimeout, type Exchange, type Transport } from "./transport.js";

class Call implements Dispatcher.DispatchHandler, SlotWaiter<Client> {
  private status = 0;
  private readonly chunks: Buffer[] = [];
  private client: Client | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private failed: Error | undefined;
  private settled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(
    private readonly request: Dispatcher.DispatchOptions,
    private readonly slots: ConnectionSlots<Client>,
    private readonly ex: Exchange,
    private readonly resolve: (reply: { status: number; text: string }) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.timer = setTimeout(() => this.abort(new CallTimeout(ex.timeoutMs)), ex.timeoutMs);
    if (ex.signal) {
      this.onCallerAbort = () => this.abort(ex.signal!.reason instanceof Error ? ex.signal!.reason : new Error("aborted"));
      ex.signal.addEventListener("abort", this.onCallerAbort, { once: true });
    }
  }

  start(client: Client): void {
    if (this.failed) {
      // Gave up while waiting for a connection: hand it straight on.
      this.slots.release(client);
      return;
    }
    this.client = client;
    client.dispatch(this.request, this);
  }

  /** Settles now; the request itself, if already on a connection, ends through onResponseError. */
  private abort(reason: Error): void {
    if (this.settled) return;
    this.failed = reason;
    this.controller?.abort(reason);
    this.settle(reason);
  }

  private settle(err: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onCallerAbort) this.ex.signal!.removeEventListener("abort", this.onCallerAbort);
    if (err) this.reject(err);
    else this.resolve({ status: this.status, text: this.chunks.length === 1 ? this.chunks[0]!.toString("utf8") : Buffer.concat(this.chunks).toString("utf8") });
  }

  private release(): void {
    const client = this.client;
    this.client = undefined;
    if (client) this.slots.release(client);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.failed) controller.abort(this.failed);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number): void {
    this.status = status;
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.release();
    this.settle(undefined);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.release();
    this.settle(err);
  }
}

export function undiciTransport(baseUrl: string): Transport {
  const base = new URL(baseUrl);
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, "");
  // No connection limit, as with node:http's default agent; the per-call timer is the only deadline.
  const slots = new ConnectionSlots<Client>(Infinity, () => new Client(origin, { headersTimeout: 0, bodyTimeout: 0, connectTimeout: 0 }));
  return (path, ex) =>
    new Promise((resolve, reject) => {
      if (ex.signal?.aborted) {
        reject(ex.signal.reason instanceof Error ? ex.signal.reason : new Error("aborted"));
        return;
      }
      const request: Dispatcher.DispatchOptions = { origin, method: ex.method, path: basePath + path, headers: ex.headers as string[], body: ex.body };
      slots.acquire(new Call(request, slots, ex, resolve, reject));
    });
}
