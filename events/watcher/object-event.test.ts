import { describe, expect, it } from "vitest";
import { cloudEventJson } from "../codec/index.js";
import { objectCloudEvent, objectEventId, objectEventType } from "./object-event.js";

describe("objectCloudEvent (DESIGN: event contract)", () => {
  const pv = { metadata: { name: "pv-1", uid: "u-1", resourceVersion: "42" }, spec: { capacity: { storage: "1Gi" } } };

  it("builds type, source, subject, id, extensions and data", () => {
    const now = new Date("2026-01-02T03:04:05.000Z");
    const { subject, id, event } = objectCloudEvent("east", "persistentvolumes", "modified", pv, now);
    expect(subject).toBe("snapflow.east.k8s.persistentvolumes.u-1");
    expect(id).toBe("u-1.42.modified");
    expect(event.attributes).toEqual({
      specversion: "1.0",
      datacontenttype: "application/json",
      id: "u-1.42.modified",
      source: "/clusters/east",
      type: "dev.snapflow.k8s.persistentvolumes.modified",
      subject: "u-1",
      time: "2026-01-02T03:04:05.000Z",
      cluster: "east",
      name: "pv-1",
      resourceversion: "42",
      kind: "persistentvolume",
    });
    // List items come without apiVersion/kind: the event's data is a complete object.
    expect(cloudEventJson(event)).toEqual({ apiVersion: "v1", kind: "PersistentVolume", ...pv });
  });

  it("the same state gives the same id (JetStream de-duplicates re-emissions)", () => {
    expect(objectEventId("u", "7", "resynced")).toBe("u.7.resynced");
    expect(objectEventType("volumegroupsnapshotcontents", "deleted")).toBe("dev.snapflow.k8s.volumegroupsnapshotcontents.deleted");
    expect(objectCloudEvent("c", "persistentvolumes", "added", pv).id).toBe(objectCloudEvent("c", "persistentvolumes", "added", pv).id);
  });

  it("refuses objects without uid, name or resourceVersion", () => {
    expect(() => objectCloudEvent("c", "persistentvolumes", "added", { metadata: { name: "x" } })).toThrow(/uid/);
  });
});
