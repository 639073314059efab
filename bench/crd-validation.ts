// Validation benchmark: what one write of a snapshot object costs in the dev cluster's validator
// (prune → default → validate with CEL), per kind, on create and on update; plus compiling all six
// CRDs. Target: far below the 1 ms a write may spend in total at 1,000 writes/s.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { snapshotCrds } from "../infra/crds/index.js";
import { compileCrd, type CompiledCrdVersion } from "../infra/devcluster/validation/index.js";

export interface ValidationBenchResult {
  benchmark: "crd-validation";
  when: string;
  machine: { cpus: number; node: string };
  compileAllMs: number;
  writes: Array<{ kind: string; version: string; op: "create" | "update"; iterations: number; microsPerWrite: number; writesPerSecond: number }>;
}

type Obj = Record<string, unknown>;

/** A realistic object of each kind and a changed copy of it (a status update, as controllers do). */
function samples(): Array<{ kind: string; version: string; obj: Obj; next: Obj }> {
  const vs = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap", namespace: "default" },
    spec: { source: { persistentVolumeClaimName: "pvc" }, volumeSnapshotClassName: "snapflow-hostpath" },
    status: { boundVolumeSnapshotContentName: "snapcontent-1", readyToUse: false },
  };
  const vsc = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: { name: "snapcontent-1" },
    spec: {
      deletionPolicy: "Delete",
      driver: "hostpath.snapflow.dev",
      source: { volumeHandle: "vol-1" },
      sourceVolumeMode: "Filesystem",
      volumeSnapshotClassName: "snapflow-hostpath",
      volumeSnapshotRef: { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", name: "snap", namespace: "default", uid: "u-1" },
    },
    status: { readyToUse: false },
  };
  const vgsc = {
    apiVersion: "groupsnapshot.storage.k8s.io/v1beta2",
    kind: "VolumeGroupSnapshotContent",
    metadata: { name: "groupsnapcontent-1" },
    spec: {
      deletionPolicy: "Delete",
      driver: "hostpath.snapflow.dev",
      source: { volumeHandles: ["vol-1", "vol-2", "vol-3"] },
      volumeGroupSnapshotClassName: "snapflow-hostpath",
      volumeGroupSnapshotRef: { name: "group", namespace: "default", uid: "u-2" },
    },
    status: { volumeGroupSnapshotHandle: "g-1", readyToUse: false },
  };
  const ready = (o: Obj): Obj => ({ ...structuredClone(o), status: { ...(o.status as Obj), readyToUse: true } });
  return [
    { kind: "VolumeSnapshot", version: "v1", obj: vs, next: ready(vs) },
    { kind: "VolumeSnapshotContent", version: "v1", obj: vsc, next: ready(vsc) },
    { kind: "VolumeGroupSnapshotContent", version: "v1beta2", obj: vgsc, next: ready(vgsc) },
  ];
}

function measure(v: CompiledCrdVersion, obj: Obj, old: Obj | undefined, iterations: number): number {
  const bodies = Array.from({ length: iterations }, () => structuredClone(obj));
  const start = performance.now();
  for (const body of bodies) {
    v.prune(body);
    v.default(body);
    if (v.validate(body, old).length > 0) throw new Error("benchmark object is invalid");
  }
  return performance.now() - start;
}

export function runValidationBench(iterations = 20_000): ValidationBenchResult {
  const t0 = performance.now();
  const compiled = new Map(snapshotCrds().map((crd) => [crd.spec.names.kind, compileCrd(crd)]));
  const compileAllMs = performance.now() - t0;
  const writes: ValidationBenchResult["writes"] = [];
  for (const s of samples()) {
    const v = compiled.get(s.kind)!.get(s.version)!;
    measure(v, s.obj, undefined, Math.min(iterations, 2_000)); // warm-up
    for (const op of ["create", "update"] as const) {
      const ms = op === "create" ? measure(v, s.obj, undefined, iterations) : measure(v, s.next, s.obj, iterations);
      writes.push({
        kind: s.kind,
        version: s.version,
        op,
        iterations,
        microsPerWrite: Number(((ms * 1000) / iterations).toFixed(2)),
        writesPerSecond: Math.round(iterations / (ms / 1000)),
      });
    }
  }
  return {
    benchmark: "crd-validation",
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    compileAllMs: Number(compileAllMs.toFixed(2)),
    writes,
  };
}

export async function writeValidationBenchResult(result: ValidationBenchResult, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
