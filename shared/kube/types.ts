// The contract every function and component uses to reach the Kubernetes API. One implementation
// talks HTTP to any API server (a real cluster or the dev cluster); tests use the same one.
import type { KubeList, KubeObject, Status } from "../api/meta.js";
import type { ResourceType } from "../api/resources.js";

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export type PatchType = "merge" | "json" | "strategic";

export interface DeleteOptions {
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  /** Precondition: only delete this exact object (409 if the UID differs). */
  uid?: string;
  resourceVersion?: string;
}

/** A failed API call, carrying kube-apiserver's Status. 409 = optimistic-concurrency conflict or AlreadyExists. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Status,
  ) {
    super(message);
    this.name = "KubeApiError";
  }

  get isNotFound(): boolean {
    return this.code === 404;
  }
  get isConflict(): boolean {
    return this.code === 409;
  }
}

export interface KubeClient {
  /** undefined when the object does not exist. */
  get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T | undefined>;
  list<T extends KubeObject>(type: ResourceType, options?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject>(type: ResourceType, object: T): Promise<T>;
  /** PUT of the whole object; its metadata.resourceVersion makes the write conditional. */
  update<T extends KubeObject>(type: ResourceType, object: T): Promise<T>;
  /** PUT to the status subresource. */
  updateStatus<T extends KubeObject>(type: ResourceType, object: T): Promise<T>;
  patch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    patchType?: PatchType,
    subresource?: "status",
  ): Promise<T>;
  /** Resolves to the object when it remains (finalizers), undefined when it is gone or was already gone. */
  delete<T extends KubeObject>(
    type: ResourceType,
    name: string,
    namespace?: string,
    options?: DeleteOptions,
  ): Promise<T | undefined>;
}
