// Watch streams: newline-delimited JSON events (or Table rows for kubectl's human output), starting
// from a resourceVersion, with selectors, bookmarks and a timeout. A version older than the kept
// history ends the stream with kube's in-band ERROR event carrying a 410 Expired Status.
import type { ServerResponse } from "node:http";
import { ApiError } from "./errors.js";
import { keyOf, type KObject, type ResourceDef } from "./resource-def.js";
import { objectJson, type Store, type StoreEvent } from "./store.js";
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

  const write = (type: string, obj: KObject): void => {
    if (closed) return;
    let payload: string;
    if (req.table && type !== "BOOKMARK" && type !== "ERROR") {
      const table: Record<string, unknown> = {
        kind: "Table",
        apiVersion: "meta.k8s.io/v1",
        metadata: { resourceVersion: obj.metadata.resourceVersion },
        columnDefinitions: columnsSent ? null : columnDefinitions(columns),
        rows: [tableRow(api.view(def, obj, version), columns)],
      };
      columnsSent = true;
      payload = JSON.stringify(table);
    } else {
      payload = objectJson(type === "BOOKMARK" || type === "ERROR" ? obj : api.view(def, obj, version));
    }
    res.write(`{"type":"${type}","object":${payload}}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) finish();
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
  const corking = { begin: () => res.cork(), end: () => res.uncork() };
  store.batchHooks.add(corking);
  unsubscribe = () => {
    unsubscribeEvents();
    store.batchHooks.delete(corking);
  };
  const rv = req.resourceVersion;
  if (rv === undefined || rv === "" || rv === "0") {
    lastRv = store.resourceVersion;
    const scope = def.namespaced ? req.namespace : undefined;
    for (const o of store.list(key, scope)) if (selected(o)) write("ADDED", o);
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
    for (const e of replay) onEvent(e);
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

function errorObject(code: number, reason: string, message: string): KObject {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code } as unknown as KObject;
}
