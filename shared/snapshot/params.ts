// Class parameters: the reserved `csi.storage.k8s.io/` keys and secret references with templates.
// Only the *reference* (name + namespace) is resolved here; the gateway reads the secret itself.
import type { SecretRef } from "../gateway/types.js";
import { RESERVED_PARAMETER_PREFIX, SECRET_PARAMETER_KEYS, type SecretParamSet } from "./constants.js";
import { MSG } from "./messages.js";
import { fail, ok, type Result } from "./result.js";

/**
 * Parameters for a Create RPC: the secret keys are dropped, any other reserved key fails the whole
 * create (upstream's rule), everything else passes through unchanged.
 */
export function stripReservedParameters(parameters: Record<string, string> | undefined): Result<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (key.startsWith(RESERVED_PARAMETER_PREFIX)) {
      if (SECRET_PARAMETER_KEYS.has(key)) continue;
      return fail(MSG.reservedParameter(key));
    }
    out[key] = value;
  }
  return ok(out);
}

/** What a template may refer to; absent objects make their tokens invalid. */
export interface TemplateObjects {
  contentName: string;
  snapshot?: { name: string; namespace: string };
}

/** Group flavour: `${volumegroupsnapshotcontent.name}` etc. */
export interface GroupTemplateObjects {
  groupContentName: string;
  groupSnapshot?: { name: string; namespace: string };
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** Shell-style `${token}` expansion; unknown tokens are an error listing them (sorted, like upstream). */
export function resolveTemplate(template: string, values: Record<string, string>): Result<string> {
  const missing = new Set<string>();
  const resolved = template.replace(/\$\{([^}]*)\}/g, (_, token: string) => {
    if (Object.hasOwn(values, token)) return values[token]!;
    missing.add(token);
    return "";
  });
  if (missing.size > 0) return fail(MSG.invalidTokens([...missing].sort()));
  return ok(resolved);
}

function templatesFrom(set: SecretParamSet, parameters: Record<string, string> | undefined): Result<{ name: string; namespace: string } | undefined> {
  const params = parameters ?? {};
  const hasName = Object.hasOwn(params, set.nameKey);
  const hasNamespace = Object.hasOwn(params, set.namespaceKey);
  if (!hasName && !hasNamespace) return ok(undefined);
  if (hasName !== hasNamespace) return fail(MSG.secretTemplateParams(MSG.secretPairIncomplete(set.set)));
  const name = params[set.nameKey]!;
  const namespace = params[set.namespaceKey]!;
  if (name === "" || namespace === "") return fail(MSG.secretTemplateParams(MSG.secretValueEmpty(set.set)));
  return ok({ name, namespace });
}

function resolveRef(
  templates: { name: string; namespace: string },
  namespaceValues: Record<string, string>,
  nameValues: Record<string, string>,
): Result<SecretRef> {
  const ns = resolveTemplate(templates.namespace, namespaceValues);
  if (!ns.ok) return fail(MSG.resolvingValue(templates.namespace, ns.error));
  if (!isDns1123Label(ns.value)) {
    return fail(
      templates.namespace !== ns.value
        ? MSG.resolvedInvalidNamespace(templates.namespace, ns.value)
        : MSG.invalidNamespace(templates.namespace),
    );
  }
  const name = resolveTemplate(templates.name, nameValues);
  if (!name.ok) return fail(MSG.resolvingValue(templates.name, name.error));
  if (!isDns1123Subdomain(name.value)) {
    return fail(
      templates.name !== name.value ? MSG.resolvedInvalidSecretName(templates.name, name.value) : MSG.invalidSecretName(templates.name),
    );
  }
  return ok({ name: name.value, namespace: ns.value });
}

/**
 * The secret a class names for `set`, templated with the content (and, when known, the snapshot).
 * ok(undefined) when the class names no secret for this set.
 */
export function resolveSecretRef(
  set: SecretParamSet,
  parameters: Record<string, string> | undefined,
  objects: TemplateObjects,
): Result<SecretRef | undefined> {
  const templates = templatesFrom(set, parameters);
  if (!templates.ok || templates.value === undefined) return templates as Result<undefined>;
  const namespaceValues: Record<string, string> = { "volumesnapshotcontent.name": objects.contentName };
  const nameValues: Record<string, string> = { "volumesnapshotcontent.name": objects.contentName };
  if (objects.snapshot) {
    namespaceValues["volumesnapshot.namespace"] = objects.snapshot.namespace;
    nameValues["volumesnapshot.namespace"] = objects.snapshot.namespace;
    nameValues["volumesnapshot.name"] = objects.snapshot.name;
  }
  return resolveRef(templates.value, namespaceValues, nameValues);
}

/** Group variant of resolveSecretRef (tokens `${volumegroupsnapshot…}`). */
export function resolveGroupSecretRef(
  set: SecretParamSet,
  parameters: Record<string, string> | undefined,
  objects: GroupTemplateObjects,
): Result<SecretRef | undefined> {
  const templates = templatesFrom(set, parameters);
  if (!templates.ok || templates.value === undefined) return templates as Result<undefined>;
  const namespaceValues: Record<string, string> = { "volumegroupsnapshotcontent.name": objects.groupContentName };
  const nameValues: Record<string, string> = { "volumegroupsnapshotcontent.name": objects.groupContentName };
  if (objects.groupSnapshot) {
    namespaceValues["volumegroupsnapshot.namespace"] = objects.groupSnapshot.namespace;
    nameValues["volumegroupsnapshot.namespace"] = objects.groupSnapshot.namespace;
    nameValues["volumegroupsnapshot.name"] = objects.groupSnapshot.name;
  }
  return resolveRef(templates.value, namespaceValues, nameValues);
}
