// Background cascading deletion: when an object goes, its dependents (ownerReferences by uid) are
// deleted once none of their owners remain; dependents that keep a live owner just lose the
// dangling reference. Orphan propagation strips the reference instead.
import type { Api } from "../api.js";
import { ApiError } from "../errors.js";
import type { KObject } from "../resource-def.js";
import type { Store, StoreEvent } from "../store.js";
import { WorkQueue } from "./queue.js";

type Ref = string; // "<resource key>|<namespace>|<name>"

export class GarbageCollector {
  private readonly dependents = new Map<string, Set<Ref>>();
  private readonly live = new Set<string>();
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    private readonly store: Store,
  ) {
    this.queue = new WorkQueue((ref) => this.collect(ref));
    for (const [key, obj] of store.entries()) this.index(key, obj, undefined);
    for (const [ownerUid, deps] of this.dependents) if (!this.live.has(ownerUid)) for (const d of deps) this.queue.add(d);
    this.unsubscribe = store.subscribe(undefined, (e) => this.onEvent(e));
  }

  private static refOf(key: string, obj: KObject): Ref {
    return `${key}|${obj.metadata.namespace ?? ""}|${obj.metadata.name}`;
  }

  private index(key: string, obj: KObject | undefined, prev: KObject | undefined): void {
    if (prev) {
      for (const o of prev.metadata.ownerReferences ?? []) this.dependents.get(o.uid)?.delete(GarbageCollector.refOf(key, prev));
    }
    if (obj) {
      this.live.add(obj.metadata.uid);
      for (const o of obj.metadata.ownerReferences ?? []) {
        let set = this.dependents.get(o.uid);
        if (!set) {
          set = new Set();
          this.dependents.set(o.uid, set);
        }
        set.add(GarbageCollector.refOf(key, obj));
      }
    }
  }

  private onEvent(e: StoreEvent): void {
    if (e.type === "DELETED") {
      this.index(e.key, undefined, e.prev);
      this.live.delete(e.obj.metadata.uid);
      const deps = this.dependents.get(e.obj.metadata.uid);
      if (deps) for (const d of deps) this.queue.add(d);
    } else {
      this.index(e.key, e.obj, e.prev);
      // A dependent created after its owner vanished is garbage from the start.
      for (const o of e.obj.metadata.ownerReferences ?? [])
        if (!this.live.has(o.uid)) this.queue.add(GarbageCollector.refOf(e.key, e.obj));
    }
  }

  /** Removes the reference to `ownerUid` from every dependent (propagationPolicy Orphan). */
  async orphan(ownerUid: string): Promise<void> {
    for (const ref of [...(this.dependents.get(ownerUid) ?? [])]) {
      const [key, ns, name] = ref.split("|");
      const def = this.api.registry.byKey(key);
      const obj = this.store.get(key, ns || undefined, name);
      if (!def || !obj) continue;
      const refs = (obj.metadata.ownerReferences ?? []).filter((o: { uid: string }) => o.uid !== ownerUid);
      await this.api.patch(def, def.storageVersion, ns || undefined, name, "merge", JSON.stringify({ metadata: { resourceVersion: obj.metadata.resourceVersion, ownerReferences: refs.length ? refs : null } }));
    }
  }

  private async collect(ref: Ref): Promise<void> {
    const [key, ns, name] = ref.split("|");
    const def = this.api.registry.byKey(key);
    const obj = this.store.get(key, ns || undefined, name);
    if (!def || !obj || obj.metadata.deletionTimestamp) return;
    const owners: Array<{ uid: string }> = obj.metadata.ownerReferences ?? [];
    const alive = owners.filter((o) => this.live.has(o.uid));
    if (owners.length === 0) return;
    try {
      if (alive.length === 0) {
        await this.api.delete(def, def.storageVersion, ns || undefined, name, { preconditions: { uid: obj.metadata.uid } });
      } else if (alive.length < owners.length) {
        await this.api.patch(def, def.storageVersion, ns || undefined, name, "merge", JSON.stringify({ metadata: { resourceVersion: obj.metadata.resourceVersion, ownerReferences: alive } }));
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.queue.stop();
  }
}
