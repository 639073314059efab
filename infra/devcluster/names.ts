// Object name rules (apimachinery validation): most kinds use a DNS-1123 subdomain, namespaces a
// DNS-1123 label. Messages are kube's, so kubectl users see the familiar wording.
import { fieldError, type FieldErrorLike } from "./errors.js";

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

export type NameRule = "subdomain" | "label";

export function validateName(name: string, rule: NameRule, field = "metadata.name"): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (rule === "label") {
    if (name.length > 63) errs.push(fieldError.invalid(field, name, "must be no more than 63 characters"));
    if (!LABEL.test(name)) errs.push(fieldError.invalid(field, name, LABEL_MSG));
  } else {
    if (name.length > 253) errs.push(fieldError.invalid(field, name, "must be no more than 253 characters"));
    if (!SUBDOMAIN.test(name)) errs.push(fieldError.invalid(field, name, SUBDOMAIN_MSG));
  }
  return errs;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Label keys (optional DNS prefix + qualified name) and values, as kube validates them. */
export function validateLabels(labels: Record<string, unknown> | undefined, field = "metadata.labels"): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const local = slash >= 0 ? key.slice(slash + 1) : key;
    if (
      local.length === 0 ||
      local.length > 63 ||
      !QUALIFIED_NAME.test(local) ||
      (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix)))
    ) {
      errs.push(
        fieldError.invalid(
          field,
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
      );
    }
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      errs.push(
        fieldError.invalid(
          field,
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  return errs;
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** kube's SimpleNameGenerator: base + 5 random characters from an alphabet without vowels. */
export function generateName(base: string): string {
  const trimmed = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return trimmed + suffix;
}
