// The API server's verbs on objects, independent of HTTP: create, get, list, update, patch, delete.
// The HTTP layer and the built-in controllers (binder, namespaces, garbage collector) both use it, so
// every write goes through the same metadata rules, admission and concurrency checks.
import { randomUUID } from "node:crypto";
import { parse as parseYaml } from "yaml";
import type { Status } from "../../shared/api/meta.js";
import type { ValidationModule } from "./crd-validation.js";
import { describeParseError } from "./decode-errors.js";
import { ApiError, errors, fieldError, invalid, statusOf, type FieldErrorLike } from "./errors.js";
import { generateName, validateLabels, validateName } from "./names.js";
import { PatchError, applyJsonPatch } from "./patch/json-patch.js";
import { clone, deepEqual, isObject } from "./patch/json-value.js";
import { applyMergePatch } from "./patch/merge.js";
import { applyStrategicMergePatch } from "./patch/strategic.js";
import type { Registry } from "./registry.js";
import { admitDefaultStorageClass } from "./admission/default-storage-class.js";
import { admitStorageObjectInUseProtection } from "./admission/storage-object-in-use-protection.js";
import { apiVersionFor, keyOf, resourceKey, type KObject, type ResourceDef } from "./resource-def.js";
import { combine, parseFieldSelector, parseLabelSelector } from "./selectors.js";
import { objectCopy, type Store } from "./store.js";

export type PatchType = "json" | "merge" | "strategic" | "apply";

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
  "application/apply-patch+cbor": "apply",
};

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: "status";
  /** Strict | Warn | Ignore: what to do with fields the schema does not know (custom resources). */
  fieldValidation?: string;
  /** Filled with kube-style warnings for the response's Warning headers. */
  warnings?: string[];
  /** The body was decoded for this call alone, so the Api may keep and change it (no defensive copy). */
  owned?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface DeleteOptions {
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  obj: KObject;
  /** True when the object is gone, false when finalizers keep it (now marked for deletion). */
  removed: boolean;
}

let nowSecond = -1;
let nowText = "";

/** The current time at second precision, as kube writes timestamps (formatted once per second). */
function now(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== nowSecond) {
    nowSecond = second;
    nowText = new Date(second * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  }
  return nowText;
}

