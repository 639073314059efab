// A lean list+watch of one collection, in place of client-node's informer (readline, PassThrough,
// node-fetch, an object cache of parsed objects): node:http on a keep-alive agent, newline-delimited
// JSON split by hand, one JSON.parse per watch event, and the object's bytes as the API server sent
// them reused as the event data (no re-stringifying). The cache keeps, per namespace/name, only the
// metadata the events need and those bytes (for resync and for deletions found by a re-list).
//
// Semantics are client-node's ListWatch: the first list (and every re-list) reports objects as added,
// modified (resourceVersion differs from the cached one) or deleted (vanished from the list); watch
// events are classified against the cache the same way. 410 Gone (HTTP status or the in-band ERROR
// event) re-lists; a watch the server closes is re-opened from the last resourceVersion (bookmarks
// keep it fresh); anything else is reported to onError and the owner restarts with back-off.
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export type ChangeVerb = "added" | "modified" | "deleted";

export interface CachedObject {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly resourceVersion: string;
  /** The object as JSON (apiVersion and kind included), as the API server sent it. */
  readonly data: Uint8Array;
}

/** A list or watch that failed with an HTTP status (or an in-band ERROR Status's code). */
export class WatchError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "WatchError";
  }
}

export interface ListWatchOptions {
  kubeConfig: KubeConfig;
  /** Collection path, e.g. /api/v1/persistentvolumeclaims (all namespaces). */
  path: string;
  /** Put on list items (lists omit them) and watch objects lacking them. */
  apiVersion: string;
  kind: string;
  onChange(verb: ChangeVerb, object: CachedObject): void;
  /** The list or watch failed (not a normal close, not 410): the owner calls start() again later. */
  onError(err: unknown): void;
  pageSize?: number;
  /** A watch that ends sooner than this without any event counts as a failure (default 1 s). */
  minWatchMs?: number;
}

interface ParsedMeta {
  uid?: string;
  name?: string;
  namespace?: string;
  resourceVersion?: string;
}

interface RawObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: ParsedMeta;
  code?: unknown;
  message?: unknown;
}

const encoder = new TextEncoder();

export class ListWatch {
  private objects = new Map<string, CachedObject>();
  private resourceVersion = "";
  private request: http.ClientRequest | undefined;
  private stopped = false;
  /** Each run() starts a new generation; callbacks of an older request are ignored. */
  private generation = 0;
  private readonly agent: http.Agent;
  private readonly server: string;
  private readonly minWatchMs: number;

  constructor(private readonly options: ListWatchOptions) {
    const server = options.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error("kubeconfig has no current cluster");
    this.server = server.replace(/\/+$/, "");
    this.agent = this.server.startsWith("https:") ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.minWatchMs = options.minWatchMs ?? 1000;
  }

  /**
   * Lists (unless a resourceVersion to resume from is known) and opens the watch. Resolves once the
   * watch is open, or after a failure has been reported to onError.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.run();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.abort();
    this.agent.destroy();
  }

  /** Every cached object. */
  list(): IterableIterator<CachedObject> {
    return this.objects.values();
  }

  get size(): number {
    return this.objects.size;
  }

  latestResourceVersion(): string {
    return this.resourceVersion;
  }

  private abort(): void {
    const request = this.request;
    this.request = undefined;
    request?.destroy();
  }

  private async run(): Promise<void> {
    const generation = ++this.generation;
    this.abort();
    try {
      if (!this.resourceVersion) await this.relist(generation);
      if (generation !== this.generation || this.stopped) return;
      await this.watch(generation);
    } catch (err) {
      if (generation !== this.generation || this.stopped) return;
      this.abort();
      this.options.onError(err);
    }
  }

