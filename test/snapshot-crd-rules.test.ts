// Every CEL rule of the six snapshot CRDs (the 35 kind/path/rule combinations of
// kubectl-cel-notes.md §10), passing and failing, on create and on update, in every version that
// carries it; and the versions that do not carry a rule must not enforce it.
import { describe, expect, it } from "vitest";
import { snapshotCrds } from "../infra/crds/index.js";
import { errorString } from "../infra/devcluster/validation/errors.js";
import { compileCrd, type CompiledCrdVersion } from "../infra/devcluster/validation/index.js";

type Obj = Record<string, unknown>;

const compiled = new Map<string, Map<string, CompiledCrdVersion>>(
  snapshotCrds().map((crd) => [crd.spec.names.kind, compileCrd(crd)]),
);

/** Runs what the API server runs on a write: prune, default, validate. Returns `field: message` lines. */
function write(kind: string, version: string, obj: Obj, old?: Obj): string[] {
  const v = compiled.get(kind)?.get(version);
  if (!v) throw new Error(`no ${kind} ${version}`);
  const next = structuredClone(obj);
  v.prune(next);
  v.default(next);
  let prev: Obj | undefined;
  if (old) {
    prev = structuredClone(old);
    v.prune(prev);
    v.default(prev);
  }
  return v.validate(next, prev).map(errorString);
}

/** A copy of `base` with the dotted path set to `value` (undefined removes it). */
function set(base: Obj, path: string, value: unknown): Obj {
  const out = structuredClone(base);
  const keys = path.split(".");
  let at: Obj = out;
  for (const k of keys.slice(0, -1)) {
    at[k] ??= {};
    at = at[k] as Obj;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return out;
}

function sets(base: Obj, changes: Record<string, unknown>): Obj {
  return Object.entries(changes).reduce((o, [p, v]) => set(o, p, v), base);
}

const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}) });

const vsClass: Obj = {
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshotClass",
  metadata: meta("c"),
  driver: "hostpath.snapflow.dev",
  deletionPolicy: "Delete",
};
const vgsClass: Obj = {
  apiVersion: "groupsnapshot.storage.k8s.io/v1",
  kind: "VolumeGroupSnapshotClass",
  metadata: meta("gc"),
  driver: "hostpath.snapflow.dev",
  deletionPolicy: "Delete",
  parameters: { a: "1", b: "2" },
};
const vs: Obj = {
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshot",
  metadata: meta("snap", "default"),
  spec: { source: { persistentVolumeClaimName: "pvc" }, volumeSnapshotClassName: "c" },
};
const vsc: Obj = {
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshotContent",
  metadata: meta("content"),
  spec: {
    deletionPolicy: "Delete",
    driver: "hostpath.snapflow.dev",
    source: { volumeHandle: "vol-1" },
    sourceVolumeMode: "Filesystem",
    volumeSnapshotClassName: "c",
    volumeSnapshotRef: { name: "snap", namespace: "default", uid: "u1" },
  },
};
const vgs: Obj = {
  apiVersion: "groupsnapshot.storage.k8s.io/v1",
  kind: "VolumeGroupSnapshot",
  metadata: meta("group", "default"),
  spec: {
    source: { selector: { matchLabels: { app: "db", tier: "data" }, matchExpressions: [{ key: "k", operator: "In", values: ["a", "b"] }] } },
    volumeGroupSnapshotClassName: "gc",
  },
  status: { boundVolumeGroupSnapshotContentName: "groupcontent" },
};
const vgsc: Obj = {
  apiVersion: "groupsnapshot.storage.k8s.io/v1",
  kind: "VolumeGroupSnapshotContent",
  metadata: meta("groupcontent"),
  spec: {
    deletionPolicy: "Delete",
    driver: "hostpath.snapflow.dev",
    source: { volumeHandles: ["vol-1", "vol-2"] },
    volumeGroupSnapshotClassName: "gc",
    volumeGroupSnapshotRef: { name: "group", namespace: "default", uid: "u2" },
  },
  status: { volumeGroupSnapshotHandle: "gh-1" },
};
const groupHandles = { volumeGroupSnapshotHandle: "gh-1", volumeSnapshotHandles: ["s-1", "s-2"] };

