import { describe, expect, it } from "vitest";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../api/snapshot.js";
import { contentWithError, mergeContentStatus, nanosToRfc3339, snapshotStatusFromContent, snapshotWithError } from "./status.js";

const NS = 1767225600_123456789; // 2026-01-01T00:00:00.123456789Z
const vs = (status?: VolumeSnapshot["status"]): VolumeSnapshot => ({
  metadata: { name: "snap", namespace: "default", uid: "u1" },
  spec: { source: { persistentVolumeClaimName: "pvc" } },
  ...(status ? { status } : {}),
});
const content = (status?: VolumeSnapshotContent["status"]): VolumeSnapshotContent => ({
  metadata: { name: "snapcontent-u1" },
  spec: {
    volumeSnapshotRef: { name: "snap", namespace: "default", uid: "u1" },
    deletionPolicy: "Delete",
    driver: "d",
    source: { volumeHandle: "vol" },
  },
  ...(status ? { status } : {}),
});

describe("nanosToRfc3339", () => {
  it("drops sub-second digits like metav1.Time", () => {
    expect(nanosToRfc3339(NS)).toBe("2026-01-01T00:00:00Z");
    expect(nanosToRfc3339("1767225601999999999")).toBe("2026-01-01T00:00:01Z");
  });
});

describe("snapshotStatusFromContent", () => {
  it.each([
    [
      "fresh status from a ready content",
      vs(),
      content({ snapshotHandle: "h", creationTime: NS, restoreSize: 1073741824, readyToUse: true }),
      {
        status: { boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: true, creationTime: "2026-01-01T00:00:00Z", restoreSize: "1Gi" },
        changed: true,
        created: true,
        becameReady: true,
      },
    ],
    [
      "fresh status from a content without status",
      vs(),
      content(),
      { status: { boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: false }, changed: true, created: false, becameReady: false },
    ],
    [
      "bound but unready becomes ready and loses its error",
      vs({ boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: false, error: { message: "x", time: "t" } }),
      content({ snapshotHandle: "h", creationTime: NS, restoreSize: 1536, readyToUse: true }),
      {
        status: { boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: true, creationTime: "2026-01-01T00:00:00Z", restoreSize: "1536" },
        changed: true,
        created: true,
        becameReady: true,
      },
    ],
    [
      "creationTime and restoreSize are set once",
      vs({ boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: true, creationTime: "2025-01-01T00:00:00Z", restoreSize: "1Gi" }),
      content({ snapshotHandle: "h", creationTime: NS, restoreSize: 2147483648, readyToUse: true }),
      {
        status: { boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: true, creationTime: "2025-01-01T00:00:00Z", restoreSize: "1Gi" },
        changed: false,
        created: false,
        becameReady: false,
      },
    ],
    [
      "a zero restoreSize is replaced by a positive one",
      vs({ boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: true, restoreSize: "0" }),
      content({ readyToUse: true, restoreSize: 4096 }),
      { status: { boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: true, restoreSize: "4Ki" }, changed: true, created: false, becameReady: false },
    ],
    [
      "the content's error is mirrored",
      vs({ boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: false }),
      content({ readyToUse: false, error: { time: "2026-01-01T00:00:00Z", message: "boom" } }),
      {
        status: { boundVolumeSnapshotContentName: "snapcontent-u1", readyToUse: false, error: { time: "2026-01-01T00:00:00Z", message: "boom" } },
        changed: true,
        created: false,
        becameReady: false,
      },
    ],
  ])("%s", (_, snapshot, c, expected) => {
    expect(snapshotStatusFromContent(snapshot, c)).toEqual(expected);
  });

  it("records the group name once", () => {
    expect(snapshotStatusFromContent(vs(), content({ readyToUse: true }), "vgs").status.volumeGroupSnapshotName).toBe("vgs");
  });
});

describe("error status writers", () => {
  const now = Date.parse("2026-02-02T10:00:00.500Z");
  it("sets the error (and readyToUse false when asked)", () => {
    expect(snapshotWithError(vs(), "bad", true, now)?.status).toEqual({
      readyToUse: false,
      error: { time: "2026-02-02T10:00:00Z", message: "bad" },
    });
    expect(snapshotWithError(vs({ readyToUse: true }), "bad", false, now)?.status?.readyToUse).toBe(true);
  });

  it("writes nothing when the same message is already recorded", () => {
    expect(snapshotWithError(vs({ error: { message: "bad" } }), "bad", true, now)).toBeUndefined();
    expect(contentWithError(content({ error: { message: "bad" } }), "bad", now)).toBeUndefined();
  });

  it("content error keeps other fields and sets readyToUse false", () => {
    expect(contentWithError(content({ snapshotHandle: "h", readyToUse: true }), "e", now)?.status).toEqual({
      snapshotHandle: "h",
      readyToUse: false,
      error: { time: "2026-02-02T10:00:00Z", message: "e" },
    });
  });
});

describe("mergeContentStatus", () => {
  const seen = { snapshotHandle: "h2", readyToUse: true, creationTime: NS, restoreSize: 0 };
  it("fills a fresh status, omitting a zero size", () => {
    expect(mergeContentStatus(undefined, seen)).toEqual({ snapshotHandle: "h2", readyToUse: true, creationTime: NS });
  });
  it("never overwrites a handle and clears the error when ready", () => {
    expect(mergeContentStatus({ snapshotHandle: "h1", readyToUse: false, error: { message: "x" } }, { ...seen, restoreSize: 10 })).toEqual({
      snapshotHandle: "h1",
      readyToUse: true,
      creationTime: NS,
      restoreSize: 10,
    });
  });
  it("records the group handle", () => {
    expect(mergeContentStatus(undefined, { ...seen, groupSnapshotHandle: "g" }).volumeGroupSnapshotHandle).toBe("g");
  });
});
