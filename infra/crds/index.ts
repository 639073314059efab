// snapflow's six snapshot CRDs, written from the project's own definitions (see schema.ts), in
// apiextensions.k8s.io/v1 JSON. The dev cluster installs them at start; `snapflow crds render`
// writes them as YAML for real clusters.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { volumeGroupSnapshotCrd } from "./volumegroupsnapshot.js";
import { volumeGroupSnapshotClassCrd } from "./volumegroupsnapshotclass.js";
import { volumeGroupSnapshotContentCrd } from "./volumegroupsnapshotcontent.js";
import { volumeSnapshotCrd } from "./volumesnapshot.js";
import { volumeSnapshotClassCrd } from "./volumesnapshotclass.js";
import { volumeSnapshotContentCrd } from "./volumesnapshotcontent.js";

/** Fresh objects on every call, so a caller may mutate what it gets. Classes first, as kubectl applies them. */
export function snapshotCrds(): CustomResourceDefinition[] {
  const crds = [
    volumeSnapshotClassCrd(),
    volumeSnapshotContentCrd(),
    volumeSnapshotCrd(),
    volumeGroupSnapshotClassCrd(),
    volumeGroupSnapshotContentCrd(),
    volumeGroupSnapshotCrd(),
  ];
  // The definitions share schema constants between versions and kinds. A JSON round trip (unlike
  // structuredClone, which keeps shared references shared) gives every node its own copy.
  return crds.map((crd) => JSON.parse(JSON.stringify(crd)) as CustomResourceDefinition);
}
