// Hand-written OpenAPI schemas for the built-in kinds: enough structure and descriptions for
// `kubectl explain` and for kubectl's apply to find each kind (not the full upstream documents).
import type { JSONSchemaProps } from "../../shared/api/crd.js";

type S = JSONSchemaProps & { $ref?: string; allOf?: S[] };

const str = (description: string, extra: Partial<S> = {}): S => ({ type: "string", description, ...extra });
const bool = (description: string): S => ({ type: "boolean", description });
const int = (description: string): S => ({ type: "integer", format: "int32", description });
const strMap = (description: string): S => ({ type: "object", description, additionalProperties: { type: "string" } });
const strList = (description: string): S => ({ type: "array", description, items: { type: "string" } });
const obj = (description: string, properties: Record<string, S>, required?: string[]): S => ({
  type: "object",
  description,
  properties,
  ...(required ? { required } : {}),
});
const ref = (name: string, description: string): S => ({ description, allOf: [{ $ref: `#/components/schemas/${name}` }] });
const quantities = (description: string): S => ({
  type: "object",
  description,
  additionalProperties: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity" } as S,
});

export const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
export const LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

/** Schemas every group-version document carries (metadata, quantities). */
export function metaSchemas(): Record<string, S> {
  return {
    [OBJECT_META]: obj(
      "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
      {
        name: str("Name must be unique within a namespace."),
        generateName: str("GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided."),
        namespace: str("Namespace defines the space within which each name must be unique."),
        uid: str("UID is the unique in time and space value for this object."),
        resourceVersion: str("An opaque value that represents the internal version of this object."),
        generation: { type: "integer", format: "int64", description: "A sequence number representing a specific generation of the desired state." },
        creationTimestamp: str("CreationTimestamp is a timestamp representing the server time when this object was created.", { format: "date-time" }),
        deletionTimestamp: str("DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.", { format: "date-time" }),
        deletionGracePeriodSeconds: { type: "integer", format: "int64", description: "Number of seconds allowed for this object to gracefully terminate." },
        labels: strMap("Map of string keys and values that can be used to organize and categorize objects."),
        annotations: strMap("Annotations is an unstructured key value map stored with a resource."),
        finalizers: { ...strList("Must be empty before the object is deleted from the registry."), "x-kubernetes-list-type": "set" },
        ownerReferences: {
          type: "array",
          description: "List of objects depended by this object.",
          items: obj(
            "OwnerReference contains enough information to let you identify an owning object.",
            {
              apiVersion: str("API version of the referent."),
              kind: str("Kind of the referent."),
              name: str("Name of the referent."),
              uid: str("UID of the referent."),
              controller: bool("If true, this reference points to the managing controller."),
              blockOwnerDeletion: bool("If true, AND if the owner has the \"foregroundDeletion\" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed."),
            },
            ["apiVersion", "kind", "name", "uid"],
          ),
        },
        managedFields: { type: "array", description: "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.", items: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ),
    [LIST_META]: obj("ListMeta describes metadata that synthetic resources must have.", {
      resourceVersion: str("String that identifies the server's internal version of this object."),
      continue: str("continue may be set if the user set a limit on the number of items returned."),
      remainingItemCount: { type: "integer", format: "int64", description: "The number of subsequent items in the list which are not included in this list response." },
    }),
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
      type: "string",
      description: "Quantity is a fixed-point representation of a number.",
      "x-kubernetes-int-or-string": true,
    } as S,
  };
}

const typeMeta = {
  apiVersion: str("APIVersion defines the versioned schema of this representation of an object."),
  kind: str("Kind is a string value representing the REST resource this object represents."),
  metadata: ref(OBJECT_META, "Standard object's metadata."),
};

const objectReference = (description: string): S =>
  obj(description, {
    apiVersion: str("API version of the referent."),
    kind: str("Kind of the referent."),
    name: str("Name of the referent."),
    namespace: str("Namespace of the referent."),
    uid: str("UID of the referent."),
    resourceVersion: str("Specific resourceVersion to which this reference is made, if any."),
    fieldPath: str("If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement."),
  });

const typedRef = (description: string): S =>
  obj(description, { apiGroup: str("APIGroup is the group for the resource being referenced."), kind: str("Kind is the type of resource being referenced"), name: str("Name is the name of resource being referenced"), namespace: str("Namespace is the namespace of resource being referenced") }, ["kind", "name"]);

const conditions = (description: string): S => ({
  type: "array",
  description,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
  items: obj("A condition of the object.", {
    type: str("Type of the condition."),
    status: str("Status of the condition: True, False or Unknown."),
    lastProbeTime: str("Last time the condition was probed.", { format: "date-time" }),
    lastTransitionTime: str("Last time the condition transitioned from one status to another.", { format: "date-time" }),
    reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
    message: str("Human-readable message indicating details about last transition."),
  }, ["type", "status"]),
});

const csiSource = obj("Represents storage that is managed by an external CSI volume driver.", {
  driver: str("driver is the name of the driver to use for this volume. Required."),
  volumeHandle: str("volumeHandle is the unique volume name returned by the CSI volume plugin's CreateVolume to refer to the volume on all subsequent calls. Required."),
  fsType: str("fsType to mount."),
  readOnly: bool("readOnly value to pass to ControllerPublishVolumeRequest."),
  volumeAttributes: strMap("volumeAttributes of the volume to publish."),
  controllerExpandSecretRef: obj("controllerExpandSecretRef is a reference to the secret object containing sensitive information to pass to the CSI driver to complete the CSI ControllerExpandVolume call.", { name: str("name of the secret"), namespace: str("namespace of the secret") }),
  nodeExpandSecretRef: obj("nodeExpandSecretRef is a reference to the secret object containing sensitive information to pass to the CSI driver to complete the CSI NodeExpandVolume call.", { name: str("name of the secret"), namespace: str("namespace of the secret") }),
}, ["driver", "volumeHandle"]);

const SCHEMAS: Record<string, S> = {
  "/Namespace": obj("Namespace provides a scope for Names. Use of multiple namespaces is optional.", {
    ...typeMeta,
    spec: obj("Spec defines the behavior of the Namespace.", { finalizers: strList("Finalizers is an opaque list of values that must be empty to permanently remove object from storage.") }),
    status: obj("Status describes the current status of a Namespace.", { phase: str("Phase is the current lifecycle phase of the namespace."), conditions: conditions("Represents the latest available observations of a namespace's current state.") }),
  }),
  "/PersistentVolumeClaim": obj("PersistentVolumeClaim is a user's request for and claim to a persistent volume", {
    ...typeMeta,
    spec: obj("spec defines the desired characteristics of a volume requested by a pod author.", {
      accessModes: { ...strList("accessModes contains the desired access modes the volume should have."), "x-kubernetes-list-type": "atomic" },
      resources: obj("resources represents the minimum resources the volume should have.", {
        requests: quantities("Requests describes the minimum amount of compute resources required."),
        limits: quantities("Limits describes the maximum amount of compute resources allowed."),
      }),
      storageClassName: str("storageClassName is the name of the StorageClass required by the claim."),
      volumeName: str("volumeName is the binding reference to the PersistentVolume backing this claim."),
      volumeMode: str("volumeMode defines what type of volume is required by the claim.", { enum: ["Block", "Filesystem"] }),
      volumeAttributesClassName: str("volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
      dataSource: typedRef("dataSource field can be used to specify either an existing VolumeSnapshot object (snapshot.storage.k8s.io/VolumeSnapshot) or an existing PVC (PersistentVolumeClaim)."),
      dataSourceRef: typedRef("dataSourceRef specifies the object from which to populate the volume with data, if a non-empty volume is desired."),
      selector: obj("selector is a label query over volumes to consider for binding.", { matchLabels: strMap("matchLabels is a map of {key,value} pairs."), matchExpressions: { type: "array", description: "matchExpressions is a list of label selector requirements.", items: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }),
    }),
    status: obj("status represents the current information/status of a persistent volume claim.", {
      phase: str("phase represents the current phase of PersistentVolumeClaim.", { enum: ["Bound", "Lost", "Pending"] }),
      accessModes: strList("accessModes contains the actual access modes the volume backing the PVC has."),
      capacity: quantities("capacity represents the actual resources of the underlying volume."),
      allocatedResources: quantities("allocatedResources tracks the resources allocated to a PVC including its capacity."),
      conditions: conditions("conditions is the current Condition of persistent volume claim."),
    }),
  }),
  "/PersistentVolume": obj("PersistentVolume (PV) is a storage resource provisioned by an administrator.", {
    ...typeMeta,
    spec: obj("spec defines a specification of a persistent volume owned by the cluster.", {
      capacity: quantities("capacity is the description of the persistent volume's resources and capacity."),
      accessModes: strList("accessModes contains all ways the volume can be mounted."),
      claimRef: objectReference("claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
      persistentVolumeReclaimPolicy: str("persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", { enum: ["Delete", "Recycle", "Retain"] }),
      storageClassName: str("storageClassName is the name of StorageClass to which this persistent volume belongs."),
      volumeMode: str("volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", { enum: ["Block", "Filesystem"] }),
      mountOptions: strList("mountOptions is the list of mount options."),
      csi: csiSource,
      hostPath: obj("hostPath represents a directory on the host.", { path: str("path of the directory on the host."), type: str("type for HostPath Volume") }, ["path"]),
      nodeAffinity: { type: "object", description: "nodeAffinity defines constraints that limit what nodes this volume can be accessed from.", "x-kubernetes-preserve-unknown-fields": true },
    }),
    status: obj("status represents the current information/status for the persistent volume.", {
      phase: str("phase indicates if a volume is available, bound to a claim, or released by a claim.", { enum: ["Available", "Bound", "Failed", "Pending", "Released"] }),
      message: str("message is a human-readable message indicating details about why the volume is in this state."),
      reason: str("reason is a brief CamelCase string that describes any failure."),
      lastPhaseTransitionTime: str("lastPhaseTransitionTime is the time the phase transitioned from one to another.", { format: "date-time" }),
    }),
  }),
  "/Secret": obj("Secret holds secret data of a certain type.", {
    ...typeMeta,
    data: { type: "object", description: "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string.", additionalProperties: { type: "string", format: "byte" } },
    stringData: strMap("stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience."),
    type: str("Used to facilitate programmatic handling of secret data."),
    immutable: bool("Immutable, if set to true, ensures that data stored in the Secret cannot be updated."),
  }),
  "/ConfigMap": obj("ConfigMap holds configuration data for pods to consume.", {
    ...typeMeta,
    data: strMap("Data contains the configuration data."),
    binaryData: { type: "object", description: "BinaryData contains the binary data.", additionalProperties: { type: "string", format: "byte" } },
    immutable: bool("Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated."),
  }),
  "/Event": obj("Event is a report of an event somewhere in the cluster.", {
    ...typeMeta,
    involvedObject: objectReference("The object that this event is about."),
    reason: str("This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    message: str("A human-readable description of the status of this operation."),
    source: obj("The component reporting this event.", { component: str("Component from which the event is generated."), host: str("Node name on which the event is generated.") }),
    firstTimestamp: str("The time at which the event was first recorded.", { format: "date-time" }),
    lastTimestamp: str("The time at which the most recent occurrence of this event was recorded.", { format: "date-time" }),
    eventTime: str("Time when this Event was first observed.", { format: "date-time" }),
    count: int("The number of times this event has occurred."),
    type: str("Type of this event (Normal, Warning)."),
    action: str("What action was taken/failed regarding to the Regarding object."),
    reportingComponent: str("Name of the controller that emitted this Event."),
    reportingInstance: str("ID of the controller instance."),
    related: objectReference("Optional secondary object for more complex actions."),
    series: { type: "object", description: "Data about the Event series this event represents.", "x-kubernetes-preserve-unknown-fields": true },
  }, ["metadata", "involvedObject"]),
  "events.k8s.io/Event": obj("Event is a report of an event somewhere in the cluster.", {
    ...typeMeta,
    regarding: objectReference("regarding contains the object this Event is about."),
    related: objectReference("related is the optional secondary object for more complex actions."),
    reason: str("reason is why the action was taken."),
    note: str("note is a human-readable description of the status of this operation."),
    type: str("type is the type of this event (Normal, Warning)."),
    action: str("action is what action was taken/failed regarding to the regarding object."),
    eventTime: str("eventTime is the time when this Event was first observed.", { format: "date-time" }),
    reportingController: str("reportingController is the name of the controller that emitted this Event."),
    reportingInstance: str("reportingInstance is the ID of the controller instance."),
    deprecatedCount: int("deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type."),
    deprecatedFirstTimestamp: str("deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.", { format: "date-time" }),
    deprecatedLastTimestamp: str("deprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.", { format: "date-time" }),
    deprecatedSource: obj("deprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.", { component: str("Component from which the event is generated."), host: str("Node name on which the event is generated.") }),
    series: { type: "object", description: "series is data about the Event series this event represents.", "x-kubernetes-preserve-unknown-fields": true },
  }, ["eventTime"]),
  "/Pod": obj("Pod is a collection of containers that can run on a host. The dev cluster stores pods but never schedules or runs them.", {
    ...typeMeta,
    spec: { type: "object", description: "Specification of the desired behavior of the pod.", "x-kubernetes-preserve-unknown-fields": true },
    status: { type: "object", description: "Most recently observed status of the pod.", "x-kubernetes-preserve-unknown-fields": true },
  }),
  "storage.k8s.io/StorageClass": obj("StorageClass describes the parameters for a class of storage for which PersistentVolumes can be dynamically provisioned.", {
    ...typeMeta,
    provisioner: str("provisioner indicates the type of the provisioner."),
    parameters: strMap("parameters holds the parameters for the provisioner that should create volumes of this storage class."),
    reclaimPolicy: str("reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.", { enum: ["Delete", "Recycle", "Retain"] }),
    allowVolumeExpansion: bool("allowVolumeExpansion shows whether the storage class allow volume expand."),
    volumeBindingMode: str("volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.", { enum: ["Immediate", "WaitForFirstConsumer"] }),
    mountOptions: strList("mountOptions controls the mountOptions for dynamically provisioned PersistentVolumes of this storage class."),
    allowedTopologies: { type: "array", description: "allowedTopologies restrict the node topologies where volumes can be dynamically provisioned.", items: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
  }, ["provisioner"]),
  "storage.k8s.io/CSIDriver": obj("CSIDriver captures information about a Container Storage Interface (CSI) volume driver deployed on the cluster.", {
    ...typeMeta,
    spec: obj("spec represents the specification of the CSI Driver.", {
      attachRequired: bool("attachRequired indicates this CSI volume driver requires an attach operation."),
      podInfoOnMount: bool("podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations."),
      storageCapacity: bool("storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity."),
      requiresRepublish: bool("requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called."),
      fsGroupPolicy: str("fsGroupPolicy defines if the underlying volume supports changing ownership and permission of the volume before being mounted."),
      seLinuxMount: bool("seLinuxMount specifies if the CSI driver supports \"-o context\" mount option."),
      volumeLifecycleModes: { ...strList("volumeLifecycleModes defines what kind of volumes this CSI volume driver supports."), "x-kubernetes-list-type": "set" },
      tokenRequests: { type: "array", description: "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for to do necessary authentication.", items: obj("TokenRequest contains parameters of a service account token.", { audience: str("audience is the intended audience of the token"), expirationSeconds: { type: "integer", format: "int64", description: "expirationSeconds is the duration of validity of the token" } }, ["audience"]) },
    }),
  }, ["spec"]),
  "apiextensions.k8s.io/CustomResourceDefinition": obj("CustomResourceDefinition represents a resource that should be exposed on the API server.", {
    ...typeMeta,
    spec: { type: "object", description: "spec describes how the user wants the resources to appear", "x-kubernetes-preserve-unknown-fields": true, required: ["group", "names", "scope", "versions"], properties: { group: str("group is the API group of the defined custom resource."), scope: str("scope indicates whether the defined custom resource is cluster- or namespace-scoped."), names: { type: "object", description: "names specify the resource and kind names for the custom resource.", "x-kubernetes-preserve-unknown-fields": true }, versions: { type: "array", description: "versions is the list of all API versions of the defined custom resource.", items: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } } },
    status: { type: "object", description: "status indicates the actual state of the CustomResourceDefinition", "x-kubernetes-preserve-unknown-fields": true },
  }, ["spec"]),
};

export function builtinSchema(group: string, kind: string): JSONSchemaProps | undefined {
  return SCHEMAS[`${group}/${kind}`];
}
