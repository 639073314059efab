// Table-driven: snapshots cut from a PVC (and their contents) → does the PVC keep its
// pvc-as-source-protection finalizer?
import { describe, expect, it } from "vitest";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { newClaim, newContent, newSnapshot } from "../../shared/snapshot/fixtures.js";
import { SOURCE_PINS_ANNOTATION } from "../../shared/snapshot/source-pins.js";
import { pinsClaim, planProtect } from "./plan.js";

const protectedClaim = newClaim({ finalizers: ["kubernetes.io/pvc-protection", FINALIZERS.pvcAsSource] });
const unready = (o: Parameters<typeof newSnapshot>[0] = {}) => newSnapshot({ status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false }, ...o });
const ERR = { time: "2026-03-01T12:00:01Z", message: "Failed to create snapshot: boom" };

describe("protect: which snapshots pin the PVC", () => {
  it.each<[string, VolumeSnapshot, VolumeSnapshotContent | undefined, boolean]>([
    ["new snapshot, no content yet", newSnapshot(), undefined, true],
    ["content created, not processed yet", unready(), newContent(), true],
    ["CreateSnapshot in flight", unready(), newContent({ annotations: { [ANNOTATIONS.beingCreated]: "yes" }, status: { readyToUse: false, error: ERR } }), true],
    ["cut, driver still processing", unready(), newContent({ status: { snapshotHandle: "h", readyToUse: false } }), true],
    ["ready", newSnapshot({ status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true } }), newContent({ status: { snapshotHandle: "h", readyToUse: true } }), false],
    ["content ready, snapshot status not yet mirrored", unready(), newContent({ status: { snapshotHandle: "h", readyToUse: true } }), false],
    ["create failed for good (upstream #1305: pins forever; here released)", unready(), newContent({ status: { readyToUse: false, error: ERR } }), false],
    ["failed before any content (missing class)", newSnapshot({ status: { readyToUse: false, error: { message: "Failed to get snapshot class" } } }), undefined, false],
    ["being deleted, nothing in flight", unready({ deletionTimestamp: "2026-03-01T12:01:00Z" }), newContent(), false],
    [
      "being deleted while CreateSnapshot is in flight",
      unready({ deletionTimestamp: "2026-03-01T12:01:00Z" }),
      newContent({ annotations: { [ANNOTATIONS.beingCreated]: "yes" } }),
      true,
    ],
    ["another PVC's snapshot", newSnapshot({ pvc: "other" }), undefined, false],
    ["static snapshot", newSnapshot({ content: "pre-1" }), undefined, false],
  ])("%s → %s", (_, vs, content, pins) => {
    expect(pinsClaim(vs, "claim-1", content)).toBe(pins);
  });
});

describe("protect: plan", () => {
  it("keeps the finalizer while any snapshot pins the PVC", () => {
    const plan = planProtect({
      pvc: protectedClaim,
      snapshots: [newSnapshot({ name: "done", uid: "u-done", status: { readyToUse: true } }), newSnapshot({ name: "busy", uid: "u-busy" })],
      contents: {},
    });
    expect(plan).toEqual({ steps: [], verdict: { kind: "nothing", why: "snapshot default/busy is being cut from this PVC" } });
  });

  it("releases only its own finalizer once nothing pins the PVC", () => {
    const failed = unready();
    const plan = planProtect({ pvc: protectedClaim, snapshots: [failed], contents: { "snapcontent-snapuid1": newContent({ status: { readyToUse: false, error: ERR } }) } });
    expect(plan).toEqual({
      steps: [
        {
          op: "update",
          resource: "persistentvolumeclaims",
          object: { ...protectedClaim, metadata: { ...protectedClaim.metadata, finalizers: ["kubernetes.io/pvc-protection"] } },
          onFailure: { on: protectedClaim, reason: "ErrorPVCFinalizer", message: "Error check and remove PVC Finalizer for VolumeSnapshot" },
        },
      ],
      verdict: { kind: "done" },
    });
  });

  it("reports a failed release on the snapshot whose sync found it, as upstream's ErrorPVCFinalizer (§2.2 step 3)", () => {
    const done = newSnapshot({ status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true } });
    const plan = planProtect({ pvc: protectedClaim, snapshots: [done], contents: {}, trigger: done });
    expect(plan.steps).toEqual([
      {
        op: "update",
        resource: "persistentvolumeclaims",
        object: { ...protectedClaim, metadata: { ...protectedClaim.metadata, finalizers: ["kubernetes.io/pvc-protection"] } },
        onFailure: { on: done, reason: "ErrorPVCFinalizer", message: "Error check and remove PVC Finalizer for VolumeSnapshot" },
      },
    ]);
  });

  it("releases a PVC whose snapshots are all gone", () => {
    expect(planProtect({ pvc: protectedClaim, snapshots: [], contents: {} }).steps).toHaveLength(1);
  });

  it("does nothing for a PVC without the finalizer", () => {
    expect(planProtect({ pvc: newClaim(), snapshots: [], contents: {} }).verdict.kind).toBe("nothing");
  });

  describe("with the record of snapshots in progress beside the finalizer", () => {
    const recordedClaim = (names: string) =>
      newClaim({ finalizers: ["kubernetes.io/pvc-protection", FINALIZERS.pvcAsSource], annotations: { [SOURCE_PINS_ANNOTATION]: names, other: "kept" } });
    const ready = (name: string) => newSnapshot({ name, uid: `u-${name}`, status: { readyToUse: true } });
    const busy = (name: string) => newSnapshot({ name, uid: `u-${name}` });

    it.each<[string, string, VolumeSnapshot[], "nothing" | string[] | "released"]>([
      ["the only recorded snapshot is ready → finalizer and record go", "a", [ready("a")], "released"],
      ["the only recorded snapshot is gone → finalizer and record go", "a", [], "released"],
      ["one of two is ready → it leaves the record, the finalizer stays", "a,b", [ready("a"), busy("b")], ["b"]],
      ["both still being cut → nothing", "a,b", [busy("a"), busy("b")], "nothing"],
      // Unrecorded snapshots were never counted: the record is the whole truth once it exists.
      ["an unrecorded busy snapshot of the same PVC does not hold a recorded PVC", "a", [ready("a")], "released"],
    ])("%s", (_, names, snapshots, expected) => {
      const pvc = recordedClaim(names);
      const plan = planProtect({ pvc, snapshots, contents: {} });
      if (expected === "nothing") {
        expect(plan.verdict.kind).toBe("nothing");
        expect(plan.steps).toEqual([]);
        return;
      }
      expect(plan.verdict.kind).toBe("done");
      const step = plan.steps[0]!;
      expect(step.op === "update" && step.resource).toBe("persistentvolumeclaims");
      const written = step.op === "update" ? step.object : undefined;
      if (expected === "released") {
        expect(written?.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
        expect(written?.metadata.annotations).toEqual({ other: "kept" });
      } else {
        expect(written?.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection", FINALIZERS.pvcAsSource]);
        expect(written?.metadata.annotations).toEqual({ [SOURCE_PINS_ANNOTATION]: expected.join(","), other: "kept" });
      }
    });
  });
});
