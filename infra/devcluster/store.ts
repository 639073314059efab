// The object store: every object of every resource in memory (immutable once stored), one global
// resourceVersion counter, a bounded history of changes for watches, and the write-ahead log.
// Change events reach subscribers only once the write is durable.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { errors } from "./errors.js";
import type { KObject } from "./resource-def.js";
import { loadState, Wal } from "./wal.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  rv: number;
  /** Storage key of the resource ("<group>/<plural>"). */
  key: string;
  obj: KObject;
  /** The object before this change (MODIFIED, DELETED). */
  prev?: KObject;
}

export type Listener = (e: StoreEvent) => void;

const jsonCache = new WeakMap<object, string>();

/** JSON of a stored (immutable) object, computed once. */
export function objectJson(obj: KObject): string {
  let s = jsonCache.get(obj);
  if (s === undefined) {
    s = JSON.stringify(obj);
    jsonCache.set(obj, s);
  }
  return s;
}

/** A mutable deep copy of an object, parsed from its cached JSON when there is one (no stringify). */
export function objectCopy<T extends object>(obj: T): T {
  return JSON.parse(jsonCache.get(obj) ?? JSON.stringify(obj)) as T;
}

export function idOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

export interface StoreOptions {
  dataDir: string;
  /** How many changes watches can resume from. */
  historySize?: number;
  /** Log size that triggers a snapshot (default 32 MiB). */
  compactBytes?: number;
}

/** Data dirs open in this process (the lock file only guards against other processes). */
const openDirs = new Set<string>();

