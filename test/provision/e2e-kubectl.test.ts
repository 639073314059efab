// End to end as a user does it: the whole local stack (`snapflow up`'s startStack: dev cluster,
// nats-server, watcher, dispatcher, function host, gateway, hostpath driver), driven by the
// machine's kubectl. Checks data, not only status: a file written into a PVC's volume, snapshotted,
// then changed — the restore holds the old content, the clone the current one, and the expanded
// volume keeps its data and reports the new size on PVC and PV.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { KubeEvent, PersistentVolumeClaim } from "../../shared/api/core.js";
import { useLocalStack } from "../support/local-stack.js";

const { kubectl, apply, getJson, volumeOf } = useLocalStack({ name: "provision-e2e", clusterName: "provision-e2e", kubectlTimeoutMs: 90_000 });

const claimYaml = (name: string, extra = "", storage = "1Gi") => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: ${storage}
${extra}`;

describe("kubectl against snapflow's local stack: provision, restore, clone, expand", () => {
  it("a PVC on the default class is provisioned and bound; its volume takes a file", async () => {
    await apply(claimYaml("data"));
    await kubectl("wait", "--for=jsonpath={.status.phase}=Bound", "pvc/data", "--timeout=60s");
    const { pv, path } = await volumeOf("data");
    expect(pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"]).toBe("hostpath.snapflow.dev");
    expect(pv.spec.storageClassName).toBe("standard");
    await writeFile(join(path, "state.txt"), "v1: before the snapshot");
  });

  it("snapshot, change, then restore and clone: the restore holds the old content, the clone the current one", async () => {
    await apply(`
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: data-snap
spec:
  source:
    persistentVolumeClaimName: data
`);
    await kubectl("wait", "--for=jsonpath={.status.readyToUse}=true", "volumesnapshot/data-snap", "--timeout=60s");
    const { path } = await volumeOf("data");
    await writeFile(join(path, "state.txt"), "v2: after the snapshot");

    await apply(
      claimYaml(
        "data-restore",
        `  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: data-snap`,
      ) +
        "\n---\n" +
        claimYaml(
          "data-clone",
          `  dataSource:
    kind: PersistentVolumeClaim
    name: data`,
        ),
    );
    await kubectl("wait", "--for=jsonpath={.status.phase}=Bound", "pvc/data-restore", "pvc/data-clone", "--timeout=60s");
    expect(await readFile(join((await volumeOf("data-restore")).path, "state.txt"), "utf8")).toBe("v1: before the snapshot");
    expect(await readFile(join((await volumeOf("data-clone")).path, "state.txt"), "utf8")).toBe("v2: after the snapshot");
  });

  it("a restore smaller than the snapshot is refused with a clear Event and stays Pending", async () => {
    await apply(
      claimYaml(
        "too-small",
        `  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: data-snap`,
        "100Mi",
      ),
    );
    const pvc = await getJson<PersistentVolumeClaim>("pvc", "too-small");
    let messages: string[] = [];
    for (let i = 0; i < 300 && messages.length === 0; i++) {
      const events = await getJson<{ items: KubeEvent[] }>("events", "--field-selector", `involvedObject.uid=${pvc.metadata.uid}`);
      messages = events.items.filter((e) => e.reason === "ProvisioningFailed").map((e) => e.message ?? "");
      if (messages.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(messages[0]).toBe(
      "error getting handle for DataSource Type VolumeSnapshot by Name data-snap: requested volume size 104857600 is less than the size 1073741824 for the source snapshot data-snap",
    );
    expect((await getJson<PersistentVolumeClaim>("pvc", "too-small")).status?.phase).toBe("Pending");
    expect(await kubectl("get", "pv", "-o", "name")).not.toContain(`pvc-${pvc.metadata.uid}`);
  });

  it("kubectl patch grows the volume: PVC and PV report 2Gi and the data stays", async () => {
    await kubectl("patch", "pvc", "data", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}');
    await kubectl("wait", "--for=jsonpath={.status.capacity.storage}=2Gi", "pvc/data", "--timeout=60s");
    const { pv, path } = await volumeOf("data");
    expect(pv.spec.capacity).toEqual({ storage: "2Gi" });
    expect(await readFile(join(path, "state.txt"), "utf8")).toBe("v2: after the snapshot");
  });

  it("kubectl delete of a PVC on a Delete class removes its PV and its volume", async () => {
    const { pv, path } = await volumeOf("data-clone");
    await kubectl("delete", "pvc", "data-clone", "--timeout=60s");
    await kubectl("wait", "--for=delete", `pv/${pv.metadata.name}`, "--timeout=60s");
    await expect(readFile(join(path, "state.txt"), "utf8")).rejects.toThrow(/ENOENT/);
  });
});
