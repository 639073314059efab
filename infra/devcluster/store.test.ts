import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { KObject } from "./resource-def.js";
import { Store } from "./store.js";

const dirs: string[] = [];
const stores: Store[] = [];
function store(): Store {
  const d = mkdtempSync(join(tmpdir(), "store-test-"));
  dirs.push(d);
  const s = new Store({ dataDir: d });
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const cm = (namespace: string | undefined, name: string, v = "1") => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { v } });
const names = (objs: KObject[]) => objs.map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`);

describe("store listing", () => {
  it("lists in key order, by namespace and after a continue point, through additions, updates and removals", async () => {
    const s = store();
    for (const [ns, name] of [["b", "x"], ["a", "z"], ["ab", "a"], ["a", "b"], ["a-", "q"], ["b", "a"]] as const) await s.put("/configmaps", cm(ns, name), undefined);
    expect(names(s.list("/configmaps"))).toEqual(["a-/q", "a/b", "a/z", "ab/a", "b/a", "b/x"]);
    expect(names(s.list("/configmaps", "a"))).toEqual(["a/b", "a/z"]);
    expect(names(s.list("/configmaps", "ab"))).toEqual(["ab/a"]);
    expect(names(s.list("/configmaps", "c"))).toEqual([]);
    expect(names(s.listAfter("/configmaps", "a", "a/b"))).toEqual(["a/z"]);
    expect(names(s.listAfter("/configmaps", undefined, "a/c"))).toEqual(["a/z", "ab/a", "b/a", "b/x"]);
    expect(names(s.listAfter("/configmaps", "b", "a/zz"))).toEqual(["b/a", "b/x"]);

    const next = cm("a", "b", "2");
    await s.put("/configmaps", next, s.get("/configmaps", "a", "b"));
    expect(s.list("/configmaps", "a")[0]).toBe(next);
    await s.put("/configmaps", cm("a", "m"), undefined);
    await s.remove("/configmaps", s.get("/configmaps", "b", "a")!);
    expect(names(s.list("/configmaps"))).toEqual(["a-/q", "a/b", "a/m", "a/z", "ab/a", "b/x"]);
    expect(names(s.list("/configmaps", "a"))).toEqual(["a/b", "a/m", "a/z"]);
    expect(s.list("/nothing")).toEqual([]);
  });
});
