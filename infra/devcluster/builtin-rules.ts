// Write rules kube-apiserver enforces for the built-in kinds snapflow relies on, with kube's wording.
import { fieldError, type FieldErrorLike } from "./errors.js";
import { deepEqual, clone } from "./patch/json-value.js";
import { canonicalQuantity, parseQuantity } from "./quantity.js";
import type { KObject, WriteRules } from "./resource-def.js";

const PVC_IMMUTABLE =
  "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

function storageOf(obj: KObject): string | undefined {
  return obj.spec?.resources?.requests?.storage;
}

function validateStorageRequest(obj: KObject): FieldErrorLike[] {
  const storage = storageOf(obj);
  if (storage === undefined) return [fieldError.required("spec.resources[storage]", "")];
  if (typeof storage !== "string" || parseQuantity(storage) === undefined)
    return [fieldError.invalid("spec.resources.requests[storage]", storage, "must be a valid quantity")];
  return [];
}

/**
 * A ResourceList as kube-apiserver stores it: each quantity in Go's canonical text. One Go could not
 * parse is left for validation to refuse.
 */
function canonicalizeResources(list: unknown): void {
  if (list === null || typeof list !== "object" || Array.isArray(list)) return;
  const entries = list as Record<string, unknown>;
  for (const [name, value] of Object.entries(entries)) {
    if (typeof value !== "string" && typeof value !== "number") continue;
    const canonical = canonicalQuantity(value);
    if (canonical !== undefined) entries[name] = canonical;
  }
}

