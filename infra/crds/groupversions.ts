// groupsnapshot.storage.k8s.io serves three versions, listed in upstream's order: v1 (preferred),
// v1beta1 (deprecated, still served) and v1beta2 (the storage version). v1 and v1beta2 share one
// schema; v1beta1 predates several immutability rules and the v1beta2 status layout.
import type { CustomResourceColumnDefinition, CustomResourceDefinitionVersion } from "../../shared/api/crd.js";
import { version } from "./common.js";
import type { Schema } from "./schema.js";

export const GROUP_SNAPSHOT_GROUP = "groupsnapshot.storage.k8s.io";
/** The API review of the groupsnapshot.storage.k8s.io group. */
export const GROUP_SNAPSHOT_API_APPROVAL = "https://github.com/kubernetes-csi/external-snapshotter/pull/1337";

export type GroupApiVersion = "v1" | "v1beta1" | "v1beta2";

/** Builds the three served versions from a schema function of the version name. */
export function groupSnapshotVersions(
  schemaFor: (v: GroupApiVersion) => Schema,
  columns: CustomResourceColumnDefinition[],
  statusSubresource: boolean,
): CustomResourceDefinitionVersion[] {
  return [
    version("v1", schemaFor("v1"), { served: true, storage: false, statusSubresource, columns }),
    version("v1beta1", schemaFor("v1beta1"), {
      served: true,
      storage: false,
      deprecated: true,
      statusSubresource,
      columns,
    }),
    version("v1beta2", schemaFor("v1beta2"), { served: true, storage: true, statusSubresource, columns }),
  ];
}