interface Case {
  name: string;
  obj: Obj;
  /** Present for an update. */
  old?: Obj;
  /** Exactly the errors expected, as `field: message`. */
  errors: string[];
}

interface Combination {
  n: number;
  kind: string;
  versions: string[];
  path: string;
  rule: string;
  cases: Case[];
}

const E = {
  immutable: (field: string, type: string, message: string) => `${field}: Invalid value: "${type}": ${message}`,
};

const combinations: Combination[] = [
  {
    n: 1,
    kind: "VolumeGroupSnapshotClass",
    versions: ["v1", "v1beta2"],
    path: "deletionPolicy",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vgsClass, obj: set(vgsClass, "driver", "hostpath.snapflow.dev"), errors: [] },
      {
        name: "changed",
        old: vgsClass,
        obj: set(vgsClass, "deletionPolicy", "Retain"),
        errors: [E.immutable("deletionPolicy", "string", "deletionPolicy is immutable once set")],
      },
      { name: "create", obj: set(vgsClass, "deletionPolicy", "Retain"), errors: [] },
    ],
  },
  {
    n: 2,
    kind: "VolumeGroupSnapshotClass",
    versions: ["v1", "v1beta2"],
    path: "driver",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vgsClass, obj: vgsClass, errors: [] },
      {
        name: "changed",
        old: vgsClass,
        obj: set(vgsClass, "driver", "other.driver"),
        errors: [E.immutable("driver", "string", "driver is immutable once set")],
      },
    ],
  },
  {
    n: 3,
    kind: "VolumeGroupSnapshotClass",
    versions: ["v1", "v1beta2"],
    path: "parameters",
    rule: "self == oldSelf",
    cases: [
      { name: "same map, other key order", old: vgsClass, obj: set(vgsClass, "parameters", { b: "2", a: "1" }), errors: [] },
      {
        name: "value changed",
        old: vgsClass,
        obj: set(vgsClass, "parameters", { a: "1", b: "3" }),
        errors: [E.immutable("parameters", "object", "parameters are immutable once set")],
      },
      {
        name: "key added",
        old: vgsClass,
        obj: set(vgsClass, "parameters", { a: "1", b: "2", c: "3" }),
        errors: [E.immutable("parameters", "object", "parameters are immutable once set")],
      },
      { name: "set for the first time", old: set(vgsClass, "parameters", undefined), obj: vgsClass, errors: [] },
    ],
  },
  {
    n: 4,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta2"],
    path: "spec.driver",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vgsc, obj: vgsc, errors: [] },
      {
        name: "changed",
        old: vgsc,
        obj: set(vgsc, "spec.driver", "other"),
        errors: [E.immutable("spec.driver", "string", "driver is immutable once set")],
      },
    ],
  },
  {
    n: 5,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source",
    rule: "!has(oldSelf.volumeHandles) || has(self.volumeHandles)",
    cases: [
      { name: "kept", old: vgsc, obj: vgsc, errors: [] },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles, volumeHandles: ["vol-1"] }),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandles and groupSnapshotHandles must be set")],
      },
      {
        name: "removed",
        old: vgsc,
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        errors: [E.immutable("spec.source", "object", "volumeHandles is required once set")],
      },
    ],
  },
  {
    n: 6,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source",
    rule: "!has(oldSelf.groupSnapshotHandles) || has(self.groupSnapshotHandles)",
    cases: [
      {
        name: "kept",
        old: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        errors: [],
      },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: vgsc,
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles, volumeHandles: ["vol-1", "vol-2"] }),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandles and groupSnapshotHandles must be set")],
      },
      {
        name: "removed",
        old: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        obj: vgsc,
        errors: [E.immutable("spec.source", "object", "groupSnapshotHandles is required once set")],
      },
    ],
  },
  {
    n: 7,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source",
    rule: "exactly one of volumeHandles and groupSnapshotHandles",
    cases: [
      { name: "only volumeHandles", obj: vgsc, errors: [] },
      { name: "only groupSnapshotHandles", obj: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }), errors: [] },
      {
        name: "both",
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles, volumeHandles: ["v"] }),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandles and groupSnapshotHandles must be set")],
      },
      {
        name: "neither",
        obj: set(vgsc, "spec.source", {}),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandles and groupSnapshotHandles must be set")],
      },
    ],
  },
  {
    n: 8,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source.groupSnapshotHandles",
    rule: "self == oldSelf",
    cases: [
      {
        name: "same",
        old: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: { ...groupHandles } }),
        errors: [],
      },
      {
        name: "list changed",
        old: set(vgsc, "spec.source", { groupSnapshotHandles: groupHandles }),
        obj: set(vgsc, "spec.source", { groupSnapshotHandles: { ...groupHandles, volumeSnapshotHandles: ["s-1"] } }),
        errors: [E.immutable("spec.source.groupSnapshotHandles", "object", "groupSnapshotHandles is immutable")],
      },
    ],
  },
  {
    n: 9,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source.volumeHandles",
    rule: "self == oldSelf",
    cases: [
      { name: "same", old: vgsc, obj: vgsc, errors: [] },
      {
        name: "reordered",
        old: vgsc,
        obj: set(vgsc, "spec.source.volumeHandles", ["vol-2", "vol-1"]),
        errors: [E.immutable("spec.source.volumeHandles", "array", "volumeHandles is immutable")],
      },
      {
        name: "shorter",
        old: vgsc,
        obj: set(vgsc, "spec.source.volumeHandles", ["vol-1"]),
        errors: [E.immutable("spec.source.volumeHandles", "array", "volumeHandles is immutable")],
      },
    ],
  },
  {
    n: 10,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta2"],
    path: "spec.volumeGroupSnapshotClassName",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vgsc, obj: vgsc, errors: [] },
      {
        name: "changed",
        old: vgsc,
        obj: set(vgsc, "spec.volumeGroupSnapshotClassName", "other"),
        errors: [E.immutable("spec.volumeGroupSnapshotClassName", "string", "volumeGroupSnapshotClassName is immutable once set")],
      },
      { name: "set on a pre-provisioned content", old: set(vgsc, "spec.volumeGroupSnapshotClassName", undefined), obj: vgsc, errors: [] },
    ],
  },
  {
    n: 11,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.volumeGroupSnapshotRef",
    rule: "has(self.name) && has(self.__namespace__)",
    cases: [
      { name: "both set", obj: vgsc, errors: [] },
      {
        name: "namespace missing",
        obj: set(vgsc, "spec.volumeGroupSnapshotRef.namespace", undefined),
        errors: [
          E.immutable(
            "spec.volumeGroupSnapshotRef",
            "object",
            "both volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace must be set",
          ),
        ],
      },
      {
        name: "name missing",
        obj: set(vgsc, "spec.volumeGroupSnapshotRef.name", undefined),
        errors: [
          E.immutable(
            "spec.volumeGroupSnapshotRef",
            "object",
            "both volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace must be set",
          ),
        ],
      },
    ],
  },
  {
    n: 12,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta2"],
    path: "spec.volumeGroupSnapshotRef",
    rule: "self.name == oldSelf.name && self.__namespace__ == oldSelf.__namespace__",
    cases: [
      { name: "unchanged", old: vgsc, obj: vgsc, errors: [] },
      {
        name: "namespace changed",
        old: vgsc,
        obj: set(vgsc, "spec.volumeGroupSnapshotRef.namespace", "other"),
        errors: [
          E.immutable(
            "spec.volumeGroupSnapshotRef",
            "object",
            "volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace are immutable",
          ),
        ],
      },
      {
        name: "namespace removed: an evaluation error, as in kube",
        old: vgsc,
        obj: set(vgsc, "spec.volumeGroupSnapshotRef.namespace", undefined),
        errors: [
          E.immutable(
            "spec.volumeGroupSnapshotRef",
            "object",
            "both volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace must be set",
          ),
          E.immutable(
            "spec.volumeGroupSnapshotRef",
            "object",
            "no such key: __namespace__ evaluating rule: volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace are immutable",
          ),
        ],
      },
    ],
  },
  {
    n: 13,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta2"],
    path: "spec.volumeGroupSnapshotRef",
    rule: "!has(oldSelf.uid) || (has(self.uid) && self.uid == oldSelf.uid)",
    cases: [
      { name: "newly set", old: set(vgsc, "spec.volumeGroupSnapshotRef.uid", undefined), obj: vgsc, errors: [] },
      { name: "kept", old: vgsc, obj: set(vgsc, "spec.volumeGroupSnapshotRef.apiVersion", "groupsnapshot.storage.k8s.io/v1"), errors: [] },
      {
        name: "changed",
        old: vgsc,
        obj: set(vgsc, "spec.volumeGroupSnapshotRef.uid", "u3"),
        errors: [E.immutable("spec.volumeGroupSnapshotRef", "object", "volumeGroupSnapshotRef.uid is immutable once set")],
      },
      {
        name: "removed",
        old: vgsc,
        obj: set(vgsc, "spec.volumeGroupSnapshotRef.uid", undefined),
        errors: [E.immutable("spec.volumeGroupSnapshotRef", "object", "volumeGroupSnapshotRef.uid is immutable once set")],
      },
    ],
  },
  {
    n: 14,
    kind: "VolumeGroupSnapshotContent",
    versions: ["v1", "v1beta2"],
    path: "status.volumeGroupSnapshotHandle",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vgsc, obj: set(vgsc, "status.readyToUse", true), errors: [] },
      {
        name: "changed",
        old: vgsc,
        obj: set(vgsc, "status.volumeGroupSnapshotHandle", "gh-2"),
        errors: [E.immutable("status.volumeGroupSnapshotHandle", "string", "volumeGroupSnapshotHandle is immutable once set")],
      },
      { name: "first set", old: set(vgsc, "status", {}), obj: vgsc, errors: [] },
    ],
  },
  {
    n: 15,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source",
    rule: "!has(oldSelf.selector) || has(self.selector)",
    cases: [
      { name: "kept", old: vgs, obj: vgs, errors: [] },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        obj: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1", selector: { matchLabels: { a: "b" } } }),
        errors: [E.immutable("spec.source", "object", "exactly one of selector and volumeGroupSnapshotContentName must be set")],
      },
      {
        name: "removed",
        old: vgs,
        obj: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        errors: [E.immutable("spec.source", "object", "selector is required once set")],
      },
    ],
  },
  {
    n: 16,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source",
    rule: "!has(oldSelf.volumeGroupSnapshotContentName) || has(self.volumeGroupSnapshotContentName)",
    cases: [
      {
        name: "kept",
        old: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        obj: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        errors: [],
      },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: vgs,
        obj: set(vgs, "spec.source.volumeGroupSnapshotContentName", "gc1"),
        errors: [E.immutable("spec.source", "object", "exactly one of selector and volumeGroupSnapshotContentName must be set")],
      },
      {
        name: "removed",
        old: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        obj: vgs,
        errors: [E.immutable("spec.source", "object", "volumeGroupSnapshotContentName is required once set")],
      },
    ],
  },
  {
    n: 17,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source",
    rule: "exactly one of selector and volumeGroupSnapshotContentName",
    cases: [
      { name: "only selector", obj: vgs, errors: [] },
      { name: "only content name", obj: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }), errors: [] },
      {
        name: "both",
        obj: set(vgs, "spec.source.volumeGroupSnapshotContentName", "gc1"),
        errors: [E.immutable("spec.source", "object", "exactly one of selector and volumeGroupSnapshotContentName must be set")],
      },
      {
        name: "neither",
        obj: set(vgs, "spec.source", {}),
        errors: [E.immutable("spec.source", "object", "exactly one of selector and volumeGroupSnapshotContentName must be set")],
      },
    ],
  },
  {
    n: 18,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source.selector",
    rule: "self == oldSelf",
    cases: [
      {
        name: "same, other key order",
        old: vgs,
        obj: set(vgs, "spec.source.selector", {
          matchExpressions: [{ values: ["a", "b"], operator: "In", key: "k" }],
          matchLabels: { tier: "data", app: "db" },
        }),
        errors: [],
      },
      {
        name: "label changed",
        old: vgs,
        obj: set(vgs, "spec.source.selector.matchLabels", { app: "web", tier: "data" }),
        errors: [E.immutable("spec.source.selector", "object", "selector is immutable")],
      },
      {
        name: "values reordered",
        old: vgs,
        obj: set(vgs, "spec.source.selector.matchExpressions", [{ key: "k", operator: "In", values: ["b", "a"] }]),
        errors: [E.immutable("spec.source.selector", "object", "selector is immutable")],
      },
    ],
  },
  {
    n: 19,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.source.volumeGroupSnapshotContentName",
    rule: "self == oldSelf",
    cases: [
      {
        name: "unchanged",
        old: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        obj: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        errors: [],
      },
      {
        name: "changed",
        old: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc1" }),
        obj: set(vgs, "spec.source", { volumeGroupSnapshotContentName: "gc2" }),
        errors: [E.immutable("spec.source.volumeGroupSnapshotContentName", "string", "volumeGroupSnapshotContentName is immutable")],
      },
    ],
  },
  {
    n: 20,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta1", "v1beta2"],
    path: "spec.volumeGroupSnapshotClassName",
    rule: "size(self) > 0",
    cases: [
      { name: "non-empty", obj: vgs, errors: [] },
      {
        name: "empty",
        obj: set(vgs, "spec.volumeGroupSnapshotClassName", ""),
        errors: [E.immutable("spec.volumeGroupSnapshotClassName", "string", "volumeGroupSnapshotClassName must not be the empty string when set")],
      },
      { name: "absent (default class)", obj: set(vgs, "spec.volumeGroupSnapshotClassName", undefined), errors: [] },
    ],
  },
  {
    n: 21,
    kind: "VolumeGroupSnapshot",
    versions: ["v1", "v1beta2"],
    path: "status.boundVolumeGroupSnapshotContentName",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vgs, obj: set(vgs, "status.readyToUse", true), errors: [] },
      {
        name: "changed",
        old: vgs,
        obj: set(vgs, "status.boundVolumeGroupSnapshotContentName", "other"),
        errors: [
          E.immutable("status.boundVolumeGroupSnapshotContentName", "string", "boundVolumeGroupSnapshotContentName is immutable once set"),
        ],
      },
    ],
  },
  {
    n: 22,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec",
    rule: "!has(oldSelf.sourceVolumeMode) || has(self.sourceVolumeMode)",
    cases: [
      { name: "kept", old: vsc, obj: vsc, errors: [] },
      { name: "newly set", old: set(vsc, "spec.sourceVolumeMode", undefined), obj: vsc, errors: [] },
      {
        name: "removed",
        old: vsc,
        obj: set(vsc, "spec.sourceVolumeMode", undefined),
        errors: [E.immutable("spec", "object", "sourceVolumeMode is required once set")],
      },
    ],
  },
  {
    n: 23,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.source",
    rule: "!has(oldSelf.volumeHandle) || has(self.volumeHandle)",
    cases: [
      { name: "kept", old: vsc, obj: vsc, errors: [] },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: set(vsc, "spec.source", { snapshotHandle: "s-1" }),
        obj: set(vsc, "spec.source", { snapshotHandle: "s-1", volumeHandle: "vol-1" }),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandle and snapshotHandle must be set")],
      },
      {
        name: "removed",
        old: vsc,
        obj: set(vsc, "spec.source", { snapshotHandle: "s-1" }),
        errors: [E.immutable("spec.source", "object", "volumeHandle is required once set")],
      },
    ],
  },
  {
    n: 24,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.source",
    rule: "!has(oldSelf.snapshotHandle) || has(self.snapshotHandle)",
    cases: [
      { name: "kept", old: set(vsc, "spec.source", { snapshotHandle: "s-1" }), obj: set(vsc, "spec.source", { snapshotHandle: "s-1" }), errors: [] },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: vsc,
        obj: set(vsc, "spec.source.snapshotHandle", "s-1"),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandle and snapshotHandle must be set")],
      },
      {
        name: "removed",
        old: set(vsc, "spec.source", { snapshotHandle: "s-1" }),
        obj: vsc,
        errors: [E.immutable("spec.source", "object", "snapshotHandle is required once set")],
      },
    ],
  },
  {
    n: 25,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.source",
    rule: "exactly one of volumeHandle and snapshotHandle",
    cases: [
      { name: "only volumeHandle", obj: vsc, errors: [] },
      { name: "only snapshotHandle", obj: set(vsc, "spec.source", { snapshotHandle: "s-1" }), errors: [] },
      {
        name: "both",
        obj: set(vsc, "spec.source.snapshotHandle", "s-1"),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandle and snapshotHandle must be set")],
      },
      {
        name: "neither",
        obj: set(vsc, "spec.source", {}),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeHandle and snapshotHandle must be set")],
      },
    ],
  },
  {
    n: 26,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.source.snapshotHandle",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: set(vsc, "spec.source", { snapshotHandle: "s-1" }), obj: set(vsc, "spec.source", { snapshotHandle: "s-1" }), errors: [] },
      {
        name: "changed",
        old: set(vsc, "spec.source", { snapshotHandle: "s-1" }),
        obj: set(vsc, "spec.source", { snapshotHandle: "s-2" }),
        errors: [E.immutable("spec.source.snapshotHandle", "string", "snapshotHandle is immutable")],
      },
    ],
  },
  {
    n: 27,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.source.volumeHandle",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vsc, obj: vsc, errors: [] },
      {
        name: "changed",
        old: vsc,
        obj: set(vsc, "spec.source.volumeHandle", "vol-2"),
        errors: [E.immutable("spec.source.volumeHandle", "string", "volumeHandle is immutable")],
      },
    ],
  },
  {
    n: 28,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.sourceVolumeMode",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vsc, obj: vsc, errors: [] },
      {
        name: "changed",
        old: vsc,
        obj: set(vsc, "spec.sourceVolumeMode", "Block"),
        errors: [E.immutable("spec.sourceVolumeMode", "string", "sourceVolumeMode is immutable")],
      },
    ],
  },
  {
    n: 29,
    kind: "VolumeSnapshotContent",
    versions: ["v1"],
    path: "spec.volumeSnapshotRef",
    rule: "has(self.name) && has(self.__namespace__)",
    cases: [
      { name: "both set", obj: vsc, errors: [] },
      {
        name: "namespace missing",
        obj: set(vsc, "spec.volumeSnapshotRef.namespace", undefined),
        errors: [E.immutable("spec.volumeSnapshotRef", "object", "both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set")],
      },
      {
        name: "name missing",
        obj: set(vsc, "spec.volumeSnapshotRef.name", undefined),
        errors: [E.immutable("spec.volumeSnapshotRef", "object", "both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set")],
      },
    ],
  },
  {
    n: 30,
    kind: "VolumeSnapshot",
    versions: ["v1"],
    path: "spec.source",
    rule: "!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)",
    cases: [
      { name: "kept", old: vs, obj: vs, errors: [] },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        obj: set(vs, "spec.source", { volumeSnapshotContentName: "content", persistentVolumeClaimName: "pvc" }),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set")],
      },
      {
        name: "removed",
        old: vs,
        obj: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        errors: [E.immutable("spec.source", "object", "persistentVolumeClaimName is required once set")],
      },
    ],
  },
  {
    n: 31,
    kind: "VolumeSnapshot",
    versions: ["v1"],
    path: "spec.source",
    rule: "!has(oldSelf.volumeSnapshotContentName) || has(self.volumeSnapshotContentName)",
    cases: [
      {
        name: "kept",
        old: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        obj: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        errors: [],
      },
      {
        name: "newly set (only the exactly-one rule objects)",
        old: vs,
        obj: set(vs, "spec.source.volumeSnapshotContentName", "content"),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set")],
      },
      {
        name: "removed",
        old: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        obj: vs,
        errors: [E.immutable("spec.source", "object", "volumeSnapshotContentName is required once set")],
      },
    ],
  },
  {
    n: 32,
    kind: "VolumeSnapshot",
    versions: ["v1"],
    path: "spec.source",
    rule: "exactly one of volumeSnapshotContentName and persistentVolumeClaimName",
    cases: [
      { name: "only the PVC", obj: vs, errors: [] },
      { name: "only the content", obj: set(vs, "spec.source", { volumeSnapshotContentName: "content" }), errors: [] },
      {
        name: "both",
        obj: set(vs, "spec.source.volumeSnapshotContentName", "content"),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set")],
      },
      {
        name: "neither",
        obj: set(vs, "spec.source", {}),
        errors: [E.immutable("spec.source", "object", "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set")],
      },
    ],
  },
  {
    n: 33,
    kind: "VolumeSnapshot",
    versions: ["v1"],
    path: "spec.source.persistentVolumeClaimName",
    rule: "self == oldSelf",
    cases: [
      { name: "unchanged", old: vs, obj: set(vs, "status", { readyToUse: true }), errors: [] },
      {
        name: "changed",
        old: vs,
        obj: set(vs, "spec.source.persistentVolumeClaimName", "pvc2"),
        errors: [E.immutable("spec.source.persistentVolumeClaimName", "string", "persistentVolumeClaimName is immutable")],
      },
    ],
  },
  {
    n: 34,
    kind: "VolumeSnapshot",
    versions: ["v1"],
    path: "spec.source.volumeSnapshotContentName",
    rule: "self == oldSelf",
    cases: [
      {
        name: "unchanged",
        old: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        obj: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        errors: [],
      },
      {
        name: "changed",
        old: set(vs, "spec.source", { volumeSnapshotContentName: "content" }),
        obj: set(vs, "spec.source", { volumeSnapshotContentName: "content2" }),
        errors: [E.immutable("spec.source.volumeSnapshotContentName", "string", "volumeSnapshotContentName is immutable")],
      },
    ],
  },
  {
    n: 35,
    kind: "VolumeSnapshot",
    versions: ["v1"],
    path: "spec.volumeSnapshotClassName",
    rule: "size(self) > 0",
    cases: [
      { name: "non-empty", obj: vs, errors: [] },
      {
        name: "empty",
        obj: set(vs, "spec.volumeSnapshotClassName", ""),
        errors: [E.immutable("spec.volumeSnapshotClassName", "string", "volumeSnapshotClassName must not be the empty string when set")],
      },
      {
        name: "empty on update too",
        old: vs,
        obj: set(vs, "spec.volumeSnapshotClassName", ""),
        errors: [E.immutable("spec.volumeSnapshotClassName", "string", "volumeSnapshotClassName must not be the empty string when set")],
      },
    ],
  },
];

