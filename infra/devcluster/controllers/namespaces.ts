// Namespace deletion as kube-controller-manager does it: a deleted namespace turns Terminating,
// everything in it is deleted, and the namespace itself goes once nothing is left (objects held by
// finalizers keep it Terminating until their controllers let go).
import type { Api } from "../api.js";
import { ApiError } from "../errors.js";
import { keyOf } from "../resource-def.js";
import type { Store, StoreEvent } from "../store.js";
import { WorkQueue } from "./queue.js";

const NAMESPACES = "/namespaces";

export class NamespaceController {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    private readonly store: Store,
  ) {
    this.queue = new WorkQueue((ns) => this.sync(ns));
    for (const ns of store.list(NAMESPACES)) if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name);
    this.unsubscribe = store.subscribe(undefined, (e) => this.onEvent(e));
  }

  private onEvent(e: StoreEvent): void {
    if (e.key === NAMESPACES) {
      if (e.type !== "DELETED" && e.obj.metadata.deletionTimestamp) this.queue.add(e.obj.metadata.name);
      return;
    }
    const ns = e.obj.metadata.namespace;
    if (e.type === "DELETED" && ns && this.store.get(NAMESPACES, undefined, ns)?.metadata.deletionTimestamp) this.queue.add(ns);
  }

  private async sync(name: string): Promise<void> {
    const ns = this.store.get(NAMESPACES, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const def of this.api.registry.all()) {
      if (!def.namespaced || def.readOnly) continue;
      for (const obj of this.store.list(keyOf(def), name)) {
        remaining++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await this.api.delete(def, def.storageVersion, name, obj.metadata.name, { preconditions: { uid: obj.metadata.uid } });
        } catch (e) {
          if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
        }
      }
    }
    if (remaining > 0) {
      // Re-check once the deletions land (DELETED events re-queue this namespace).
      return;
    }
    const current = this.store.get(NAMESPACES, undefined, name);
    if (current?.metadata.deletionTimestamp && (current.metadata.finalizers ?? []).length === 0) await this.store.remove(NAMESPACES, current);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.queue.stop();
  }
}
