// StorageClass parameters as external-provisioner reads them: the reserved `csi.storage.k8s.io/`
// keys (stripped or refused), fsType, and the secret references with their `${pv.name}` /
// `${pvc.*}` templates. Only references are resolved: the gateway reads secret values itself.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { SecretRef } from "../../shared/gateway/types.js";
import { MSG as SNAPSHOT_MSG } from "../../shared/snapshot/messages.js";
import { isDns1123Label, isDns1123Subdomain, resolveTemplate } from "../../shared/snapshot/params.js";
import { fail, ok, type Result } from "../../shared/snapshot/result.js";
import { MSG } from "./constants.js";

const PREFIX = "csi.storage.k8s.io/";
const FSTYPE_KEY = `${PREFIX}fstype`;

interface SecretSet {
  /** The word upstream's errors use. */
  name: string;
  deprecatedNameKey?: string;
  deprecatedNamespaceKey?: string;
  nameKey: string;
  namespaceKey: string;
}

const set = (name: string, stem: string, deprecated?: string): SecretSet => ({
  name,
  nameKey: `${PREFIX}${stem}-secret-name`,
  namespaceKey: `${PREFIX}${stem}-secret-namespace`,
  ...(deprecated ? { deprecatedNameKey: `${deprecated}SecretName`, deprecatedNamespaceKey: `${deprecated}SecretNamespace` } : {}),
});

export const SECRET_SETS = {
  provisioner: set("Provisioner", "provisioner", "csiProvisioner"),
  controllerPublish: set("ControllerPublish", "controller-publish", "csiControllerPublish"),
  nodeStage: set("NodeStage", "node-stage", "csiNodeStage"),
  nodePublish: set("NodePublish", "node-publish", "csiNodePublish"),
  controllerExpand: set("ControllerExpand", "controller-expand"),
  nodeExpand: set("NodeExpand", "node-expand"),
  controllerModify: set("ControllerModify", "controller-modify"),
} as const;

const DEFAULT_SET: SecretSet = { name: "Default", nameKey: `${PREFIX}secret-name`, namespaceKey: `${PREFIX}secret-namespace` };

/** The reserved keys the provisioner understands (stripped before CreateVolume); any other is refused. */
const KNOWN_RESERVED: ReadonlySet<string> = new Set([
  FSTYPE_KEY,
  DEFAULT_SET.nameKey,
  DEFAULT_SET.namespaceKey,
  ...Object.values(SECRET_SETS).flatMap((s) => [s.nameKey, s.namespaceKey]),
]);

/** CreateVolume parameters: known reserved keys dropped, unknown reserved keys fail, the rest kept. */
export function stripProvisionerParameters(parameters: Record<string, string> | undefined): Result<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (key.startsWith(PREFIX)) {
      if (KNOWN_RESERVED.has(key)) continue;
      return fail(MSG.stripParameters(SNAPSHOT_MSG.reservedParameter(key)));
    }
    out[key] = value;
  }
  return ok(out);
}

/** fsType from `fstype` (any case, deprecated) or `csi.storage.k8s.io/fstype`; both is an error. */
export function fsTypeOf(parameters: Record<string, string> | undefined): Result<string> {
  let fsType = "";
  let found = 0;
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (key.toLowerCase() === "fstype" || key === FSTYPE_KEY) {
      fsType = value;
      found++;
    }
  }
  return found > 1 ? fail(MSG.fsTypeTwice) : ok(fsType);
}

function templates(s: SecretSet, params: Record<string, string>): Result<{ name: string; namespace: string } | undefined> {
  let name = "";
  let namespace = "";
  let names = 0;
  let namespaces = 0;
  for (const key of [s.deprecatedNameKey, s.nameKey]) {
    if (key && Object.hasOwn(params, key)) {
      name = params[key]!;
      names++;
    }
  }
  for (const key of [s.deprecatedNamespaceKey, s.namespaceKey]) {
    if (key && Object.hasOwn(params, key)) {
      namespace = params[key]!;
      namespaces++;
    }
  }
  if (names > 1 || namespaces > 1) return fail(`${s.name} secrets specified in parameters with both "csi" and "${PREFIX}" keys`);
  if (names !== namespaces) return fail(SNAPSHOT_MSG.secretPairIncomplete(s.name));
  if (names === 0) return ok(undefined);
  if (name === "" || namespace === "") return fail(SNAPSHOT_MSG.secretValueEmpty(s.name));
  return ok({ name, namespace });
}

/**
 * The secret a class names for one set (falling back to the default `secret-name` pair), templated
 * with the PV name and the claim. ok(undefined) when the class names none.
 */
export function secretRefFor(s: SecretSet, parameters: Record<string, string> | undefined, pvName: string, claim: PersistentVolumeClaim): Result<SecretRef | undefined> {
  const params = parameters ?? {};
  let t = templates(s, params);
  if (!t.ok) return fail(SNAPSHOT_MSG.secretTemplateParams(t.error));
  if (t.value === undefined) {
    t = templates(DEFAULT_SET, params);
    if (!t.ok) return fail(`failed to get default name and namespace template from params: ${t.error}`);
  }
  if (t.value === undefined) return ok(undefined);
  const { name: nameTemplate, namespace: namespaceTemplate } = t.value;

  // The namespace may only use values the claim's author does not control.
  const ns = resolveTemplate(namespaceTemplate, { "pv.name": pvName, "pvc.namespace": claim.metadata.namespace ?? "" });
  if (!ns.ok) return fail(SNAPSHOT_MSG.resolvingValue(namespaceTemplate, ns.error));
  if (!isDns1123Label(ns.value)) {
    return fail(namespaceTemplate !== ns.value ? SNAPSHOT_MSG.resolvedInvalidNamespace(namespaceTemplate, ns.value) : SNAPSHOT_MSG.invalidNamespace(namespaceTemplate));
  }
  const nameValues: Record<string, string> = {
    "pv.name": pvName,
    "pvc.name": claim.metadata.name ?? "",
    "pvc.namespace": claim.metadata.namespace ?? "",
  };
  for (const [k, v] of Object.entries(claim.metadata.annotations ?? {})) nameValues[`pvc.annotations['${k}']`] = v;
  const name = resolveTemplate(nameTemplate, nameValues);
  if (!name.ok) return fail(SNAPSHOT_MSG.resolvingValue(nameTemplate, name.error));
  if (!isDns1123Subdomain(name.value)) {
    return fail(nameTemplate !== name.value ? SNAPSHOT_MSG.resolvedInvalidSecretName(nameTemplate, name.value) : SNAPSHOT_MSG.invalidSecretName(nameTemplate));
  }
  return ok({ name: name.value, namespace: ns.value });
}
