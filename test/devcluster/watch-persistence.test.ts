// Watches (initial state, resume, selectors, bookmarks, timeout, 410) and persistence across restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, PVC, PVCS, readWatch } from "./harness.js";

const h = new Harness();
beforeAll(() => h.start({ bookmarkIntervalMs: 50, historySize: 50 }));
afterAll(() => h.stop());

const CMS = "/api/v1/namespaces/default/configmaps";

describe("watch", () => {
  it("sends current objects for resourceVersion 0, then changes", async () => {
    await h.req("POST", CMS, { metadata: { name: "w0" } });
    const url = `${h.cluster.url}${CMS}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dw0`;
    const pending = readWatch(url, (ev) => ev.length >= 3);
    await new Promise((r) => setTimeout(r, 50));
    await h.patch(`${CMS}/w0`, "merge", { data: { a: "1" } });
    await h.req("DELETE", `${CMS}/w0`);
    const events = await pending;
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    expect(events[1].object.data).toEqual({ a: "1" });
  });

  it("resumes from a resourceVersion and turns selector transitions into ADDED/DELETED", async () => {
    const list = await h.req("GET", CMS);
    const rv = list.body.metadata.resourceVersion;
    await h.req("POST", CMS, { metadata: { name: "sel1", labels: { app: "x" } } });
    await h.patch(`${CMS}/sel1`, "merge", { metadata: { labels: { app: "y" } } });
    await h.patch(`${CMS}/sel1`, "merge", { metadata: { labels: { app: "x" } } });
    const events = await readWatch(`${h.cluster.url}${CMS}?watch=true&resourceVersion=${rv}&labelSelector=app%3Dx`, (ev) => ev.length >= 3);
    expect(events.map((e) => e.type)).toEqual(["ADDED", "DELETED", "ADDED"]);
  });

  it("sends bookmarks when asked and closes at timeoutSeconds", async () => {
    const rv = (await h.req("GET", CMS)).body.metadata.resourceVersion;
    const events = await readWatch(`${h.cluster.url}${CMS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, (ev) => ev.some((e) => e.type === "BOOKMARK"));
    const bookmark = events.find((e) => e.type === "BOOKMARK");
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));
    const res = await fetch(`${h.cluster.url}${CMS}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    expect(await res.text()).toBe("");
  });

  it("answers a version older than the history with an in-band 410 Expired", async () => {
    const rv = (await h.req("GET", CMS)).body.metadata.resourceVersion;
    for (let i = 0; i < 60; i++) await h.req("POST", CMS, { metadata: { name: `churn-${i}` } });
    const events = await readWatch(`${h.cluster.url}${CMS}?watch=true&resourceVersion=${rv}`, (ev) => ev.length >= 1);
    expect(events[0].type).toBe("ERROR");
    expect(events[0].object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
  });

  it("streams Table rows for kubectl's human output", async () => {
    await h.req("POST", PVCS, PVC("tbl"));
    const events = await readWatch(`${h.cluster.url}${PVCS}?watch=true&fieldSelector=metadata.name%3Dtbl`, (ev) => ev.length >= 1, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
    });
    expect(events[0].object.kind).toBe("Table");
    expect(events[0].object.columnDefinitions[1].name).toBe("Status");
    expect(events[0].object.rows[0].cells.slice(0, 2)).toEqual(["tbl", "Pending"]);
  });
});

describe("persistence", () => {
  it("keeps every answered write across a restart, keeps versions increasing, and expires old watches", async () => {
    await h.req("POST", CMS, { metadata: { name: "durable" }, data: { k: "v" } });
    const updated = await h.patch(`${CMS}/durable`, "merge", { data: { k: "v2" } });
    await h.req("POST", CMS, { metadata: { name: "gone" } });
    await h.req("DELETE", `${CMS}/gone`);
    const rvBefore = Number((await h.req("GET", CMS)).body.metadata.resourceVersion);

    await h.restart({ bookmarkIntervalMs: 50, historySize: 50 });
    const after = await h.req("GET", `${CMS}/durable`);
    expect(after.body.data).toEqual({ k: "v2" });
    expect(after.body.metadata.uid).toBe(updated.body.metadata.uid);
    expect((await h.req("GET", `${CMS}/gone`)).status).toBe(404);
    const next = await h.req("POST", CMS, { metadata: { name: "after-restart" } });
    expect(Number(next.body.metadata.resourceVersion)).toBeGreaterThan(rvBefore);
    const events = await readWatch(`${h.cluster.url}${CMS}?watch=true&resourceVersion=${rvBefore}`, (ev) => ev.length >= 1);
    expect(events[0].object.code).toBe(410);
  });
});