describe("the 35 CEL rule combinations of the snapshot CRDs", () => {
  it("covers 35 combinations, each with a passing and a failing case", () => {
    expect(combinations.map((c) => c.n)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    for (const c of combinations) {
      expect(c.cases.some((k) => k.errors.length === 0), `#${c.n} passes`).toBe(true);
      expect(c.cases.some((k) => k.errors.length > 0), `#${c.n} fails`).toBe(true);
    }
  });

  for (const c of combinations) {
    describe(`#${c.n} ${c.kind} ${c.path}: ${c.rule}`, () => {
      for (const version of c.versions) {
        for (const k of c.cases) {
          it(`${version}, ${k.old ? "update" : "create"}: ${k.name}`, () => {
            expect(write(c.kind, version, k.obj, k.old)).toEqual(k.errors);
          });
        }
      }
    });
  }
});

describe("transition rules", () => {
  it("are not evaluated on create (no oldSelf)", () => {
    // Every immutability rule would trip if oldSelf were, say, bound to an empty object.
    expect(write("VolumeSnapshotContent", "v1", vsc)).toEqual([]);
    expect(write("VolumeGroupSnapshotContent", "v1", vgsc)).toEqual([]);
  });

  it("are skipped where the old object has no value at that path", () => {
    const old = set(vsc, "spec.source", { snapshotHandle: "s-1" });
    // volumeHandle appears for the first time: its `self == oldSelf` has nothing to compare with.
    expect(write("VolumeSnapshotContent", "v1", set(vsc, "spec.source", { volumeHandle: "vol-9" }), old)).toEqual([
      E.immutable("spec.source", "object", "snapshotHandle is required once set"),
    ]);
  });
});

describe("versions without a rule do not enforce it", () => {
  it("VolumeSnapshot v1beta1 has no CEL rules", () => {
    expect(write("VolumeSnapshot", "v1beta1", set(vs, "spec.source.persistentVolumeClaimName", "other"), vs)).toEqual([]);
    expect(write("VolumeSnapshot", "v1beta1", set(vs, "spec.volumeSnapshotClassName", ""))).toEqual([]);
  });

  it("VolumeGroupSnapshotClass v1beta1 lets driver, deletionPolicy and parameters change", () => {
    const changed = sets(vgsClass, { driver: "x", deletionPolicy: "Retain", parameters: { z: "9" } });
    expect(write("VolumeGroupSnapshotClass", "v1beta1", changed, vgsClass)).toEqual([]);
    expect(write("VolumeGroupSnapshotClass", "v1", changed, vgsClass)).toHaveLength(3);
  });

  it("VolumeGroupSnapshotContent v1beta1 lets the ref's namespace and the group handle change", () => {
    const changed = sets(vgsc, { "spec.volumeGroupSnapshotRef.namespace": "other", "status.volumeGroupSnapshotHandle": "gh-9" });
    expect(write("VolumeGroupSnapshotContent", "v1beta1", changed, vgsc)).toEqual([]);
  });
});

describe("what the controllers write is accepted", () => {
  it("VolumeSnapshot status with a quantity restoreSize (string or number), times and an error", () => {
    const status = {
      boundVolumeSnapshotContentName: "snapcontent-1",
      creationTime: "2026-11-22T17:00:00Z",
      readyToUse: true,
      restoreSize: "1Gi",
      error: { message: "failed to take snapshot", time: "2026-11-22T17:00:00.123456Z" },
      volumeGroupSnapshotName: "group",
    };
    expect(write("VolumeSnapshot", "v1", set(vs, "status", status), vs)).toEqual([]);
    expect(write("VolumeSnapshot", "v1", set(vs, "status", { ...status, restoreSize: 1073741824 }), vs)).toEqual([]);
    expect(write("VolumeSnapshot", "v1", set(vs, "status", { ...status, restoreSize: "1 GiB" }), vs)).toEqual([
      `status.restoreSize: Invalid value: "1 GiB": status.restoreSize in body should match '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'`,
    ]);
  });

  it("VolumeSnapshotContent status in nanoseconds and bytes, never negative", () => {
    const status = {
      creationTime: 1_795_000_000_000_000_000,
      readyToUse: true,
      restoreSize: 1073741824,
      snapshotHandle: "snap-1",
      volumeGroupSnapshotHandle: "g-1",
    };
    expect(write("VolumeSnapshotContent", "v1", set(vsc, "status", status), vsc)).toEqual([]);
    expect(write("VolumeSnapshotContent", "v1", set(vsc, "status", { ...status, restoreSize: -1 }), vsc)).toEqual([
      "status.restoreSize: Invalid value: -1: status.restoreSize in body should be greater than or equal to 0",
    ]);
  });

  it("VolumeGroupSnapshotContent v1beta2 status with per-member snapshot info", () => {
    const status = {
      creationTime: "2026-11-22T17:00:00Z",
      readyToUse: true,
      volumeGroupSnapshotHandle: "gh-1",
      volumeSnapshotInfoList: [
        { volumeHandle: "vol-1", snapshotHandle: "s-1", creationTime: 1_795_000_000_000_000_000, readyToUse: true, restoreSize: 1024 },
        { volumeHandle: "vol-2", snapshotHandle: "s-2", readyToUse: false },
      ],
    };
    expect(write("VolumeGroupSnapshotContent", "v1beta2", set(vgsc, "status", status), vgsc)).toEqual([]);
  });

  it("unknown fields are pruned rather than refused, and enums still hold", () => {
    expect(write("VolumeSnapshotClass", "v1", sets(vsClass, { unknownField: 1, parameters: { a: "b" } }))).toEqual([]);
    expect(write("VolumeSnapshotClass", "v1", set(vsClass, "deletionPolicy", "Keep"))).toEqual([
      'deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"',
    ]);
    expect(write("VolumeSnapshotContent", "v1", set(vsc, "spec.driver", undefined))).toEqual([
      "spec.driver: Required value",
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });
});