export const pvcRules: WriteRules = {
  canonicalize(obj) {
    canonicalizeResources(obj.spec?.resources?.requests);
    canonicalizeResources(obj.spec?.resources?.limits);
    canonicalizeResources(obj.status?.capacity);
    canonicalizeResources(obj.status?.allocatedResources);
  },
  prepareCreate(obj) {
    obj.status = { phase: "Pending" };
    obj.spec = obj.spec ?? {};
    obj.spec.volumeMode = obj.spec.volumeMode ?? "Filesystem";
    // kube-apiserver's NormalizeDataSources: the old and the new field say the same, except for a
    // dataSourceRef into another namespace, which dataSource cannot express.
    const ref = (r: { apiGroup?: string; kind?: string; name?: string }) => ({ ...(r.apiGroup ? { apiGroup: r.apiGroup } : {}), kind: r.kind, name: r.name });
    if (obj.spec.dataSource && !obj.spec.dataSourceRef) obj.spec.dataSourceRef = ref(obj.spec.dataSource);
    else if (obj.spec.dataSourceRef && !obj.spec.dataSource && !obj.spec.dataSourceRef.namespace) obj.spec.dataSource = ref(obj.spec.dataSourceRef);
  },
  validateCreate(obj) {
    const errs: FieldErrorLike[] = [];
    if (!Array.isArray(obj.spec?.accessModes) || obj.spec.accessModes.length === 0)
      errs.push(fieldError.required("spec.accessModes", "at least 1 access mode is required"));
    errs.push(...validateStorageRequest(obj));
    return errs;
  },
  validateUpdate(obj, old) {
    const errs: FieldErrorLike[] = [];
    const newSpec = clone(obj.spec ?? {});
    const oldSpec = clone(old.spec ?? {});
    // The binder sets volumeName once; bound claims may change their storage request.
    if (!oldSpec.volumeName) {
      if (newSpec.volumeName === undefined) delete oldSpec.volumeName;
      else oldSpec.volumeName = newSpec.volumeName;
    }
    if (old.status?.phase === "Bound" && newSpec.resources?.requests) {
      if (oldSpec.resources?.requests?.storage === undefined) delete newSpec.resources.requests.storage;
      else newSpec.resources.requests.storage = oldSpec.resources.requests.storage;
    }
    // Retroactive default StorageClass assignment (kube ≥ 1.28): a claim without a class may be given one.
    if (oldSpec.storageClassName === undefined || oldSpec.storageClassName === null) {
      if (newSpec.storageClassName === undefined) delete oldSpec.storageClassName;
      else oldSpec.storageClassName = newSpec.storageClassName;
    }
    delete newSpec.volumeAttributesClassName;
    delete oldSpec.volumeAttributesClassName;
    if (!deepEqual(newSpec, oldSpec)) errs.push(fieldError.forbidden("spec", PVC_IMMUTABLE));
    const before = parseQuantity(String(storageOf(old) ?? ""));
    const after = parseQuantity(String(storageOf(obj) ?? ""));
    if (before !== undefined && after !== undefined && after < before)
      errs.push(fieldError.forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
    else if (storageOf(obj) !== undefined) errs.push(...validateStorageRequest(obj));
    return errs;
  },
};

export const pvRules: WriteRules = {
  canonicalize(obj) {
    canonicalizeResources(obj.spec?.capacity);
  },
  prepareCreate(obj) {
    obj.status = { phase: "Pending" };
    obj.spec = obj.spec ?? {};
    obj.spec.persistentVolumeReclaimPolicy = obj.spec.persistentVolumeReclaimPolicy ?? "Retain";
    obj.spec.volumeMode = obj.spec.volumeMode ?? "Filesystem";
    // kube-apiserver's NormalizeDataSources: the old and the new field say the same, except for a
    // dataSourceRef into another namespace, which dataSource cannot express.
    const ref = (r: { apiGroup?: string; kind?: string; name?: string }) => ({ ...(r.apiGroup ? { apiGroup: r.apiGroup } : {}), kind: r.kind, name: r.name });
    if (obj.spec.dataSource && !obj.spec.dataSourceRef) obj.spec.dataSourceRef = ref(obj.spec.dataSource);
    else if (obj.spec.dataSourceRef && !obj.spec.dataSource && !obj.spec.dataSourceRef.namespace) obj.spec.dataSource = ref(obj.spec.dataSourceRef);
  },
  validateCreate(obj) {
    const errs: FieldErrorLike[] = [];
    if (!Array.isArray(obj.spec?.accessModes) || obj.spec.accessModes.length === 0)
      errs.push(fieldError.required("spec.accessModes", "must specify at least 1 access mode"));
    const storage = obj.spec?.capacity?.storage;
    if (storage === undefined) errs.push(fieldError.required("spec.capacity", ""));
    else if (parseQuantity(String(storage)) === undefined)
      errs.push(fieldError.invalid("spec.capacity[storage]", storage, "must be a valid quantity"));
    return errs;
  },
  validateUpdate(obj, old) {
    const errs: FieldErrorLike[] = [];
    if (old.spec?.csi && !deepEqual(obj.spec?.csi?.volumeHandle, old.spec.csi.volumeHandle))
      errs.push(fieldError.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
    return errs;
  },
};

export const namespaceRules: WriteRules = {
  prepareCreate(obj) {
    obj.spec = { finalizers: ["kubernetes"] };
    obj.status = { phase: "Active" };
  },
};

/** stringData is write-only: kube folds it into base64 data on every write. */
function foldStringData(obj: KObject): void {
  if (obj.stringData && typeof obj.stringData === "object") {
    obj.data = { ...(obj.data ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString("base64");
    delete obj.stringData;
  }
}

function validateSecretData(obj: KObject): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  for (const [k, v] of Object.entries(obj.data ?? {})) {
    // Report the key only: a secret's value never goes into an error.
    if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) errs.push(fieldError.invalid(`data[${k}]`, "<secret contents redacted>", "must be base64-encoded"));
  }
  return errs;
}

/** ConfigMaps and Secrets marked immutable keep their content (and the mark) for good. */
export function immutableContent(obj: KObject, old: KObject): FieldErrorLike[] {
  if (old.immutable !== true) return [];
  const errs: FieldErrorLike[] = [];
  if (obj.immutable !== true) errs.push(fieldError.forbidden("immutable", "field is immutable when `immutable` is set"));
  if (!deepEqual(obj.data ?? {}, old.data ?? {})) errs.push(fieldError.forbidden("data", "field is immutable when `immutable` is set"));
  if (!deepEqual(obj.binaryData ?? {}, old.binaryData ?? {})) errs.push(fieldError.forbidden("binaryData", "field is immutable when `immutable` is set"));
  return errs;
}

export const configMapRules: WriteRules = {
  validateUpdate: immutableContent,
};

export const secretRules: WriteRules = {
  prepareCreate(obj) {
    foldStringData(obj);
    obj.type = obj.type ?? "Opaque";
  },
  validateCreate: validateSecretData,
  validateUpdate(obj, old) {
    foldStringData(obj);
    const errs = [...validateSecretData(obj), ...immutableContent(obj, old)];
    if ((obj.type ?? "Opaque") !== (old.type ?? "Opaque")) errs.push(fieldError.invalid("type", obj.type, "field is immutable"));
    return errs;
  },
};

export const storageClassRules: WriteRules = {
  prepareCreate(obj) {
    obj.reclaimPolicy = obj.reclaimPolicy ?? "Delete";
    obj.volumeBindingMode = obj.volumeBindingMode ?? "Immediate";
  },
  validateCreate(obj) {
    return typeof obj.provisioner === "string" && obj.provisioner.length > 0 ? [] : [fieldError.required("provisioner", "")];
  },
  validateUpdate(obj, old) {
    const errs: FieldErrorLike[] = [];
    if (obj.provisioner !== old.provisioner) errs.push(fieldError.forbidden("provisioner", "updates to provisioner are forbidden."));
    if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(fieldError.forbidden("parameters", "updates to parameters are forbidden."));
    if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(fieldError.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
    if (obj.volumeBindingMode !== old.volumeBindingMode) errs.push(fieldError.forbidden("volumeBindingMode", "field is immutable"));
    return errs;
  },
};

export const csiDriverRules: WriteRules = {
  prepareCreate(obj) {
    const spec = (obj.spec = obj.spec ?? {});
    spec.attachRequired = spec.attachRequired ?? true;
    spec.podInfoOnMount = spec.podInfoOnMount ?? false;
    spec.storageCapacity = spec.storageCapacity ?? false;
    spec.requiresRepublish = spec.requiresRepublish ?? false;
    spec.fsGroupPolicy = spec.fsGroupPolicy ?? "ReadWriteOnceWithFSType";
    spec.volumeLifecycleModes = spec.volumeLifecycleModes ?? ["Persistent"];
    spec.seLinuxMount = spec.seLinuxMount ?? false;
  },
  validateUpdate(obj, old) {
    return obj.spec?.attachRequired !== old.spec?.attachRequired
      ? [fieldError.invalid("spec.attachRequired", obj.spec?.attachRequired, "field is immutable")]
      : [];
  },
};

export const eventRules: WriteRules = {
  validateCreate(obj) {
    const errs: FieldErrorLike[] = [];
    const ns = obj.metadata.namespace;
    const involvedNs = obj.involvedObject?.namespace;
    if (involvedNs && ns && involvedNs !== ns && ns !== "default")
      errs.push(fieldError.invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
    return errs;
  },
};

// Pods are stored (so that claims in use can be expressed) but never scheduled or run: a pod keeps
// the spec.nodeName its client gave it and the status its client writes.
const POD_UPDATE_FORBIDDEN =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

function validatePodSpec(obj: KObject): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const containers: unknown = obj.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) errs.push(fieldError.required("spec.containers", ""));
  else
    containers.forEach((c: Record<string, unknown> | null, i) => {
      if (!c?.name) errs.push(fieldError.required(`spec.containers[${i}].name`, ""));
      if (!c?.image) errs.push(fieldError.required(`spec.containers[${i}].image`, ""));
    });
  const volumes: unknown = obj.spec?.volumes ?? [];
  if (Array.isArray(volumes)) {
    const seen = new Set<string>();
    volumes.forEach((v: Record<string, any> | null, i) => {
      const name = v?.name;
      if (!name) errs.push(fieldError.required(`spec.volumes[${i}].name`, ""));
      else if (seen.has(name)) errs.push({ type: "FieldValueDuplicate", field: `spec.volumes[${i}].name`, message: `Duplicate value: ${JSON.stringify(name)}` });
      else seen.add(name);
      if (v?.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(fieldError.required(`spec.volumes[${i}].persistentVolumeClaim.claimName`, ""));
    });
  }
  return errs;
}

/** The spec with what kube lets a pod update change blanked out. */
function podSpecForUpdate(spec: Record<string, any>, oldTolerations: unknown[]): Record<string, any> {
  const s = clone(spec ?? {});
  for (const list of ["containers", "initContainers"])
    if (Array.isArray(s[list])) for (const c of s[list]) if (c && typeof c === "object") delete c.image;
  delete s.activeDeadlineSeconds;
  // Tolerations may only be added to.
  if (Array.isArray(s.tolerations) && deepEqual(s.tolerations.slice(0, oldTolerations.length), oldTolerations)) s.tolerations = oldTolerations;
  return s;
}

export const podRules: WriteRules = {
  prepareCreate(obj) {
    obj.spec = obj.spec ?? {};
    obj.status = { phase: "Pending" };
  },
  validateCreate: validatePodSpec,
  validateUpdate(obj, old) {
    const oldTolerations: unknown[] = Array.isArray(old.spec?.tolerations) ? old.spec.tolerations : [];
    if (!deepEqual(podSpecForUpdate(obj.spec, oldTolerations), podSpecForUpdate(old.spec, oldTolerations))) return [fieldError.forbidden("spec", POD_UPDATE_FORBIDDEN)];
    return validatePodSpec(obj);
  },
};
