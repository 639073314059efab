// kubectl 1.20 (Debian's kubernetes-client, extracted beside the project by scripts/ensure-deps.sh)
// drives the dev cluster: it validates against OpenAPI v2 and uses legacy discovery. Skips itself
// when that binary could not be fetched (no apt on the machine).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness } from "./harness.js";

const KUBECTL_120 =
  process.env.SNAPFLOW_KUBECTL_120 ?? fileURLToPath(new URL("../../.cache/kubectl-1.20/kubectl", import.meta.url));
const available = existsSync(KUBECTL_120);

const h = new Harness();
let dir = "";
let runs = 0;

function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL_120,
      ["--cache-dir", join(dir, `cache-${runs++}`), ...args],
      { env: { ...process.env, KUBECONFIG: h.cluster.kubeconfigPath, HOME: dir }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.runIf(available)("kubectl 1.20", () => {
  beforeAll(async () => {
    await h.start();
    dir = mkdtempSync(join(h.dataDir, "kubectl120-"));
  });
  afterAll(() => h.stop());

  it("applies (with its default validation), re-applies, labels, gets and refuses an invalid snapshot with the CRD rule's message", async () => {
    const manifest = join(dir, "objects.yaml");
    writeFileSync(
      manifest,
      [
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: old-client\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi",
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: old-client-snap\nspec:\n  source:\n    persistentVolumeClaimName: old-client",
      ].join("\n---\n"),
    );
    const created = await kubectl("apply", "-f", manifest);
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("persistentvolumeclaim/old-client created");
    expect(created.stdout).toContain("volumesnapshot.snapshot.storage.k8s.io/old-client-snap created");
    expect((await kubectl("apply", "-f", manifest)).stdout).toContain("unchanged");
    expect((await kubectl("label", "vs", "old-client-snap", "tier=gold")).stdout).toContain("labeled");
    const listed = await kubectl("get", "vs", "old-client-snap", "-o", "jsonpath={.metadata.labels.tier}");
    expect(listed.stdout).toBe("gold");

    const invalid = join(dir, "invalid.yaml");
    writeFileSync(
      invalid,
      "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: both\nspec:\n  source:\n    persistentVolumeClaimName: a\n    volumeSnapshotContentName: b\n",
    );
    const refused = await kubectl("apply", "-f", invalid);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set");
  });
});
