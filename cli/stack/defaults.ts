// Objects the local stack pre-creates (DESIGN "Local stack contract"): namespace default, the default
// StorageClass, VolumeSnapshotClass and VolumeGroupSnapshotClass for the hostpath driver, and its
// CSIDriver. Create-if-absent, so a restart never overwrites what a user changed.
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import { KubeApiError, type KubeClient } from "../../shared/kube/types.js";

export const HOSTPATH_DRIVER = "hostpath.snapflow.dev";

export function defaultObjects(driver = HOSTPATH_DRIVER): Array<{ resource: ResourceName; object: KubeObject & Record<string, unknown> }> {
  return [
    { resource: "namespaces", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } } },
    {
      resource: "storageclasses",
      object: {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: "standard", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: driver,
        reclaimPolicy: "Delete",
        volumeBindingMode: "Immediate",
        allowVolumeExpansion: true,
      },
    },
    {
      resource: "volumesnapshotclasses",
      object: {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshotClass",
        metadata: { name: "snapflow-hostpath", annotations: { "snapshot.storage.kubernetes.io/is-default-class": "true" } },
        driver,
        deletionPolicy: "Delete",
      },
    },
    {
      resource: "volumegroupsnapshotclasses",
      object: {
        apiVersion: "groupsnapshot.storage.k8s.io/v1",
        kind: "VolumeGroupSnapshotClass",
        metadata: { name: "snapflow-hostpath", annotations: { "groupsnapshot.storage.kubernetes.io/is-default-class": "true" } },
        driver,
        deletionPolicy: "Delete",
      },
    },
    {
      resource: "csidrivers",
      object: {
        apiVersion: "storage.k8s.io/v1",
        kind: "CSIDriver",
        metadata: { name: driver },
        spec: { attachRequired: false, podInfoOnMount: false, volumeLifecycleModes: ["Persistent"], fsGroupPolicy: "File" },
      },
    },
  ];
}

/** Creates each default object unless one of that name exists; returns the names created. */
export async function ensureDefaultObjects(kube: KubeClient, driver = HOSTPATH_DRIVER): Promise<string[]> {
  const created: string[] = [];
  for (const { resource, object } of defaultObjects(driver)) {
    const type = RESOURCES[resource];
    if (await kube.get(type, object.metadata.name!)) continue;
    try {
      await kube.create(type, object);
      created.push(`${resource}/${object.metadata.name}`);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    }
  }
  return created;
}