/** One server per data dir: two writers appending to the same log would corrupt it. */
function lockDataDir(dir: string): () => void {
  const abs = resolve(dir);
  if (openDirs.has(abs)) throw new Error(`the data dir ${abs} is already in use by this process`);
  const lock = join(abs, "LOCK");
  try {
    const pid = Number(readFileSync(lock, "utf8"));
    if (pid && pid !== process.pid && processAlive(pid)) throw new Error(`the data dir ${abs} is in use by process ${pid}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  writeFileSync(lock, String(process.pid));
  openDirs.add(abs);
  return () => {
    openDirs.delete(abs);
    rmSync(lock, { force: true });
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class Store {
  private rv = 0;
  private readonly collections = new Map<string, Map<string, KObject>>();
  private readonly history: StoreEvent[] = [];
  private historyHead = 0;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private compactedRv = 0;
  private readonly historySize: number;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<Listener>();
  private undelivered: StoreEvent[] = [];
  /** The newest resourceVersion whose change has reached subscribers (safe for bookmarks). */
  deliveredRv = 0;
  private readonly wal: Wal;
  private readonly unlock: () => void;

  constructor(opts: StoreOptions) {
    this.historySize = opts.historySize ?? 10_000;
    mkdirSync(opts.dataDir, { recursive: true });
    this.unlock = lockDataDir(opts.dataDir);
    try {
      const loaded = loadState(opts.dataDir);
      for (const { k, o } of loaded.state.values()) {
        const obj = o as KObject;
        this.collection(k).set(idOf(obj.metadata.namespace, obj.metadata.name), obj);
      }
      this.wal = new Wal(opts.dataDir, loaded.seq, () => this.snapshot(), () => this.deliver(), opts.compactBytes);
      // A restart starts a new history: clients resuming from any earlier version must re-list.
      this.rv = loaded.rv + 1;
      this.wal.appendSync({ rv: this.rv, op: "mark" });
    } catch (e) {
      this.unlock();
      throw e;
    }
    this.compactedRv = this.rv;
    this.deliveredRv = this.rv;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private collection(key: string): Map<string, KObject> {
    let c = this.collections.get(key);
    if (!c) {
      c = new Map();
      this.collections.set(key, c);
    }
    return c;
  }

  get(key: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.collections.get(key)?.get(idOf(namespace, name));
  }

  /** Objects of a resource, optionally of one namespace, in key order (namespace, then name). */
  list(key: string, namespace?: string): KObject[] {
    return this.listAfter(key, namespace, undefined);
  }

  /**
   * Like list, from the first object whose "<namespace>/<name>" sorts after `after` (a list's
   * continue point). The ids are kept sorted per resource between additions and removals, so a list
   * costs the objects it returns, not a sort of the whole resource.
   */
  listAfter(key: string, namespace: string | undefined, after: string | undefined): KObject[] {
    const c = this.collections.get(key);
    if (!c) return [];
    const ids = this.sortedIds(key, c);
    let from = 0;
    let to = ids.length;
    if (namespace !== undefined) {
      const prefix = `${namespace}/`;
      from = lowerBound(ids, prefix);
      // "0" is the character after "/": every id of the namespace sorts below `${namespace}0`.
      to = lowerBound(ids, `${namespace}0`);
    }
    if (after !== undefined) from = Math.max(from, upperBound(ids, after));
    const out: KObject[] = [];
    for (let i = from; i < to; i++) out.push(c.get(ids[i])!);
    return out;
  }

  private readonly sorted = new Map<string, string[]>();

  private sortedIds(key: string, c: Map<string, KObject>): string[] {
    let ids = this.sorted.get(key);
    if (!ids) {
      ids = [...c.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.sorted.set(key, ids);
    }
    return ids;
  }

  /** Every stored object with its resource key (for controllers' start-up scans). */
  *entries(): Generator<[string, KObject]> {
    for (const [k, c] of this.collections) for (const o of c.values()) yield [k, o];
  }

  count(key: string): number {
    return this.collections.get(key)?.size ?? 0;
  }

  totalObjects(): number {
    let n = 0;
    for (const c of this.collections.values()) n += c.size;
    return n;
  }

  /**
   * Stores a new version of an object (its metadata.resourceVersion is set here). The object must
   * not be mutated afterwards. Resolves once durable.
   */
  put(key: string, obj: KObject, prev: KObject | undefined): Promise<KObject> {
    const rv = ++this.rv;
    obj.metadata.resourceVersion = String(rv);
    const id = idOf(obj.metadata.namespace, obj.metadata.name);
    const c = this.collection(key);
    if (!c.has(id)) this.sorted.delete(key);
    c.set(id, obj);
    this.record({ type: prev ? "MODIFIED" : "ADDED", rv, key, obj, prev });
    const line = `{"rv":${rv},"op":"put","k":${JSON.stringify(key)},"id":${JSON.stringify(id)},"o":${objectJson(obj)}}\n`;
    return this.wal.append(line).then(() => obj);
  }

  /** Removes an object; the DELETED event carries a copy at a new resourceVersion, as kube's does. */
  remove(key: string, obj: KObject): Promise<KObject> {
    const rv = ++this.rv;
    const id = idOf(obj.metadata.namespace, obj.metadata.name);
    if (this.collections.get(key)?.delete(id)) this.sorted.delete(key);
    const gone: KObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.record({ type: "DELETED", rv, key, obj: gone, prev: obj });
    const line = `{"rv":${rv},"op":"del","k":${JSON.stringify(key)},"id":${JSON.stringify(id)}}\n`;
    return this.wal.append(line).then(() => gone);
  }

  private record(e: StoreEvent): void {
    if (this.history.length < this.historySize) this.history.push(e);
    else {
      const dropped = this.history[this.historyHead];
      this.compactedRv = dropped.rv;
      this.history[this.historyHead] = e;
      this.historyHead = (this.historyHead + 1) % this.historySize;
    }
    this.undelivered.push(e);
  }

  /** Called around each delivered batch (watch streams cork their sockets so a batch is one write). */
  readonly batchHooks = new Set<{ begin(): void; end(): void }>();

  private deliver(): void {
    const batch = this.undelivered;
    this.undelivered = [];
    if (batch.length === 0) return;
    for (const h of this.batchHooks) h.begin();
    for (const e of batch) {
      this.deliveredRv = Math.max(this.deliveredRv, e.rv);
      const set = this.listeners.get(e.key);
      if (set) for (const l of set) safeCall(l, e);
      for (const l of this.anyListeners) safeCall(l, e);
    }
    for (const h of this.batchHooks) h.end();
  }

  /** Changes of one resource after `rv`, or throws 410 Gone when history no longer reaches back. */
  eventsSince(key: string, rv: number): StoreEvent[] {
    if (rv < this.compactedRv) throw errors.gone(`too old resource version: ${rv} (${this.compactedRv})`);
    const out: StoreEvent[] = [];
    const n = this.history.length;
    for (let i = 0; i < n; i++) {
      const e = this.history[(this.historyHead + i) % n];
      if (e.rv > rv && e.key === key) out.push(e);
    }
    return out;
  }

  subscribe(key: string | undefined, listener: Listener): () => void {
    if (key === undefined) {
      this.anyListeners.add(listener);
      return () => this.anyListeners.delete(listener);
    }
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private snapshot(): { rv: number; entries: Array<{ k: string; id: string; o: unknown }> } {
    const entries: Array<{ k: string; id: string; o: unknown }> = [];
    for (const [k, c] of this.collections) for (const [id, o] of c) entries.push({ k, id, o });
    return { rv: this.rv, entries };
  }

  compact(): Promise<void> {
    return this.wal.compactNow();
  }

  async close(): Promise<void> {
    try {
      await this.wal.close();
    } finally {
      this.unlock();
    }
  }
}

/** The first index whose id is >= `id`. */
function lowerBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose id is > `id`. */
function upperBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function safeCall(l: Listener, e: StoreEvent): void {
  try {
    l(e);
  } catch (err) {
    process.emitWarning(`dev cluster listener failed: ${(err as Error).message}`);
  }
}
