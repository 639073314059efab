import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "./store.js";

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "wal-test-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const cm = (name: string, v: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { v } });

describe("store persistence", () => {
  it("replays puts and deletes, keeps versions increasing, and cuts a torn final record", async () => {
    const d = dir();
    const a = new Store({ dataDir: d });
    await a.put("/configmaps", cm("x", "1"), undefined);
    const x2 = cm("x", "2");
    await a.put("/configmaps", x2, a.get("/configmaps", "default", "x"));
    await a.put("/configmaps", cm("y", "1"), undefined);
    await a.remove("/configmaps", a.get("/configmaps", "default", "y")!);
    const last = a.resourceVersion;
    await a.close();
    const wal = readdirSync(d).find((f) => f.startsWith("wal-"))!;
    appendFileSync(join(d, wal), '{"rv":999,"op":"put","k":"/configmaps","id":"default/z","o":{"meta');

    const b = new Store({ dataDir: d });
    expect(b.get("/configmaps", "default", "x")?.data).toEqual({ v: "2" });
    expect(b.get("/configmaps", "default", "y")).toBeUndefined();
    expect(b.get("/configmaps", "default", "z")).toBeUndefined();
    expect(b.resourceVersion).toBeGreaterThan(last);
    // A watch from before the restart must re-list.
    expect(() => b.eventsSince("/configmaps", last)).toThrow("too old resource version");
    await b.put("/configmaps", cm("after", "1"), undefined);
    await b.close();
    const c = new Store({ dataDir: d });
    expect(c.get("/configmaps", "default", "after")).toBeDefined();
    await c.close();
  });

  it("compacts into a snapshot and loads from it", async () => {
    const d = dir();
    const a = new Store({ dataDir: d });
    for (let i = 0; i < 20; i++) await a.put("/configmaps", cm(`o${i}`, String(i)), undefined);
    await a.compact();
    await a.put("/configmaps", cm("late", "1"), undefined);
    const rv = a.resourceVersion;
    await a.close();
    expect(readdirSync(d)).toContain("snapshot.jsonl");
    expect(readdirSync(d).filter((f) => f.startsWith("wal-"))).toHaveLength(1);
    const b = new Store({ dataDir: d });
    expect(b.list("/configmaps")).toHaveLength(21);
    expect(b.resourceVersion).toBeGreaterThan(rv);
    await b.close();
  });

  it("compacts on its own once the log outgrows the threshold, without losing concurrent writes", async () => {
    const d = dir();
    const a = new Store({ dataDir: d, compactBytes: 4096 });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(a.put("/configmaps", cm(`auto${i}`, "x".repeat(100)), undefined));
    await Promise.all(writes);
    for (let i = 200; i < 260; i++) await a.put("/configmaps", cm(`auto${i}`, "y"), undefined);
    await a.close();
    expect(readdirSync(d)).toContain("snapshot.jsonl");
    const b = new Store({ dataDir: d });
    expect(b.list("/configmaps")).toHaveLength(260);
    await b.close();
  });

  it("refuses a second store on a data dir that is in use", async () => {
    const d = dir();
    const a = new Store({ dataDir: d });
    expect(() => new Store({ dataDir: d })).toThrow("already in use");
    await a.close();
    const b = new Store({ dataDir: d });
    await b.close();
  });

  it("delivers changes to subscribers only after they are durable, in order", async () => {
    const s = new Store({ dataDir: dir() });
    const seen: string[] = [];
    s.subscribe("/configmaps", (e) => seen.push(`${e.type}:${e.obj.metadata.name}`));
    const p = s.put("/configmaps", cm("a", "1"), undefined);
    expect(seen).toEqual([]);
    await p;
    await s.remove("/configmaps", s.get("/configmaps", "default", "a")!);
    expect(seen).toEqual(["ADDED:a", "DELETED:a"]);
    await s.close();
  });
});