  private async relist(generation: number): Promise<void> {
    const { apiVersion, kind } = this.options;
    const pageSize = this.options.pageSize ?? 500;
    const seen = new Map<string, RawObject>();
    let continueToken: string | undefined;
    let listRv = "";
    let first = true;
    do {
      const url = new URL(this.server + this.options.path);
      url.searchParams.set("limit", String(pageSize));
      if (continueToken) url.searchParams.set("continue", continueToken);
      const page = (await this.getJson(url)) as { metadata?: { resourceVersion?: string; continue?: string }; items?: RawObject[] };
      if (generation !== this.generation) return;
      if (first) listRv = page.metadata?.resourceVersion ?? "";
      first = false;
      for (const item of page.items ?? []) {
        if (item.metadata?.name) seen.set(keyOf(item.metadata), item);
      }
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);

    // As client-node: first what vanished (deleted, with the last known state), then adds and updates.
    for (const [key, old] of this.objects) {
      if (!seen.has(key)) {
        this.objects.delete(key);
        this.options.onChange("deleted", old);
      }
    }
    for (const [key, item] of seen) {
      const meta = item.metadata!;
      const found = this.objects.get(key);
      if (found && found.resourceVersion === meta.resourceVersion) continue;
      // List items come without apiVersion/kind: put them back so the data is a complete object.
      const data = encoder.encode(JSON.stringify({ apiVersion: item.apiVersion ?? apiVersion, kind: item.kind ?? kind, ...item }));
      const cached = cachedObject(meta, data);
      if (!cached) continue;
      this.objects.set(key, cached);
      this.options.onChange(found ? "modified" : "added", cached);
    }
    this.resourceVersion = listRv;
  }

  private async requestOptions(): Promise<https.RequestOptions> {
    const options: https.RequestOptions = { method: "GET", headers: { accept: "application/json" } };
    await this.options.kubeConfig.applyToHTTPSOptions(options);
    options.agent ??= this.agent;
    return options;
  }

