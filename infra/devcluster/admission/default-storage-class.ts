// kube-apiserver's DefaultStorageClass admission plugin: a claim created without
// spec.storageClassName gets the default StorageClass's name. An explicit "" means "no class" and
// is left alone. With several defaults kube (≥ 1.26) picks the newest, ties broken by name.
import type { KObject } from "../resource-def.js";

const DEFAULT_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];

function isDefault(sc: KObject): boolean {
  const annotations: Record<string, string> = sc.metadata?.annotations ?? {};
  return DEFAULT_ANNOTATIONS.some((key) => annotations[key] === "true");
}

export function defaultStorageClassName(classes: KObject[]): string | undefined {
  const defaults = classes.filter(isDefault);
  defaults.sort((a, b) => {
    const byTime = String(b.metadata.creationTimestamp ?? "").localeCompare(String(a.metadata.creationTimestamp ?? ""));
    return byTime !== 0 ? byTime : String(a.metadata.name).localeCompare(String(b.metadata.name));
  });
  return defaults[0]?.metadata.name;
}

export function admitDefaultStorageClass(claim: KObject, classes: () => KObject[]): void {
  if (claim.spec?.storageClassName !== undefined && claim.spec.storageClassName !== null) return;
  const name = defaultStorageClassName(classes());
  if (name !== undefined) claim.spec = { ...claim.spec, storageClassName: name };
}
