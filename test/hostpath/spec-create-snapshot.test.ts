// Table-driven, against the real gRPC server: a second CreateSnapshot with a name already used →
// the answer the CSI spec asks for (reference/csi/spec.md "CreateSnapshot"): once a snapshot of
// that name is cut the plugin MUST reply OK with it; ALREADY_EXISTS is only for a name that is
// "incompatible with the specified volume_id". Parameters are not part of that identity (unlike
// CreateVolume and CreateVolumeGroupSnapshot, whose sections list them), and a CO may resend the
// same name with other ones: VolumeSnapshotClass parameters are mutable, and a retry after a lost
// answer reads the class again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVolume, expectCode, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const MISSING_VOLUME = "vol-00000000-0000-0000-0000-000000000000";

type Source = "first" | "other" | "missing";
interface Case {
  name: string;
  first: Record<string, string>;
  again: { source: Source; parameters: Record<string, string> };
  /** Delete the first source volume before repeating the call. */
  deleteSourceFirst?: boolean;
  expect: "same snapshot" | "ALREADY_EXISTS";
}

const CASES: Case[] = [
  { name: "same source, same parameters", first: { tier: "gold" }, again: { source: "first", parameters: { tier: "gold" } }, expect: "same snapshot" },
  { name: "same source, other parameter value", first: { tier: "gold" }, again: { source: "first", parameters: { tier: "silver" } }, expect: "same snapshot" },
  { name: "same source, a parameter added", first: {}, again: { source: "first", parameters: { retention: "7d" } }, expect: "same snapshot" },
  { name: "same source, parameters dropped", first: { tier: "gold" }, again: { source: "first", parameters: {} }, expect: "same snapshot" },
  { name: "same source, since deleted", first: {}, again: { source: "first", parameters: {} }, deleteSourceFirst: true, expect: "same snapshot" },
  { name: "another source volume", first: {}, again: { source: "other", parameters: {} }, expect: "ALREADY_EXISTS" },
  { name: "another source volume and other parameters", first: { tier: "gold" }, again: { source: "other", parameters: { tier: "silver" } }, expect: "ALREADY_EXISTS" },
  { name: "a source volume that does not exist", first: {}, again: { source: "missing", parameters: {} }, expect: "ALREADY_EXISTS" },
];

describe("CreateSnapshot with a name already cut", () => {
  it.each(CASES.map((c, i) => ({ ...c, i })))("$name → $expect", async (c) => {
    const { i } = c;
    const first = await createVolume(h.csi, `pvc-spec-snap-${i}-a`);
    const other = await createVolume(h.csi, `pvc-spec-snap-${i}-b`);
    const name = `snapshot-spec-${i}`;
    const cut = (await h.csi.controller.CreateSnapshot({ name, sourceVolumeId: first.volumeId, parameters: c.first })).snapshot!;
    if (c.deleteSourceFirst) await h.csi.controller.DeleteVolume({ volumeId: first.volumeId });

    const sourceVolumeId = { first: first.volumeId, other: other.volumeId, missing: MISSING_VOLUME }[c.again.source];
    const again = h.csi.controller.CreateSnapshot({ name, sourceVolumeId, parameters: c.again.parameters });
    if (c.expect === "ALREADY_EXISTS") {
      expect(await expectCode(again, "ALREADY_EXISTS")).toContain(name);
      return;
    }
    expect((await again).snapshot).toEqual(cut);
    // Still one snapshot under that name.
    const listed = await h.csi.controller.ListSnapshots({ sourceVolumeId: first.volumeId });
    expect(listed.entries.map((e) => e.snapshot!.snapshotId)).toEqual([cut.snapshotId]);
  });
});
