// Field shapes several snapshot kinds embed: the error record and a core/v1 ObjectReference.
import { dateTime, doc, object, string, type Schema } from "./schema.js";
import type { ValidationRule } from "../../shared/api/crd.js";

/** VolumeSnapshotError: the last error seen while cutting a (group) snapshot. */
export function snapshotErrorField(description: string): Schema {
  return object(description, {
    message: string(
      doc(
        "message is a string detailing the encountered error during snapshot",
        "creation if specified.",
        "NOTE: message may be logged, and it should not contain sensitive",
        "information.",
      ),
    ),
    time: dateTime("time is the timestamp when the error was encountered."),
  });
}

/**
 * core/v1 ObjectReference: a content's pointer back to its (group) snapshot. Newer versions mark it
 * atomic (one value, replaced whole), the oldest do not.
 */
export function objectReferenceField(description: string, rules: ValidationRule[], atomic = true): Schema {
  return object(
    description,
    {
      apiVersion: string("API version of the referent."),
      fieldPath: string(
        doc(
          "If referring to a piece of an object instead of an entire object, this string",
          "should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
          "For example, if the object reference is to a container within a pod, this would take on a value like:",
          '"spec.containers{name}" (where "name" refers to the name of the container that triggered',
          'the event) or if no container name is specified "spec.containers[2]" (container with',
          "index 2 in this pod). This syntax is chosen only to have some well-defined way of",
          "referencing a part of an object.",
          "TODO: this design is not final and this field is subject to change in the future.",
        ),
      ),
      kind: string(
        doc(
          "Kind of the referent.",
          "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
        ),
      ),
      name: string(
        doc(
          "Name of the referent.",
          "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names",
        ),
      ),
      namespace: string(
        doc(
          "Namespace of the referent.",
          "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
        ),
      ),
      resourceVersion: string(
        doc(
          "Specific resourceVersion to which this reference is made, if any.",
          "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency",
        ),
      ),
      uid: string(
        doc(
          "UID of the referent.",
          "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids",
        ),
      ),
    },
    atomic ? { rules, mapType: "atomic" } : { rules },
  );
}
