// The simple JSONPath subset CRD printer columns use: `.a.b`, `.a[0].b`, `.a['x.y']`.
export function compileJsonPath(path: string): (obj: unknown) => unknown {
  const tokens: Array<string | number> = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  let body = path.trim();
  if (body.startsWith("{") && body.endsWith("}")) body = body.slice(1, -1);
  if (body.startsWith("$")) body = body.slice(1);
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    consumed = re.lastIndex;
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(Number(m[2]));
    else tokens.push(m[3] ?? m[4]);
  }
  if (consumed !== body.length) throw new Error(`unsupported JSONPath "${path}"`);
  return (obj) => {
    let node: unknown = obj;
    for (const t of tokens) {
      if (node === null || typeof node !== "object") return undefined;
      node = (node as Record<string | number, unknown>)[t];
    }
    return node;
  };
}
