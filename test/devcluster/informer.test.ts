// @kubernetes/client-node informers list+watch the dev cluster and recover from a server restart
// and from 410 Gone, ending with the same view as the server.
import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, eventually } from "./harness.js";

const h = new Harness();
const NS = "informed";
const CMS = `/api/v1/namespaces/${NS}/configmaps`;

beforeAll(async () => {
  await h.start({ historySize: 30, bookmarkIntervalMs: 100 });
  await h.req("POST", "/api/v1/namespaces", { metadata: { name: NS } });
});
afterAll(() => h.stop());

describe("client-node informer", () => {
  it("lists, watches, survives a restart and a 410, and converges", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.cluster.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(kc, CMS, () => core.listNamespacedConfigMap({ namespace: NS }));
    const seen = new Map<string, string>();
    let stopped = false;
    informer.on("add", (o) => seen.set(o.metadata!.name!, o.data?.v ?? ""));
    informer.on("update", (o) => seen.set(o.metadata!.name!, o.data?.v ?? ""));
    informer.on("delete", (o) => seen.delete(o.metadata!.name!));
    informer.on("error", () => {
      // The usual informer loop: restart after an error (here: the server went away).
      if (!stopped) setTimeout(() => void informer.start().catch(() => undefined), 100);
    });
    try {
      await h.req("POST", CMS, { metadata: { name: "a" }, data: { v: "1" } });
      await informer.start();
      await eventually(async () => seen.get("a") === "1");
      await h.req("POST", CMS, { metadata: { name: "b" }, data: { v: "1" } });
      await eventually(async () => seen.get("b") === "1");

      await h.restart({ historySize: 30, bookmarkIntervalMs: 100 });
      await h.patch(`${CMS}/a`, "merge", { data: { v: "2" } });
      await h.req("DELETE", `${CMS}/b`);
      await h.req("POST", CMS, { metadata: { name: "c" }, data: { v: "1" } });
      await eventually(async () => seen.get("a") === "2" && !seen.has("b") && seen.get("c") === "1");

      // Stop, churn past the kept history, start again: the watch resumes from a version the server
      // no longer has, gets 410, and the informer re-lists.
      await informer.stop();
      for (let i = 0; i < 40; i++) await h.req("POST", CMS, { metadata: { name: `churn-${i}` }, data: { v: "x" } });
      await h.patch(`${CMS}/c`, "merge", { data: { v: "3" } });
      await informer.start();
      await eventually(async () => seen.get("c") === "3" && seen.size === 42);
      const server = (await h.req("GET", CMS)).body.items.map((i: any) => i.metadata.name).sort();
      expect([...seen.keys()].sort()).toEqual(server);
      // Since the restart the informer re-listed twice: after the restart and after the 410.
      expect(h.cluster.requestLog.filter((e) => e.verb === "list" && e.path === CMS).length).toBeGreaterThanOrEqual(2);
      expect(h.cluster.requestLog.some((e) => e.verb === "watch" && e.path === CMS)).toBe(true);
    } finally {
      stopped = true;
      await informer.stop();
    }
  });
});