/** Everything but metadata and status: what a generation bump is about. */
function specPart(o: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

export class Api {
  /** Set by the garbage collector: strips ownerReferences to `uid` (propagationPolicy Orphan). */
  orphanDependents?: (uid: string) => Promise<void>;

  constructor(
    readonly store: Store,
    readonly registry: Registry,
    private readonly validation: ValidationModule,
  ) {}

  // ---- reads -------------------------------------------------------------------------------------

  /** The stored object as seen through one served version (conversion rewrites apiVersion only). */
  view(def: ResourceDef, obj: KObject, version: string): KObject {
    const apiVersion = apiVersionFor(def.group, version);
    if (def.storage) return { ...def.storage.fromStorage(obj), apiVersion, kind: def.kind };
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  get(def: ResourceDef, version: string, namespace: string | undefined, name: string): KObject {
    const obj = this.store.get(keyOf(def), def.namespaced ? namespace : undefined, name);
    if (!obj) throw errors.notFound(def.plural, def.group, name);
    return this.view(def, obj, version);
  }

  find(def: ResourceDef, namespace: string | undefined, name: string): KObject | undefined {
    return this.store.get(keyOf(def), def.namespaced ? namespace : undefined, name);
  }

  /** Matches stored objects against selectors, which address fields as `def` names them. */
  matcher(def: ResourceDef, opts: { labelSelector?: string; fieldSelector?: string }): (o: KObject) => boolean {
    const match = combine(parseLabelSelector(opts.labelSelector), parseFieldSelector(opts.fieldSelector, def.fields));
    const convert = def.storage?.fromStorage;
    return convert ? (o) => match(convert(o)) : match;
  }

  list(def: ResourceDef, version: string, namespace: string | undefined, opts: ListOptions): { items: KObject[]; rv: number; continue?: string; remaining?: number } {
    const match = this.matcher(def, opts);
    const rv = this.store.resourceVersion;
    const key = keyOf(def);
    const scope = def.namespaced ? namespace : undefined;
    let all: KObject[];
    if (opts.continue) {
      let after: unknown;
      try {
        after = (JSON.parse(Buffer.from(opts.continue, "base64url").toString()) as { start: unknown }).start;
      } catch {
        throw errors.badRequest("continue key is not valid: illegal base64 data");
      }
      if (typeof after === "string") all = this.store.listAfter(key, scope, after).filter(match);
      else {
        // A token whose start is not a string: JavaScript's comparison, as ever.
        const bound = after as string;
        all = this.store.list(key, scope).filter((o) => match(o) && `${o.metadata.namespace ?? ""}/${o.metadata.name}` > bound);
      }
    } else all = this.store.list(key, scope).filter(match);
    if (opts.limit && opts.limit > 0 && all.length > opts.limit) {
      const page = all.slice(0, opts.limit);
      const last = page[page.length - 1];
      const token = Buffer.from(JSON.stringify({ rv, start: `${last.metadata.namespace ?? ""}/${last.metadata.name}` })).toString("base64url");
      return { items: page.map((o) => this.view(def, o, version)), rv, continue: token, remaining: all.length - page.length };
    }
    return { items: all.map((o) => this.view(def, o, version)), rv };
  }

  // ---- admission ---------------------------------------------------------------------------------

  private checkTypeMeta(def: ResourceDef, version: string, body: Record<string, any>): void {
    const expected = apiVersionFor(def.group, version);
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      const known = def.versions.map((v) => apiVersionFor(def.group, v));
      if (!known.includes(body.apiVersion))
        throw errors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${expected})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind)
      throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`);
    if (body.metadata !== undefined && !isObject(body.metadata))
      throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: metadata must be an object`);
  }

  private invalid(def: ResourceDef, name: string, errs: FieldErrorLike[]): ApiError {
    if (!def.builtin) return new ApiError(this.validation.invalidStatus(def.kind, def.group, name, errs));
    return invalid(def.kind, def.group, name, errs);
  }

  /** Custom resources: prune unknown fields (400 under Strict), apply defaults, validate incl. CEL. */
  private admitCustom(def: ResourceDef, version: string, obj: KObject, old: KObject | undefined, opts: WriteOptions): FieldErrorLike[] {
    const validator = def.validators?.get(version);
    if (!validator) return [];
    const mode = opts.fieldValidation ?? "Ignore";
    const before = mode === "Ignore" ? undefined : clone(obj);
    validator.prune(obj);
    if (before !== undefined) {
      const unknown = prunedPaths(before, obj, "");
      if (unknown.length > 0) {
        const text = unknown.map((p) => `unknown field "${p}"`).join(", ");
        if (mode === "Strict")
          throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: strict decoding error: ${text}`);
        opts.warnings?.push(...unknown.map((p) => `unknown field "${p}"`));
      }
    }
    validator.default(obj);
    return validator.validate(obj, old);
  }

  private admit(def: ResourceDef, version: string, obj: KObject, old: KObject | undefined, opts: WriteOptions): void {
    const errs: FieldErrorLike[] = [];
    if (!old) errs.push(...validateName(obj.metadata.name, def.nameRule));
    errs.push(...validateLabels(obj.metadata.labels));
    if (old?.metadata.deletionTimestamp) {
      const added = (obj.metadata.finalizers ?? []).filter((f: string) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length > 0)
        errs.push(fieldError.forbidden("metadata.finalizers", `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f: string) => JSON.stringify(f)).join(", ")}}`));
    }
    if (def.builtin) {
      def.rules?.canonicalize?.(obj);
      if (old) errs.push(...(def.rules?.validateUpdate?.(obj, old) ?? []));
      else errs.push(...(def.rules?.validateCreate?.(obj) ?? []));
    } else {
      errs.push(...this.admitCustom(def, version, obj, old ? this.view(def, old, version) : undefined, opts));
    }
    if (errs.length > 0) throw this.invalid(def, obj.metadata.name, errs);
  }

  // ---- writes ------------------------------------------------------------------------------------

  async create(def: ResourceDef, version: string, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<KObject> {
    if (def.readOnly) throw errors.methodNotAllowed();
    if (!isObject(body)) throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: the body must be a JSON object`);
    this.checkTypeMeta(def, version, body);
    const obj = (opts.owned ? body : clone(body)) as KObject;
    obj.apiVersion = apiVersionFor(def.group, version);
    obj.kind = def.kind;
    const meta: Record<string, any> = (obj.metadata = isObject(obj.metadata) ? obj.metadata : {});
    for (const field of ["name", "generateName", "namespace"])
      if (meta[field] !== undefined && typeof meta[field] !== "string")
        throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${typeof meta[field]} into Go struct field ObjectMeta.metadata.${field} of type string`);
    if (def.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== "" && namespace !== undefined && meta.namespace !== namespace)
        throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      meta.namespace = namespace ?? meta.namespace;
    } else delete meta.namespace;
    if (meta.resourceVersion) throw errors.badRequest("resourceVersion should not be set on objects to be created");
    if (!meta.name && meta.generateName) meta.name = generateName(String(meta.generateName));
    if (!meta.name) throw this.invalid(def, "", [fieldError.required("metadata.name", "name or generateName is required")]);
    if (def.namespaced) {
      const ns = this.store.get("/namespaces", undefined, meta.namespace);
      if (!ns) throw errors.notFound("namespaces", "", meta.namespace);
      if (ns.metadata.deletionTimestamp)
        throw errors.forbidden(
          `${def.plural}${def.group ? "." + def.group : ""} "${meta.name}" is forbidden: unable to create new content in namespace ${meta.namespace} because it is being terminated`,
          { name: meta.name, group: def.group, kind: def.plural },
        );
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    if (def.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (def.hasStatus && !def.builtin) delete obj.status;
    def.rules?.prepareCreate?.(obj);
    if (def.builtin && def.group === "" && def.plural === "persistentvolumeclaims")
      admitDefaultStorageClass(obj, () => this.store.list(resourceKey("storage.k8s.io", "storageclasses")));
    if (def.builtin) admitStorageObjectInUseProtection(def.group, def.plural, obj);
    this.admit(def, version, obj, undefined, opts);
    const key = keyOf(def);
    if (this.store.get(key, meta.namespace, meta.name)) throw errors.alreadyExists(def.plural, def.group, meta.name);
    const stored = this.toStorage(def, obj);
    if (opts.dryRun) return this.view(def, stored, version);
    const out = await this.store.put(key, stored, undefined);
    return this.view(def, out, version);
  }

  private toStorage(def: ResourceDef, obj: KObject): KObject {
    if (def.storage) return def.storage.toStorage(obj);
    obj.apiVersion = apiVersionFor(def.group, def.storageVersion);
    return obj;
  }

  /**
   * PUT (whole object or status). `body` is the desired object in `version`. A resourceVersion in
   * the body makes the write conditional (409 when stale).
   */
  async update(def: ResourceDef, version: string, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<KObject> {
    if (def.readOnly) throw errors.methodNotAllowed();
    if (!isObject(body)) throw errors.badRequest(`${def.kind} in version "${version}" cannot be handled as a ${def.kind}: the body must be a JSON object`);
    this.checkTypeMeta(def, version, body);
    const old = this.find(def, namespace, name);
    if (!old) throw errors.notFound(def.plural, def.group, name);
    const incoming = (opts.owned ? body : clone(body)) as KObject;
    const meta = isObject(incoming.metadata) ? incoming.metadata : {};
    if (meta.name !== undefined && meta.name !== name)
      throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    if (def.namespaced && meta.namespace && meta.namespace !== old.metadata.namespace)
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== "" && meta.resourceVersion !== old.metadata.resourceVersion)
      throw errors.conflict(def.plural, def.group, name);
    return this.commitUpdate(def, version, old, this.compose(def, version, old, incoming, opts.subresource), opts);
  }

  /** Builds the next stored object from the old one and the client's object, by kube's rules. */
  private compose(def: ResourceDef, version: string, old: KObject, incoming: KObject, subresource: "status" | undefined): KObject {
    if (subresource === "status") {
      const next: KObject = { ...objectCopy(old), apiVersion: apiVersionFor(def.group, version) };
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
      return next;
    }
    const next = incoming;
    next.apiVersion = apiVersionFor(def.group, version);
    next.kind = def.kind;
    const meta = (next.metadata = isObject(next.metadata) ? next.metadata : {});
    const o = old.metadata;
    meta.name = o.name;
    if (o.namespace !== undefined) meta.namespace = o.namespace;
    else delete meta.namespace;
    meta.uid = o.uid;
    meta.creationTimestamp = o.creationTimestamp;
    for (const k of ["deletionTimestamp", "deletionGracePeriodSeconds", "generation"]) {
      if (o[k] !== undefined) meta[k] = o[k];
      else delete meta[k];
    }
    delete meta.managedFields;
    if (def.hasStatus) {
      if (old.status !== undefined) next.status = clone(old.status);
      else delete next.status;
    }
    return next;
  }

  private async commitUpdate(def: ResourceDef, version: string, old: KObject, next: KObject, opts: WriteOptions): Promise<KObject> {
    const key = keyOf(def);
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (def.tracksGeneration && !deepEqual(specPart(next), specPart(this.view(def, old, version))))
      next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    this.admit(def, version, next, old, opts);
    const stored = this.toStorage(def, next);
    if (deepEqual(stored, old)) return this.view(def, old, version);
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      if (opts.dryRun) return this.view(def, stored, version);
      const gone = await this.store.remove(key, stored);
      return this.view(def, gone, version);
    }
    if (opts.dryRun) return this.view(def, stored, version);
    const out = await this.store.put(key, stored, old);
    return this.view(def, out, version);
  }

  async patch(
    def: ResourceDef,
    version: string,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    raw: string,
    opts: WriteOptions = {},
  ): Promise<{ obj: KObject; created: boolean }> {
    if (def.readOnly) throw errors.methodNotAllowed();
    if (type === "strategic" && !def.builtin)
      throw errors.unsupportedMediaType(["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]);
    let patch: unknown;
    try {
      patch = type === "apply" ? parseYaml(raw) : JSON.parse(raw);
    } catch (e) {
      throw errors.badRequest(`error decoding patch: ${describeParseError(e)}`);
    }
    const old = this.find(def, namespace, name);
    if (type === "apply") {
      if (!isObject(patch)) throw errors.badRequest("error decoding patch: an apply patch must be an object");
      const applied = patch as Record<string, any>;
      if (!applied.apiVersion || !applied.kind) throw errors.badRequest("apiVersion and kind must be set in an apply patch");
      if (isObject(applied.metadata) && applied.metadata.name !== undefined && applied.metadata.name !== name)
        throw errors.badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`);
      if (!old) {
        if (opts.subresource) throw errors.notFound(def.plural, def.group, name);
        const body = { ...applied, metadata: { ...(isObject(applied.metadata) ? applied.metadata : {}), name } };
        return { obj: await this.create(def, version, namespace, body, opts), created: true };
      }
    }
    if (!old) throw errors.notFound(def.plural, def.group, name);
    const current = objectCopy(this.view(def, old, version)) as Record<string, unknown>;
    let patched: unknown;
    try {
      switch (type) {
        case "json":
          patched = applyJsonPatch(current, patch);
          break;
        case "merge":
          if (!isObject(patch)) throw new PatchError("a merge patch must be a JSON object");
          patched = applyMergePatch(current, patch);
          break;
        case "strategic":
          patched = applyStrategicMergePatch(current, patch, def.smp ?? (() => undefined));
          break;
        case "apply":
          patched = applyMerge(current, patch);
          break;
      }
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(statusOf(422, "Invalid", `the server rejected our request due to an error in our request: ${e.message}`));
      throw e;
    }
    if (!isObject(patched)) throw errors.badRequest("the patched object is not a JSON object");
    this.checkTypeMeta(def, version, patched);
    const incoming = patched as KObject;
    const meta = isObject(incoming.metadata) ? incoming.metadata : {};
    if (meta.name !== name) throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    if (meta.resourceVersion !== old.metadata.resourceVersion) throw errors.conflict(def.plural, def.group, name);
    const next = this.compose(def, version, old, incoming, opts.subresource);
    return { obj: await this.commitUpdate(def, version, old, next, opts), created: false };
  }

  async delete(def: ResourceDef, version: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    if (def.readOnly) throw errors.methodNotAllowed();
    const key = keyOf(def);
    const old = this.find(def, namespace, name);
    if (!old) throw errors.notFound(def.plural, def.group, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid)
      throw errors.conflict(def.plural, def.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
      throw errors.conflict(
        def.plural,
        def.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    const isNamespace = key === "/namespaces";
    if (isNamespace && (name === "default" || name === "kube-system" || name === "kube-public"))
      throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, group: "", kind: "namespaces" });
    const finalizers: string[] = old.metadata.finalizers ?? [];
    if (isNamespace || finalizers.length > 0) {
      if (old.metadata.deletionTimestamp) return { obj: this.view(def, old, version), removed: false };
      const next = objectCopy(old);
      next.metadata.deletionTimestamp = now();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (isNamespace) next.status = { ...(next.status ?? {}), phase: "Terminating" };
      if (opts.dryRun) return { obj: this.view(def, next, version), removed: false };
      const out = await this.store.put(key, next, old);
      return { obj: this.view(def, out, version), removed: false };
    }
    if (opts.dryRun) return { obj: this.view(def, old, version), removed: true };
    if (opts.propagationPolicy === "Orphan" && this.orphanDependents) await this.orphanDependents(old.metadata.uid);
    const gone = await this.store.remove(key, old);
    return { obj: this.view(def, gone, version), removed: true };
  }

  /** Status answer of a delete that removed the object, for kinds whose delete returns a Status. */
  deletedStatus(def: ResourceDef, obj: KObject): Status {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name: obj.metadata.name, group: def.group, kind: def.plural, uid: obj.metadata.uid },
    } as Status;
  }
}

/** Server-side apply as an upsert: objects merge recursively, everything else (lists too) replaces. */
function applyMerge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch) || !isObject(target)) return clone(patch);
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMerge(out[k], v);
  }
  return out;
}

/** Paths present in `before` but gone from `after` (what pruning removed). */
function prunedPaths(before: unknown, after: unknown, path: string): string[] {
  if (!isObject(before)) {
    if (Array.isArray(before) && Array.isArray(after)) return before.flatMap((b, i) => prunedPaths(b, after[i], `${path}[${i}]`));
    return [];
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(before)) {
    const p = path ? `${path}.${k}` : k;
    if (!isObject(after) || !Object.prototype.hasOwnProperty.call(after, k)) {
      if (v !== null) out.push(p);
    } else out.push(...prunedPaths(v, after[k], p));
  }
  return out;
}
