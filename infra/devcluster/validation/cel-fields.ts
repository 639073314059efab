// Compile-time check of the fields a rule selects on `self`/`oldSelf`. kube-apiserver type-checks
// rules against the schema and refuses a CRD whose rule names a field the schema does not declare
// (`undefined field 'x'`); the CEL environment here binds values as dyn, so this walk over the
// rule's syntax tree supplies that check.
import type { SchemaNode } from "./node.js";

interface AstNode {
  op: string;
  args: unknown;
}

function isAst(v: unknown): v is AstNode {
  return typeof v === "object" && v !== null && "op" in v && "args" in v;
}

const CEL_SCALAR: Record<string, string> = { string: "string", integer: "int", number: "double", boolean: "bool" };

/** The schema node an expression denotes, when it is a plain selection chain from self/oldSelf. */
type Resolved = { node: SchemaNode; isRoot: boolean; isRootMetadata: boolean } | undefined;

export function undefinedFieldError(ast: unknown, self: SchemaNode, selfIsRoot: boolean): string | undefined {
  let problem: string | undefined;

  const resolve = (n: unknown): Resolved => {
    if (!isAst(n)) return undefined;
    if (n.op === "id") {
      return n.args === "self" || n.args === "oldSelf" ? { node: self, isRoot: selfIsRoot, isRootMetadata: false } : undefined;
    }
    if ((n.op === "." || n.op === ".?") && Array.isArray(n.args)) {
      const [target, field] = n.args as [unknown, unknown];
      const base = resolve(target);
      if (!base || typeof field !== "string") return undefined;
      return select(base, field, n.op === ".?");
    }
    if ((n.op === "[]" || n.op === "[?]") && Array.isArray(n.args)) {
      const base = resolve(n.args[0]);
      if (!base) return undefined;
      if (base.node.items) return { node: base.node.items, isRoot: false, isRootMetadata: false };
      if (typeof base.node.additionalProperties === "object") {
        return { node: base.node.additionalProperties, isRoot: false, isRootMetadata: false };
      }
      return undefined;
    }
    return undefined;
  };

  const select = (base: NonNullable<Resolved>, field: string, optional: boolean): Resolved => {
    if (base.isRootMetadata) {
      if (field !== "name" && field !== "generateName") problem ??= `undefined field '${field}'`;
      return undefined;
    }
    const node = base.node;
    if (node.intOrString || (!node.properties && (node.preserveUnknownFields || node.type === undefined))) return undefined;
    if (node.type && node.type !== "object") {
      const typeName = CEL_SCALAR[node.type] ?? (node.type === "array" ? "list" : node.type);
      problem ??= `type '${typeName}' does not support field selection`;
      return undefined;
    }
    if (typeof node.additionalProperties === "object") {
      return { node: node.additionalProperties, isRoot: false, isRootMetadata: false };
    }
    for (const [name, celName] of node.celNames) {
      if (celName === field) {
        const child = node.properties!.get(name)!;
        return { node: child, isRoot: false, isRootMetadata: base.isRoot && name === "metadata" };
      }
    }
    if (base.isRoot && (field === "apiVersion" || field === "kind")) return undefined;
    if (base.isRoot && field === "metadata") return { node, isRoot: false, isRootMetadata: true };
    if (!optional || node.properties) problem ??= `undefined field '${field}'`;
    return undefined;
  };

  const visit = (n: unknown): void => {
    if (problem !== undefined) return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    if (!isAst(n)) return;
    if (n.op === "." || n.op === ".?" || n.op === "[]" || n.op === "[?]") resolve(n);
    visit(n.args);
  };

  visit(ast);
  return problem;
}

/** Whether the rule mentions the variable oldSelf (a word inside a string literal does not count). */
export function referencesOldSelf(ast: unknown): boolean {
  if (Array.isArray(ast)) return ast.some(referencesOldSelf);
  if (!isAst(ast)) return false;
  if (ast.op === "id") return ast.args === "oldSelf";
  return referencesOldSelf(ast.args);
}
