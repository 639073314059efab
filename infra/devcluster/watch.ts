// Watch streams: newline-delimited JSON events (or Table rows for kubectl's human output), starting
// from a resourceVersion, with selectors, bookmarks and a timeout. A version older than the kept
// history ends the stream with kube's in-band ERROR event carrying a 410 Expired Status.
import type { ServerResponse } from "node:http";
import { ApiError } from "./errors.js";
import { keyOf, type KObject, type ResourceDef } from "./resource-def.js";
import { objectJson, type EventType, type Store, type StoreEvent } from "./store.js";
import { columnDefinitions, tableRow } from "./table.js";
import type { Api } from "./api.js";

export interface WatchRequest {
  def: ResourceDef;
  version: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  table: boolean;
}

const DEFAULT_TIMEOUT_SECONDS = 1800;
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** Collected lines are written once they reach this size (an initial listing can be large). */
const FLUSH_BYTES = 256 * 1024;


export interface WatchTuning {
  bookmarkIntervalMs: number;
}

export function serveWatch(api: Api, store: Store, req: WatchRequest, res: ServerResponse, tuning: WatchTuning): void {
  const { def, version } = req;
  const key = keyOf(def);
  const selected = api.matcher(def, req);
  const inScope = (o: KObject | undefined): boolean =>
    o !== undefined && (!def.namespaced || req.namespace === undefined || o.metadata.namespace === req.namespace) && selected(o);

  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  res.flushHeaders();

  let columnsSent = false;
  let lastRv = 0;
  let closed = false;
  const columns = def.columns(version);

  const fanOut = fanOutOf(store);
  /** Lines collected (a delivered batch, the initial listing) to go out as one chunk. */
  let pending: string[] | undefined;
  let pendingBytes = 0;

  const flush = (): void => {
    const lines = pending;
    if (!lines || lines.length === 0) return;
    pending = [];
    pendingBytes = 0;
    if (closed) return;
    res.write(lines.length === 1 ? lines[0] : lines.join(""));
    if (res.writableLength > MAX_BUFFERED_BYTES) finish();
  };

  const send = (line: string): void => {
    if (pending) {
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= FLUSH_BYTES) flush();
    } else {
      res.write(line);
      if (res.writableLength > MAX_BUFFERED_BYTES) finish();
    }
  };

  const write = (type: string, obj: KObject): void => {
    if (closed) return;
    if (req.table && type !== "BOOKMARK" && type !== "ERROR") {
      const table: Record<string, unknown> = {
        kind: "Table",
        apiVersion: "meta.k8s.io/v1",
        metadata: { resourceVersion: obj.metadata.resourceVersion },
        columnDefinitions: columnsSent ? null : columnDefinitions(columns),
        rows: [tableRow(api.view(def, obj, version), columns)],
      };
      columnsSent = true;
      return send(`{"type":"${type}","object":${JSON.stringify(table)}}\n`);
    }
    if (type === "BOOKMARK" || type === "ERROR") return send(`{"type":"${type}","object":${objectJson(obj)}}\n`);
    send(fanOut.line(type as EventType, api.view(def, obj, version)));
  };

  const onEvent = (e: StoreEvent): void => {
    if (e.rv <= lastRv) return;
    lastRv = e.rv;
    const now = e.type === "DELETED" ? false : inScope(e.obj);
    const before = e.type === "ADDED" ? false : inScope(e.prev);
    if (e.type === "DELETED") {
      if (before) write("DELETED", e.obj);
    } else if (now && before) write("MODIFIED", e.obj);
    else if (now) write("ADDED", e.obj);
    else if (before) write("DELETED", e.obj);
  };

  let timeoutTimer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let unsubscribe = (): void => undefined;
  function finish(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearTimeout(timeoutTimer);
    clearTimeout(bookmarkTimer);
    res.end();
  }
  res.on("close", finish);

  const unsubscribeEvents = store.subscribe(key, onEvent);
  // A delivered batch goes out as one write (one chunk) per watch, whatever its number of events.
  const batching = {
    begin: (): void => {
      pending = [];
    },
    end: (): void => {
      flush();
      pending = undefined;
    },
  };
  store.batchHooks.add(batching);
  unsubscribe = () => {
    unsubscribeEvents();
    store.batchHooks.delete(batching);
  };
  const rv = req.resourceVersion;
  if (rv === undefined || rv === "" || rv === "0") {
    lastRv = store.resourceVersion;
    const scope = def.namespaced ? req.namespace : undefined;
    pending = [];
    for (const o of store.list(key, scope)) if (selected(o)) write("ADDED", o);
    flush();
    pending = undefined;
  } else {
    const from = Number(rv);
    if (!Number.isInteger(from) || from < 0) {
      write("ERROR", errorObject(400, "BadRequest", `invalid resource version "${rv}"`));
      return finish();
    }
    let replay: StoreEvent[];
    try {
      replay = store.eventsSince(key, from);
    } catch (e) {
      if (e instanceof ApiError) write("ERROR", e.status as unknown as KObject);
      return finish();
    }
    lastRv = from;
    pending = [];
    for (const e of replay) onEvent(e);
    flush();
    pending = undefined;
  }

  const timeout = req.timeoutSeconds && req.timeoutSeconds > 0 ? req.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
  timeoutTimer = setTimeout(finish, timeout * 1000);
  if (req.bookmarks) {
    const tick = (): void => {
      const at = Math.max(lastRv, store.deliveredRv);
      lastRv = at;
      write("BOOKMARK", {
        kind: def.kind,
        apiVersion: def.group ? `${def.group}/${version}` : version,
        metadata: { resourceVersion: String(at) },
      } as KObject);
      if (!closed) bookmarkTimer = setTimeout(tick, tuning.bookmarkIntervalMs);
    };
    bookmarkTimer = setTimeout(tick, tuning.bookmarkIntervalMs);
  }
}

/**
 * Watch lines shared by every watch of one store during a delivered batch: an object version sent
 * as the same event type to N watches is built once (and flattened once, by the first watch that
 * writes it). Cleared around each batch so nothing outlives it.
 */
class FanOut {
  private readonly lines = new Map<string, Map<KObject, string>>();
  private active = false;

  begin(): void {
    this.active = true;
    this.lines.clear();
  }

  end(): void {
    this.active = false;
    this.lines.clear();
  }

  line(type: EventType, obj: KObject): string {
    if (!this.active) return `{"type":"${type}","object":${objectJson(obj)}}\n`;
    let byObj = this.lines.get(type);
    if (!byObj) {
      byObj = new Map();
      this.lines.set(type, byObj);
    }
    let line = byObj.get(obj);
    if (line === undefined) {
      line = `{"type":"${type}","object":${objectJson(obj)}}\n`;
      byObj.set(obj, line);
    }
    return line;
  }
}

const fanOuts = new WeakMap<Store, FanOut>();

function fanOutOf(store: Store): FanOut {
  let f = fanOuts.get(store);
  if (!f) {
    f = new FanOut();
    fanOuts.set(store, f);
    // Registered before any watch's hook: active before the watches begin collecting.
    store.batchHooks.add(f);
  }
  return f;
}

function errorObject(code: number, reason: string, message: string): KObject {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code } as unknown as KObject;
}
