// End to end as a user does it: the whole local stack (`snapflow up`'s startStack: dev cluster,
// nats-server, watcher, dispatcher, function host, gateway, hostpath driver), driven by the
// machine's kubectl. Checks data, not only status: a file written into a PVC's volume, snapshotted,
// then changed — the restore holds the old content, the clone the current one, and the expanded
// volume keeps its data and reports the new size on PVC and PV.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFunctions } from "../../cli/functions.js";
import { startStack, type RunningStack } from "../../cli/stack/stack.js";
import type { KubeEvent, PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "snapflow-provision-e2e-"));
let stack: RunningStack | undefined;

function env(): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: stack!.endpoints.kubeconfig, PATH: `${process.env.PATH ?? ""}:/usr/bin` };
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", args, { env: env(), timeout: 90_000 });
  return stdout;
}

async function apply(yaml: string): Promise<void> {
  const child = execFile("kubectl", ["apply", "-f", "-"], { env: env() });
  const done = new Promise<void>((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply failed (${code}): ${stderr}`))));
  });
  child.stdin!.end(yaml);
  await done;
}

async function getJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl("get", ...args, "-o", "json")) as T;
}

async function volumeOf(pvc: string): Promise<{ pv: PersistentVolume; path: string }> {
  const claim = await getJson<PersistentVolumeClaim>("pvc", pvc);
  const pv = await getJson<PersistentVolume>("pv", claim.spec.volumeName!);
  return { pv, path: pv.spec.csi!.volumeAttributes!.hostPath! };
}

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

beforeAll(async () => {
  stack = await startStack({ dataDir: join(dir, "stack"), functions: allFunctions, randomPorts: true, clusterName: "provision-e2e" });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

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
