// CRD patterns are RE2 (Go). JavaScript's unicode mode is the closer match for character semantics
// but refuses some escapes RE2 takes (such as `\-` outside a class), so those fall back to the
// plain mode rather than turning a CRD kube accepts into one we refuse.
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return new RegExp(pattern);
  }
}
