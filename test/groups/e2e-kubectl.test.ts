// End to end as a user does it (issue 8's "done means"): the whole local stack (`snapflow up`'s
// startStack: dev cluster, nats-server, watcher, dispatcher, function host, gateway, hostpath
// driver) driven by the machine's kubectl. Two PVCs labelled group=myGroup, a VolumeGroupSnapshot
// selecting them as in the Kubernetes 1.27 group-snapshot announcement → a ready group and two
// ready members with upstream's names and fields; each member restores (through provision) to a
// PVC holding that member's data as of the group instant; deleting the group leaves nothing behind,
// checked through the driver.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KubeList } from "../../shared/api/meta.js";
import type { VolumeGroupSnapshot, VolumeGroupSnapshotContent, VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS, groupMemberContentNameFor, groupMemberSnapshotNameFor } from "../../shared/snapshot/constants.js";
import { waitFor } from "../events/wait.js";
import { useLocalStack } from "../support/local-stack.js";

const DRIVER = "hostpath.snapflow.dev";
const suite = useLocalStack({ name: "groups-e2e", clusterName: "groups-e2e", kubectlTimeoutMs: 90_000 });
const { kubectl, apply, getJson, volumeOf } = suite;

const NS = "demo-namespace";
const claimYaml = (name: string, extra = "") => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
  namespace: ${NS}
  labels:
    group: myGroup
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
${extra}`;

describe("kubectl against snapflow's local stack: a volume group snapshot", () => {
  let uid = "";
  const handles: Record<string, string> = {};
  let groupHandle = "";
  let snapshotIds: string[] = [];

  it("two labelled PVCs and a VolumeGroupSnapshot selecting them → a ready group with two ready members", async () => {
    await kubectl("create", "namespace", NS);
    await apply(claimYaml("pvc-0") + "\n---\n" + claimYaml("pvc-1"));
    await kubectl("wait", "-n", NS, "--for=jsonpath={.status.phase}=Bound", "pvc/pvc-0", "pvc/pvc-1", "--timeout=60s");
    for (const name of ["pvc-0", "pvc-1"]) {
      const { pv, path } = await volumeOf(name, NS);
      handles[name] = pv.spec.csi!.volumeHandle;
      await writeFile(join(path, "data.txt"), `${name}: at the group instant`);
    }

    await apply(`
apiVersion: groupsnapshot.storage.k8s.io/v1
kind: VolumeGroupSnapshotClass
metadata:
  name: csi-groupsnapclass
driver: ${DRIVER}
deletionPolicy: Delete
---
apiVersion: groupsnapshot.storage.k8s.io/v1
kind: VolumeGroupSnapshot
metadata:
  name: new-group-snapshot-demo
  namespace: ${NS}
spec:
  volumeGroupSnapshotClassName: csi-groupsnapclass
  source:
    selector:
      matchLabels:
        group: myGroup
