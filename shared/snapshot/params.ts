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

const isSpecial = (c: string) => "*#$@!?-".includes(c) || (c >= "0" && c <= "9");
const isNameChar = (c: string) => c === "_" || (c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/**
 * The name after a `$` (its first character at `rest[0]`) and how many characters it spans, with the
 * rules of Go's os.Expand, which upstream uses: `${name}`, `${<special>}`, `$<special>`, `$name`;
 * an empty name with a width is malformed (eaten), with none a lone `$` (kept).
 */
function shellName(rest: string): [string, number] {
  if (rest[0] === "{") {
    if (rest.length > 2 && isSpecial(rest[1]!) && rest[2] === "}") return [rest[1]!, 3];
    const close = rest.indexOf("}", 1);
    if (close === 1) return ["", 2];
    if (close > 1) return [rest.slice(1, close), close + 1];
    return ["", 1];
  }
  if (isSpecial(rest[0]!)) return [rest[0]!, 1];
  let i = 0;
  while (i < rest.length && isNameChar(rest[i]!)) i++;
  return [rest.slice(0, i), i];
}

/** Shell-style expansion as upstream does it; unknown tokens are an error listing them (sorted, like upstream). */
export function resolveTemplate(template: string, values: Record<string, string>): Result<string> {
  const missing = new Set<string>();
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0 || dollar + 1 >= template.length) break;
    out += template.slice(i, dollar);
    const [name, width] = shellName(template.slice(dollar + 1));
    if (name !== "") {
      if (Object.hasOwn(values, name)) out += values[name]!;
      else missing.add(name);
    } else if (width === 0) {
      out += "$";
    }
    i = dollar + 1 + width;
  }
  out += template.slice(i);
  if (missing.size > 0) return fail(MSG.invalidTokens([...missing].sort()));
  return ok(out);
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
