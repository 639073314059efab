// Property names as CEL sees them (k8s.io/apiserver/pkg/cel/escaping.go): a name that is a CEL
// reserved word becomes __<word>__, and __ . - / inside names are spelled out, so `namespace` is
// reachable as `self.__namespace__`. Names that cannot be escaped are not visible to rules.

const RESERVED = new Set([
  "true",
  "false",
  "null",
  "in",
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
  "void",
  "while",
]);

const ESCAPABLE = /^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/;

/** The CEL field name for a declared property, or undefined when kube would hide it from rules. */
export function escapePropertyName(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  if (!ESCAPABLE.test(name)) return undefined;
  // One pass, longest token first, so "__" inside "a__b" is not re-read as part of another escape.
  return name.replace(/__|[.\-/]/g, (token) => {
    switch (token) {
      case "__":
        return "__underscores__";
      case ".":
        return "__dot__";
      case "-":
        return "__dash__";
      default:
        return "__slash__";
    }
  });
}