`);
    await kubectl("wait", "-n", NS, "--for=jsonpath={.status.readyToUse}=true", "volumegroupsnapshot/new-group-snapshot-demo", "--timeout=60s");
    const vgs = await getJson<VolumeGroupSnapshot>("vgs", "new-group-snapshot-demo", "-n", NS);
    uid = vgs.metadata.uid!;
    expect(vgs.metadata.finalizers).toEqual([FINALIZERS.groupSnapshotBound]);
    expect(vgs.status).toEqual({ boundVolumeGroupSnapshotContentName: `groupsnapcontent-${uid}`, readyToUse: true, creationTime: expect.stringMatching(/Z$/) });

    const vgsc = await getJson<VolumeGroupSnapshotContent>("vgsc", `groupsnapcontent-${uid}`);
    expect(vgsc.spec.source.volumeHandles).toEqual([handles["pvc-0"], handles["pvc-1"]]);
    expect(vgsc.spec.volumeGroupSnapshotRef).toMatchObject({ kind: "VolumeGroupSnapshot", name: "new-group-snapshot-demo", namespace: NS, uid });
    groupHandle = vgsc.status!.volumeGroupSnapshotHandle!;
    snapshotIds = vgsc.status!.volumeSnapshotInfoList!.map((i) => i.snapshotHandle!);
    expect(vgsc.status!.volumeSnapshotInfoList).toHaveLength(2);

    // kubectl's printer columns read the same fields.
    expect(await kubectl("get", "vgs", "-n", NS)).toMatch(/new-group-snapshot-demo\s+true\s+csi-groupsnapclass\s+groupsnapcontent-/);

    for (const name of ["pvc-0", "pvc-1"]) {
      const vsName = groupMemberSnapshotNameFor(uid, handles[name]!);
      await kubectl("wait", "-n", NS, "--for=jsonpath={.status.readyToUse}=true", `volumesnapshot/${vsName}`, "--timeout=60s");
      const vs = await getJson<VolumeSnapshot>("volumesnapshot", vsName, "-n", NS);
      expect(vs.metadata.ownerReferences).toEqual([{ apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshot", name: "new-group-snapshot-demo", uid }]);
      expect(vs.metadata.finalizers).toEqual([FINALIZERS.snapshotInGroup, FINALIZERS.snapshotAsSource]);
      expect(vs.spec.source).toEqual({ persistentVolumeClaimName: name });
      expect(vs.status).toMatchObject({ boundVolumeSnapshotContentName: groupMemberContentNameFor(uid, handles[name]!), readyToUse: true, restoreSize: "1Gi", volumeGroupSnapshotName: "new-group-snapshot-demo" });
      const vsc = await getJson<VolumeSnapshotContent>("volumesnapshotcontent", groupMemberContentNameFor(uid, handles[name]!));
      expect(vsc.metadata.annotations?.[ANNOTATIONS.volumeGroupSnapshotHandle]).toBe(groupHandle);
      expect(vsc.status).toMatchObject({ volumeGroupSnapshotHandle: groupHandle, readyToUse: true });
    }
  }, 120_000);

  it("each member restores to a PVC holding that member's data as of the group instant", async () => {
    for (const name of ["pvc-0", "pvc-1"]) await writeFile(join((await volumeOf(name, NS)).path, "data.txt"), `${name}: changed later`);
    const restores = ["pvc-0", "pvc-1"].map(
      (name) =>
        claimYaml(
          `${name}-restore`,
          `  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: ${groupMemberSnapshotNameFor(uid, handles[name]!)}`,
        ).replace("    group: myGroup\n", "    restored: \"yes\"\n"),
    );
    await apply(restores.join("\n---\n"));
    await kubectl("wait", "-n", NS, "--for=jsonpath={.status.phase}=Bound", "pvc/pvc-0-restore", "pvc/pvc-1-restore", "--timeout=60s");
    for (const name of ["pvc-0", "pvc-1"]) {
      expect(await readFile(join((await volumeOf(`${name}-restore`, NS)).path, "data.txt"), "utf8")).toBe(`${name}: at the group instant`);
    }
  }, 90_000);

  it("deleting the group leaves nothing behind (objects and backend snapshots)", async () => {
    await kubectl("delete", "vgs", "new-group-snapshot-demo", "-n", NS, "--timeout=90s");
    await waitFor(
      "members and contents gone",
      async () => {
        const [vs, vsc, vgsc] = await Promise.all([
          getJson<KubeList<VolumeSnapshot>>("volumesnapshot", "-n", NS),
          getJson<KubeList<VolumeSnapshotContent>>("volumesnapshotcontent"),
          getJson<KubeList<VolumeGroupSnapshotContent>>("vgsc"),
        ]);
        return vs.items.length === 0 && vsc.items.length === 0 && vgsc.items.length === 0;
      },
      60_000,
    );
    const gateway = suite.gateway();
    await expect(gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: groupHandle, snapshotIds })).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const id of snapshotIds) expect(await gateway.getSnapshot(DRIVER, { snapshotId: id })).toBeUndefined();
    expect((await gateway.listSnapshots(DRIVER, {})).entries).toEqual([]);
  }, 90_000);
});
