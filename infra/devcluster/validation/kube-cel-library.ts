// The parts of kube-apiserver's CEL libraries (k8s.io/apiserver/pkg/cel/library and cel-go's string
// extensions) that @marcbachmann/cel-js does not have built in: string replace/charAt/find/findAll,
// and list isSorted/sum/min/max. A CRD using them compiles here as it does in kube. Quantity, URL,
// IP/CIDR, sets and format libraries are not provided (see the report's gaps).
import { EvaluationError, type Environment } from "@marcbachmann/cel-js";

type Comparable = string | bigint | number;

function compare(a: Comparable, b: Comparable): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ensureComparable(list: unknown[], fn: string): Comparable[] {
  for (const v of list) {
    if (typeof v !== "string" && typeof v !== "bigint" && typeof v !== "number") {
      throw new EvaluationError(`no such overload: ${fn} on list of ${typeof v}`);
    }
  }
  return list as Comparable[];
}

export function withKubeLibrary(env: Environment): Environment {
  return env
    .registerFunction("string.replace(string, string): string", (s: string, from: string, to: string) => s.split(from).join(to))
    .registerFunction("string.replace(string, string, int): string", (s: string, from: string, to: string, n: bigint) => {
      if (n < 0n) return s.split(from).join(to);
      let out = s;
      let at = 0;
      for (let i = 0n; i < n; i++) {
        const idx = out.indexOf(from, at);
        if (idx < 0) break;
        out = out.slice(0, idx) + to + out.slice(idx + from.length);
        at = idx + to.length;
      }
      return out;
    })
    .registerFunction("string.charAt(int): string", (s: string, i: bigint) => {
      const chars = [...s];
      if (i < 0n || i > BigInt(chars.length)) throw new EvaluationError(`index out of range: ${i}`);
      return chars[Number(i)] ?? "";
    })
    .registerFunction("string.find(string): string", (s: string, re: string) => new RegExp(re, "u").exec(s)?.[0] ?? "")
    .registerFunction("string.findAll(string): list<string>", (s: string, re: string) =>
      [...s.matchAll(new RegExp(re, "gu"))].map((m) => m[0]),
    )
    .registerFunction("list.isSorted(): bool", (l: unknown[]) => {
      const items = ensureComparable(l, "isSorted");
      for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) > 0) return false;
      return true;
    })
    .registerFunction("list.sum(): dyn", (l: unknown[]) => {
      const items = ensureComparable(l, "sum");
      if (items.length === 0) return 0n;
      if (items.every((v) => typeof v === "bigint")) return (items as bigint[]).reduce((a, b) => a + b, 0n);
      if (items.every((v) => typeof v === "number")) return (items as number[]).reduce((a, b) => a + b, 0);
      throw new EvaluationError("no such overload: sum on a list of mixed types");
    })
    .registerFunction("list.min(): dyn", (l: unknown[]) => {
      const items = ensureComparable(l, "min");
      if (items.length === 0) throw new EvaluationError("min called on empty list");
      return items.reduce((a, b) => (compare(b, a) < 0 ? b : a));
    })
    .registerFunction("list.max(): dyn", (l: unknown[]) => {
      const items = ensureComparable(l, "max");
      if (items.length === 0) throw new EvaluationError("max called on empty list");
      return items.reduce((a, b) => (compare(b, a) > 0 ? b : a));
    });
}