  private async getJson(url: URL): Promise<unknown> {
    const options = await this.requestOptions();
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          if (response.statusCode !== 200) {
            reject(new WatchError(response.statusCode ?? 0, `list ${url.pathname}: HTTP ${response.statusCode}`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch {
            reject(new WatchError(500, `list ${url.pathname}: response is not JSON`));
          }
        });
      });
      request.setTimeout(60_000, () => request.destroy(new Error(`list ${url.pathname}: timed out`)));
      request.on("error", reject);
      request.end();
    });
  }

  /** Opens the watch; resolves once the server answered 200 (events then flow), rejects otherwise. */
  private async watch(generation: number): Promise<void> {
    const url = new URL(this.server + this.options.path);
    url.searchParams.set("watch", "true");
    url.searchParams.set("resourceVersion", this.resourceVersion);
    url.searchParams.set("allowWatchBookmarks", "true");
    const options = await this.requestOptions();
    if (generation !== this.generation) return;
    const transport = url.protocol === "https:" ? https : http;
    const openedAt = Date.now();
    let events = 0;
    let ended = false;
    let pieces: Buffer[] = [];
    let pending = 0;

    await new Promise<void>((resolve, reject) => {
      let answered = false;
      const request = transport.request(url, options, (response) => {
        if (generation !== this.generation) return void request.destroy();
        if (response.statusCode !== 200) {
          response.resume();
          answered = true;
          if (response.statusCode === 410) {
            // Too old to resume from: re-list at once (as client-node does).
            this.resourceVersion = "";
            resolve();
            void this.run();
            return;
          }
          reject(new WatchError(response.statusCode ?? 0, `watch ${url.pathname}: HTTP ${response.statusCode}`));
          return;
        }
        answered = true;
        response.socket?.setKeepAlive(true, 30_000);
        resolve();
        response.on("data", (chunk: Buffer) => {
          if (generation !== this.generation) return;
          let buf = chunk;
          if (pending > 0) {
            pieces.push(chunk);
            buf = Buffer.concat(pieces, pending + chunk.length);
            pieces = [];
            pending = 0;
          }
          let start = 0;
          for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
            if (nl > start) {
              events++;
              if (!this.line(buf, start, nl, generation)) return;
            }
            start = nl + 1;
          }
          if (start < buf.length) {
            const rest = buf.subarray(start);
            // A line spanning chunks: keep only (a copy of) the part we need.
            pieces.push(start === 0 ? rest : Buffer.from(rest));
            pending += rest.length;
          }
        });
        const done = (err?: unknown): void => {
          if (ended) return;
          ended = true;
          if (generation !== this.generation || this.stopped) return;
          if (err === undefined && events === 0 && Date.now() - openedAt < this.minWatchMs) {
            err = new Error(`watch ${url.pathname}: closed by the server at once`);
          }
          if (err !== undefined) {
            this.abort();
            this.options.onError(err);
            return;
          }
          // A normal close: resume from the last resourceVersion (or re-list after a 410).
          void this.run();
        };
        response.on("end", () => done());
        response.on("error", (err) => done(err));
        response.on("close", () => done(response.complete ? undefined : new Error(`watch ${url.pathname}: connection lost`)));
      });
      request.on("error", (err) => {
        if (!answered) {
          answered = true;
          reject(err);
        }
      });
      this.request = request;
      request.end();
    });
  }

  /** One watch event line; false when the watch was ended because of it. */
  private line(buf: Buffer, start: number, end: number, generation: number): boolean {
    while (end > start && (buf[end - 1] === 13 || buf[end - 1] === 32)) end--;
    const text = buf.toString("utf8", start, end);
    let event: { type?: unknown; object?: RawObject };
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return this.fail(generation, new Error(`watch ${this.options.path}: an event is not JSON`));
    }
    const { type, object } = event;
    if (typeof type !== "string" || object === null || typeof object !== "object") {
      return this.fail(generation, new Error(`watch ${this.options.path}: malformed event`));
    }
    if (type === "ERROR") {
      const code = typeof object.code === "number" ? object.code : 500;
      if (code === 410) {
        this.resourceVersion = "";
        this.abort();
        void this.run();
        return false;
      }
      return this.fail(generation, new WatchError(code, `watch ${this.options.path}: ${String(object.message ?? "error event")}`));
    }
    const meta = object.metadata;
    if (type !== "BOOKMARK" && meta?.name) {
      const key = keyOf(meta);
      const found = this.objects.get(key);
      if (type === "DELETED") {
        if (found) {
          this.objects.delete(key);
          const cached = cachedObject(meta, this.dataOf(buf, start, end, text, type, event, object));
          this.options.onChange("deleted", cached ?? found);
        }
      } else if (!found || found.resourceVersion !== meta.resourceVersion) {
        const cached = cachedObject(meta, this.dataOf(buf, start, end, text, type, event, object));
        if (cached) {
          this.objects.set(key, cached);
          this.options.onChange(found ? "modified" : "added", cached);
        }
      }
    }
    if (generation !== this.generation) return false;
    this.resourceVersion = meta?.resourceVersion ?? "";
    return true;
  }

  /** The object's bytes out of the event line when it is `{"type":"T","object":{...}}`, else re-encoded. */
  private dataOf(buf: Buffer, start: number, end: number, text: string, type: string, event: object, object: RawObject): Uint8Array {
    if (typeof object.apiVersion === "string" && typeof object.kind === "string" && text.charCodeAt(text.length - 1) === 125 /* } */) {
      const prefix = `{"type":"${type}","object":`;
      let keys = 0;
      for (const _ in event) keys++;
      if (keys === 2 && text.startsWith(prefix)) {
        // The prefix is ASCII, so its length in characters is its length in bytes.
        return Buffer.from(buf.subarray(start + prefix.length, end - 1));
      }
    }
    const { apiVersion, kind } = this.options;
    return encoder.encode(JSON.stringify({ apiVersion: object.apiVersion ?? apiVersion, kind: object.kind ?? kind, ...object }));
  }

  private fail(generation: number, err: unknown): false {
    if (generation === this.generation && !this.stopped) {
      this.generation++;
      this.abort();
      this.options.onError(err);
    }
    return false;
  }
}

function keyOf(meta: ParsedMeta): string {
  return `${meta.namespace ?? ""}/${meta.name ?? ""}`;
}

function cachedObject(meta: ParsedMeta, data: Uint8Array): CachedObject | undefined {
  const { uid, name, resourceVersion, namespace } = meta;
  if (!uid || !name || !resourceVersion) return undefined;
  return { uid, name, namespace: namespace || undefined, resourceVersion, data };
}
