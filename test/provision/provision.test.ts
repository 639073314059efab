// Integration tests of provision and expand through the function framework against the dev
// cluster and the real hostpath driver behind the gateway: blank volumes, restore, clone, every
// refusal (with proof that nothing was created at the backend), deletion, leaks, expansion.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { GatewayError, type GatewayClient, type SecretRef } from "../../shared/gateway/types.js";
import { KubeApiError, type KubeClient } from "../../shared/kube/types.js";
import { ANN, FINALIZER } from "../../functions/provision/constants.js";
import { DRIVER, ProvisionStack } from "./stack.js";

const stack = new ProvisionStack();
/** Every DeleteVolume provision asks of the gateway: which secret it names is only visible here. */
const deleteVolumeCalls: { volumeId: string; secretRef?: SecretRef }[] = [];
function recordingDeletes(gateway: GatewayClient): GatewayClient {
  return new Proxy(gateway, {
    get(target, prop, receiver) {
      if (prop !== "deleteVolume") return Reflect.get(target, prop, receiver);
      return (driver: string, req: { volumeId: string; secretRef?: SecretRef }) => {
        deleteVolumeCalls.push(req);
        return target.deleteVolume(driver, req);
      };
    },
  });
}
beforeAll(() => stack.start({ gatewayFor: (fn, gateway) => (fn.name === "provision" ? recordingDeletes(gateway) : gateway) }), 60_000);
afterAll(() => stack.stop(), 60_000);

const SNAP = (name: string) => ({ apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name });
const CLAIM = (name: string) => ({ kind: "PersistentVolumeClaim", name });

function hostPathOf(pv: PersistentVolume): string {
  const path = pv.spec.csi?.volumeAttributes?.hostPath;
  if (!path) throw new Error(`PV ${pv.metadata.name} has no hostPath attribute`);
  return path;
}

async function claim(name: string): Promise<PersistentVolumeClaim> {
  return (await stack.get<PersistentVolumeClaim>("persistentvolumeclaims", name, "default"))!;
}

async function snapshotOf(pvc: string, name: string): Promise<VolumeSnapshot> {
  await stack.kube.create(RESOURCES.volumesnapshots, {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, namespace: "default" },
    spec: { source: { persistentVolumeClaimName: pvc } },
  } as VolumeSnapshot);
  await stack.settle(async () => (await stack.get<VolumeSnapshot>("volumesnapshots", name, "default"))?.status?.readyToUse === true);
  return (await stack.get<VolumeSnapshot>("volumesnapshots", name, "default"))!;
}

/** The claim stays Pending with a Warning that says why, and nothing new exists at the backend. */
async function expectRefused(name: string, message: string, backendBefore: { volumes: string[]; snapshots: string[] }): Promise<void> {
  await stack.rounds(3);
  const pvc = await claim(name);
  expect(pvc.status?.phase).toBe("Pending");
  expect(pvc.spec.volumeName).toBeUndefined();
  expect(await stack.get("persistentvolumes", `pvc-${pvc.metadata.uid}`)).toBeUndefined();
  expect(await stack.eventsFor(pvc.metadata.uid!)).toContain(`Warning ProvisioningFailed: ${message}`);
  expect(await stack.volumeDirs()).toEqual(backendBefore.volumes);
  expect(await stack.snapshotIds()).toEqual(backendBefore.snapshots);
}

async function backend(): Promise<{ volumes: string[]; snapshots: string[] }> {
  return { volumes: await stack.volumeDirs(), snapshots: await stack.snapshotIds() };
}

describe("provision: blank volumes", () => {
  it("a claim naming no class gets pvc-<uid> from the default class, pre-bound and then bound", async () => {
    const created = await stack.createClaim("blank", { className: null });
    const { pvc, pv } = await stack.bound("blank");
    expect(pv.metadata.name).toBe(`pvc-${created.metadata.uid}`);
    expect(pvc.metadata.annotations).toMatchObject({ [ANN.storageProvisioner]: DRIVER, [ANN.betaStorageProvisioner]: DRIVER });
    expect(pv.metadata.annotations).toMatchObject({ [ANN.provisionedBy]: DRIVER });
    // The API server's StorageObjectInUseProtection admission appends its own after the provisioner's.
    expect(pv.metadata.finalizers).toEqual([FINALIZER.volume, "kubernetes.io/pv-protection"]);
    expect(pv.spec).toMatchObject({
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "standard",
      volumeMode: "Filesystem",
      claimRef: { namespace: "default", name: "blank", uid: created.metadata.uid },
      csi: { driver: DRIVER },
    });
    expect(pvc.status?.capacity).toEqual({ storage: "1Gi" });
    // The volume is real: its directory exists and takes a file.
    await writeFile(join(hostPathOf(pv), "hello.txt"), "hello");
    expect(await stack.volumeDirs()).toContain(pv.spec.csi!.volumeHandle);
    const events = await stack.eventsFor(created.metadata.uid!);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'hostpath.snapflow.dev'/),
        'Normal Provisioning: External provisioner is provisioning volume for claim "default/blank"',
        `Normal ProvisioningSucceeded: Successfully provisioned volume pvc-${created.metadata.uid}`,
      ]),
    );
  });

  it('storageClassName "" is left for static binding: no volume is made', async () => {
    const before = await backend();
    const created = await stack.createClaim("static-only", { className: "" });
    await stack.rounds(2);
    expect((await claim("static-only")).status?.phase).toBe("Pending");
    expect(await stack.get("persistentvolumes", `pvc-${created.metadata.uid}`)).toBeUndefined();
    expect(await stack.volumeDirs()).toEqual(before.volumes);
  });

  it("a missing class: ProvisioningFailed and nothing made", async () => {
    const before = await backend();
    const created = await stack.createClaim("no-class", { className: "gold" });
    await stack.rounds(2);
    expect(await stack.eventsFor(created.metadata.uid!)).toContain('Warning ProvisioningFailed: storageclass.storage.k8s.io "gold" not found');
    expect(await stack.volumeDirs()).toEqual(before.volumes);
  });
});

describe("provision: restore and clone keep the right data", () => {
  let sourcePath = "";

  beforeAll(async () => {
    await stack.createClaim("src");
    const { pv } = await stack.bound("src");
    sourcePath = hostPathOf(pv);
    await writeFile(join(sourcePath, "data.txt"), "before the snapshot");
    await snapshotOf("src", "snap");
    await writeFile(join(sourcePath, "data.txt"), "after the snapshot");
  }, 60_000);

  it("a restore holds the snapshot's content; the snapshot is protected while it runs, released after", async () => {
    await stack.createClaim("restored", { dataSource: SNAP("snap") });
    const { pv } = await stack.bound("restored");
    expect(await readFile(join(hostPathOf(pv), "data.txt"), "utf8")).toBe("before the snapshot");
    const protectedIt = stack.audits.some((a) => a.function === "provision" && a.did.includes("updated volumesnapshots default/snap"));
    expect(protectedIt).toBe(true);
    await stack.settle(async () => !(await stack.get<VolumeSnapshot>("volumesnapshots", "snap", "default"))?.metadata.finalizers?.includes(FINALIZER.snapshotSource));
  });

  it("a clone holds the source's current content; the source is protected, and stays so while it lives", async () => {
    await stack.createClaim("cloned", { dataSource: CLAIM("src") });
    const { pv } = await stack.bound("cloned");
    expect(await readFile(join(hostPathOf(pv), "data.txt"), "utf8")).toBe("after the snapshot");
    expect(stack.audits.some((a) => a.function === "provision" && a.did.includes("updated persistentvolumeclaims default/src"))).toBe(true);
    // Upstream's CloningProtectionController only releases a source claim that is being deleted.
    await stack.rounds(2);
    expect((await claim("src")).metadata.finalizers ?? []).toContain(FINALIZER.cloneSource);
  });

  it("a restore requested before its snapshot is ready waits, then completes", async () => {
    await stack.kube.create(RESOURCES.volumesnapshots, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "late", namespace: "default" },
      spec: { source: { persistentVolumeClaimName: "src" } },
    } as VolumeSnapshot);
    const created = await stack.createClaim("early", { dataSourceRef: SNAP("late") });
    await stack.round();
    const { pv } = await stack.bound("early");
    expect(await readFile(join(hostPathOf(pv), "data.txt"), "utf8")).toBe("after the snapshot");
    const events = await stack.eventsFor(created.metadata.uid!);
    expect(events.some((e) => e.startsWith("Warning ProvisioningFailed: error getting handle for DataSource Type VolumeSnapshot by Name late: snapshot late "))).toBe(true);
  });

  it.each<[string, string, Parameters<ProvisionStack["createClaim"]>[1], (content: string) => string]>([
    ["request below the snapshot's restoreSize", "restore-small", { storage: "512Mi", dataSource: SNAP("snap") }, () => "requested volume size 536870912 is less than the size 1073741824 for the source snapshot snap"],
    [
      "another volume mode without the content's permission",
      "restore-block",
      { volumeMode: "Block", dataSource: SNAP("snap") },
      (content) =>
        `requested volume default/restore-block modifies the mode of the source volume but does not have permission to do so. snapshot.storage.kubernetes.io/allow-volume-mode-change annotation is not present on snapshotcontent ${content}`,
    ],
    ["a snapshot that does not exist", "restore-missing", { dataSource: SNAP("nosuch") }, () => 'error getting snapshot nosuch from api server: volumesnapshots.snapshot.storage.k8s.io "nosuch" not found'],
  ])("restore refused: %s", async (_, name, spec, err) => {
    const content = (await stack.get<VolumeSnapshot>("volumesnapshots", "snap", "default"))!.status!.boundVolumeSnapshotContentName!;
    const before = await backend();
    await stack.createClaim(name, spec);
    await expectRefused(name, `error getting handle for DataSource Type VolumeSnapshot by Name ${spec?.dataSource?.name}: ${err(content)}`, before);
  });

  it("restore refused on its class's parameters: the snapshot was protected first, as upstream does", async () => {
    await stack.createClass("broken-secret", { parameters: { "csi.storage.k8s.io/provisioner-secret-name": "x" } });
    await snapshotOf("src", "snap-guarded");
    const before = await backend();
    await stack.createClaim("restore-broken", { className: "broken-secret", dataSource: SNAP("snap-guarded") });
    await expectRefused("restore-broken", "failed to get name and namespace template from params: either name and namespace for Provisioner secrets specified, Both must be specified", before);
    expect((await stack.get<VolumeSnapshot>("volumesnapshots", "snap-guarded", "default"))!.metadata.finalizers).toContain(FINALIZER.snapshotSource);
  });

  it("restore refused: the snapshot's content belongs to another driver", async () => {
    // A pre-provisioned snapshot of a driver the gateway does not serve.
    await stack.kube.create(RESOURCES.volumesnapshotcontents, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotContent",
      metadata: { name: "foreign-content" },
      spec: { deletionPolicy: "Retain", driver: "other.csi.example", source: { snapshotHandle: "foreign-handle" }, volumeSnapshotRef: { name: "foreign", namespace: "default" } },
    } as VolumeSnapshotContent);
    await stack.kube.create(RESOURCES.volumesnapshots, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "foreign", namespace: "default" },
      spec: { source: { volumeSnapshotContentName: "foreign-content" } },
    } as VolumeSnapshot);
    await stack.settle(async () => !!(await stack.get<VolumeSnapshot>("volumesnapshots", "foreign", "default"))?.status?.boundVolumeSnapshotContentName);
    const before = await backend();
    await stack.createClaim("restore-foreign", { dataSource: SNAP("foreign") });
    await expectRefused(
      "restore-foreign",
      "error getting handle for DataSource Type VolumeSnapshot by Name foreign: snapshotcontent foreign-content for snapshot foreign is not handled by CSI driver of StorageClass standard",
      before,
    );
  });

  it.each<[string, string, Parameters<ProvisionStack["createClaim"]>[1], string]>([
    ["a request below the source's", "clone-small", { storage: "512Mi", dataSource: CLAIM("src") }, "error, new PVC request must be greater than or equal in size to the specified PVC data source, requested 536870912 but source is 1073741824"],
    ["another volume mode", "clone-block", { volumeMode: "Block", dataSource: CLAIM("src") }, "the source PVC and destination PVCs must have the same volume mode for cloning.  Source is Filesystem, but new PVC requested Block"],
    ["a source that is not bound", "clone-unbound", { dataSource: CLAIM("static-only") }, "the PVC DataSource static-only must have a status of Bound.  Got {Pending [] map[] [] map[] map[] <nil> <nil>}"],
    ["a source that does not exist", "clone-missing", { dataSource: CLAIM("nosuch") }, 'error getting PVC nosuch (namespace "default") from api server: persistentvolumeclaim "nosuch" not found'],
  ])("clone refused: %s", async (_, name, spec, err) => {
    const before = await backend();
    const finalizersBefore = (await claim("src")).metadata.finalizers ?? [];
    await stack.createClaim(name, spec);
    await expectRefused(name, `error getting handle for DataSource Type PersistentVolumeClaim by Name ${spec?.dataSource?.name}: ${err}`, before);
    expect((await claim("src")).metadata.finalizers ?? []).toEqual(finalizersBefore);
  });

  it("clone refused: a source in another namespace", async () => {
    const before = await backend();
    await stack.createClaim("clone-other-ns", { dataSourceRef: { kind: "PersistentVolumeClaim", name: "src", namespace: "kube-system" } });
    await expectRefused("clone-other-ns", "dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled", before);
  });
});

describe("provision: deletion", () => {
  it("Delete: a released PV's volume is deleted, then the PV object", async () => {
    await stack.createClaim("doomed");
    const { pv } = await stack.bound("doomed");
    const handle = pv.spec.csi!.volumeHandle;
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "doomed", "default");
    await stack.settle(async () => (await stack.get("persistentvolumes", pv.metadata.name!)) === undefined);
    expect(await stack.volumeDirs()).not.toContain(handle);
  });

  it("a PV deleted while its claim is bound is held by the provisioner's finalizer; released, its volume is deleted, then the PV goes", async () => {
    await stack.createClaim("held");
    const { pv } = await stack.bound("held");
    const handle = pv.spec.csi!.volumeHandle;
    await stack.kube.delete(RESOURCES.persistentvolumes, pv.metadata.name!);
    await stack.rounds(2);
    const terminating = await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!);
    expect(terminating?.metadata.deletionTimestamp).toBeDefined();
    expect(terminating?.metadata.finalizers).toContain(FINALIZER.volume);
    // kube-controller-manager's pv-protection keeps a Bound PV too (the dev cluster emulates it).
    expect(terminating?.metadata.finalizers).toContain("kubernetes.io/pv-protection");
    expect(await stack.volumeDirs()).toContain(handle);
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "held", "default");
    await stack.settle(async () => (await stack.get("persistentvolumes", pv.metadata.name!)) === undefined);
    expect(await stack.volumeDirs()).not.toContain(handle);
  });

  it("a deleted clone source keeps its protection while a clone of it is pending, and goes once none is", async () => {
    await stack.createClaim("csrc");
    await stack.bound("csrc");
    await stack.createClaim("ccopy", { dataSource: CLAIM("csrc") });
    await stack.bound("ccopy");
    // Refused (smaller than its source), so it stays Pending.
    await stack.createClaim("cpending", { storage: "512Mi", dataSource: CLAIM("csrc") });
    await stack.rounds(2);
    expect((await claim("csrc")).metadata.finalizers).toContain(FINALIZER.cloneSource);
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "csrc", "default");
    await stack.rounds(2);
    expect((await claim("csrc")).metadata.deletionTimestamp).toBeDefined();
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "cpending", "default");
    await stack.settle(async () => (await stack.get("persistentvolumeclaims", "csrc", "default")) === undefined);
  });

  it("Retain: the released PV and its volume stay", async () => {
    await stack.createClass("keep", { reclaimPolicy: "Retain" });
    await stack.createClaim("kept", { className: "keep" });
    const { pv } = await stack.bound("kept");
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "kept", "default");
    await stack.settle(async () => (await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))?.status?.phase === "Released");
    await stack.rounds(2);
    const kept = await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!);
    expect(kept).toBeDefined();
    // Retain: the provisioner's finalizer comes off again, so the PV can be deleted by hand.
    expect(kept?.metadata.finalizers ?? []).not.toContain(FINALIZER.volume);
    expect(await stack.volumeDirs()).toContain(pv.spec.csi!.volumeHandle);
  });
});

// external-provisioner's getSecretsFromSC: a PV without the deletion-secret annotations (made
// before they existed, or by hand) takes the provisioner secret from the class it names.
describe("provision: deletion secret of a PV without the deletion-secret annotations", () => {
  async function secret(name: string): Promise<void> {
    await stack.kube.create(RESOURCES.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "default" }, data: { key: Buffer.from("s3cr3t-deletion-token").toString("base64") } });
  }

  /** A bound claim of this class whose PV then loses its deletion-secret annotations. */
  async function legacyVolume(name: string, className: string, annotations: Record<string, string> = {}): Promise<PersistentVolume> {
    await stack.kube.create<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace: "default", annotations },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: className },
    });
    const { pv } = await stack.bound(name);
    expect(pv.metadata.annotations).toHaveProperty([ANN.deletionSecretName]);
    return stack.kube.patch<PersistentVolume>(RESOURCES.persistentvolumes, pv.metadata.name!, undefined, {
      metadata: { annotations: { [ANN.deletionSecretName]: null, [ANN.deletionSecretNamespace]: null } },
    });
  }

  it("the class's templated provisioner secret is used: the volume is deleted", async () => {
    await secret("lsec-key");
    await stack.createClass("legacy-templated", { parameters: { "csi.storage.k8s.io/provisioner-secret-name": "${pvc.name}-key", "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.namespace}" } });
    const pv = await legacyVolume("lsec", "legacy-templated");
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "lsec", "default");
    await stack.settle(async () => (await stack.get("persistentvolumes", pv.metadata.name!)) === undefined);
    expect(await stack.volumeDirs()).not.toContain(pv.spec.csi!.volumeHandle);
    expect(deleteVolumeCalls.filter((c) => c.volumeId === pv.spec.csi!.volumeHandle)).toEqual([{ volumeId: pv.spec.csi!.volumeHandle, secretRef: { name: "lsec-key", namespace: "default" } }]);
  });

  it("a class template that needs the claim's annotations: VolumeFailedDelete with upstream's text, the volume stays", async () => {
    await secret("annotated-key");
    await stack.createClass("legacy-annotated", {
      parameters: { "csi.storage.k8s.io/provisioner-secret-name": "${pvc.annotations['team/key']}", "csi.storage.k8s.io/provisioner-secret-namespace": "default" },
    });
    const pv = await legacyVolume("lann", "legacy-annotated", { "team/key": "annotated-key" });
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "lann", "default");
    await stack.settle(async () => (await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))?.status?.phase === "Released");
    await stack.rounds(2);
    expect(await stack.eventsFor(pv.metadata.uid!)).toContain(
      `Warning VolumeFailedDelete: failed to get secretreference for volume ${pv.metadata.name}: error resolving value "\${pvc.annotations['team/key']}": invalid tokens: ["pvc.annotations['team/key']"]`,
    );
    expect(await stack.get("persistentvolumes", pv.metadata.name!)).toBeDefined();
    expect(await stack.volumeDirs()).toContain(pv.spec.csi!.volumeHandle);
    expect(deleteVolumeCalls.filter((c) => c.volumeId === pv.spec.csi!.volumeHandle)).toEqual([]);
  });

  it("the class is gone: the volume is deleted without secrets", async () => {
    await stack.createClass("legacy-gone", { parameters: { "csi.storage.k8s.io/provisioner-secret-name": "${pvc.annotations['team/key']}", "csi.storage.k8s.io/provisioner-secret-namespace": "default" } });
    await secret("gone-key");
    const pv = await legacyVolume("lgone", "legacy-gone", { "team/key": "gone-key" });
    await stack.kube.delete(RESOURCES.storageclasses, "legacy-gone");
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "lgone", "default");
    await stack.settle(async () => (await stack.get("persistentvolumes", pv.metadata.name!)) === undefined);
    expect(await stack.volumeDirs()).not.toContain(pv.spec.csi!.volumeHandle);
    expect(deleteVolumeCalls.filter((c) => c.volumeId === pv.spec.csi!.volumeHandle)).toEqual([{ volumeId: pv.spec.csi!.volumeHandle }]);
  });
});

describe("expand", () => {
  it("a larger request grows the volume: PV and claim report the new size, the data stays", async () => {
    await stack.createClaim("grow");
    const { pv } = await stack.bound("grow");
    await writeFile(join(hostPathOf(pv), "keep.txt"), "still here");
    await stack.kube.patch(RESOURCES.persistentvolumeclaims, "grow", "default", { spec: { resources: { requests: { storage: "2Gi" } } } }, "merge");
    await stack.settle(async () => {
      const c = await claim("grow");
      return c.status?.capacity?.storage === "2Gi" && c.status.allocatedResourceStatuses === undefined;
    });
    const grown = await claim("grow");
    const pvAfter = (await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))!;
    expect(pvAfter.spec.capacity).toEqual({ storage: "2Gi" });
    expect(grown.status?.conditions ?? []).toEqual([]);
    expect(grown.status?.allocatedResources).toEqual({ storage: "2Gi" });
    expect(grown.status?.allocatedResourceStatuses).toBeUndefined();
    expect(await readFile(join(hostPathOf(pvAfter), "keep.txt"), "utf8")).toBe("still here");
    const events = await stack.eventsFor(grown.metadata.uid!);
    expect(events).toEqual(expect.arrayContaining([`Normal Resizing: External resizer is resizing volume ${pv.metadata.name}`, "Normal VolumeResizeSuccessful: Resize volume succeeded"]));
  });

  it("a class without allowVolumeExpansion: VolumeResizeFailed, nothing grows", async () => {
    await stack.createClass("fixed");
    await stack.createClaim("stuck", { className: "fixed" });
    const { pv } = await stack.bound("stuck");
    await stack.kube.patch(RESOURCES.persistentvolumeclaims, "stuck", "default", { spec: { resources: { requests: { storage: "2Gi" } } } }, "merge");
    await stack.rounds(3);
    const after = await claim("stuck");
    expect(after.status?.capacity).toEqual({ storage: "1Gi" });
    expect((await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))!.spec.capacity).toEqual({ storage: "1Gi" });
    expect(await stack.eventsFor(after.metadata.uid!)).toContain(
      "Warning VolumeResizeFailed: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
    );
  });

  it("the API server refuses a shrink", async () => {
    const err = await stack.kube
      .patch(RESOURCES.persistentvolumeclaims, "grow", "default", { spec: { resources: { requests: { storage: "1Gi" } } } }, "merge")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(422);
  });
});

describe("provision: failures in flight", () => {
  const flaky = new ProvisionStack();
  let pvFailures = 0;
  /** CreateVolume answers UNAVAILABLE while this is true (the driver is down). */
  let driverDown = false;
  /** provision may not update VolumeSnapshots while this is true (RBAC without that verb). */
  let snapshotUpdatesForbidden = false;
  beforeAll(
    () =>
      flaky.start({
        kubeFor: (fn, kube) => {
          if (fn.name !== "provision") return kube;
          // The API refuses the first PV creation (as a flaky API server would); everything else passes.
          const wrapped: KubeClient = Object.create(kube) as KubeClient;
          wrapped.create = async (type, object) => {
            if (type.plural === "persistentvolumes" && pvFailures === 0) {
              pvFailures++;
              throw new KubeApiError(500, "InternalError", "etcdserver: request timed out");
            }
            return kube.create(type, object);
          };
          wrapped.update = async (type, object) => {
            if (type.plural === "volumesnapshots" && snapshotUpdatesForbidden) {
              throw new KubeApiError(403, "Forbidden", `volumesnapshots.snapshot.storage.k8s.io "${object.metadata.name}" is forbidden: User "provision" cannot update resource "volumesnapshots"`);
            }
            return kube.update(type, object);
          };
          return wrapped;
        },
        gatewayFor: (fn, gateway) => {
          if (fn.name !== "provision") return gateway;
          const wrapped: GatewayClient = Object.create(gateway) as GatewayClient;
          wrapped.createVolume = async (driver, req) => {
            if (driverDown) throw new GatewayError("UNAVAILABLE", "driver restarting");
            return gateway.createVolume(driver, req);
          };
          return wrapped;
        },
      }),
    60_000,
  );
  afterAll(() => flaky.stop(), 60_000);

  it("the volume made before a failed PV write is found again by its name, not made twice", async () => {
    const created = await flaky.createClaim("retry");
    const { pv } = await flaky.bound("retry");
    expect(pvFailures).toBe(1);
    expect(await flaky.volumeDirs()).toEqual([pv.spec.csi!.volumeHandle]);
    // No Warning: upstream's PV save queue only logs a failed write and retries it.
    const events = await flaky.eventsFor(created.metadata.uid!);
    expect(events.filter((e) => e.startsWith("Warning"))).toEqual([]);
    expect(events).toContain(`Normal ProvisioningSucceeded: Successfully provisioned volume pvc-${created.metadata.uid}`);
  });

  it("a snapshot being restored stays while the restore is in flight, even when its deletion is asked for", async () => {
    await flaky.kube.create(RESOURCES.volumesnapshots, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "held", namespace: "default" },
      spec: { source: { persistentVolumeClaimName: "retry" } },
    } as VolumeSnapshot);
    await flaky.settle(async () => (await flaky.get<VolumeSnapshot>("volumesnapshots", "held", "default"))?.status?.readyToUse === true);

    driverDown = true;
    const created = await flaky.createClaim("held-restore", { dataSource: SNAP("held") });
    await flaky.rounds(2);
    expect(await flaky.eventsFor(created.metadata.uid!)).toContain("Warning ProvisioningFailed: rpc error: code = Unavailable desc = driver restarting");
    const held = (await flaky.get<VolumeSnapshot>("volumesnapshots", "held", "default"))!;
    expect(held.metadata.finalizers).toContain(FINALIZER.snapshotSource);

    await flaky.kube.delete(RESOURCES.volumesnapshots, "held", "default");
    await flaky.rounds(2);
    const deleting = await flaky.get<VolumeSnapshot>("volumesnapshots", "held", "default");
    expect(deleting?.metadata.deletionTimestamp).toBeDefined();
    expect(deleting?.metadata.finalizers).toContain(FINALIZER.snapshotSource);

    driverDown = false;
    const { pv } = await flaky.bound("held-restore");
    expect(pv.spec.csi?.volumeHandle).toBeTruthy();
    // Restored, so the protection goes and the deletion the user asked for completes.
    await flaky.settle(async () => (await flaky.get("volumesnapshots", "held", "default")) === undefined);
  });

  it("without permission to update VolumeSnapshots a restore goes ahead unprotected, as upstream's", async () => {
    await flaky.kube.create(RESOURCES.volumesnapshots, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "open", namespace: "default" },
      spec: { source: { persistentVolumeClaimName: "retry" } },
    } as VolumeSnapshot);
    await flaky.settle(async () => (await flaky.get<VolumeSnapshot>("volumesnapshots", "open", "default"))?.status?.readyToUse === true);
    snapshotUpdatesForbidden = true;
    try {
      const created = await flaky.createClaim("open-restore", { dataSource: SNAP("open") });
      await flaky.bound("open-restore");
      expect((await flaky.get<VolumeSnapshot>("volumesnapshots", "open", "default"))!.metadata.finalizers ?? []).not.toContain(FINALIZER.snapshotSource);
      expect((await flaky.eventsFor(created.metadata.uid!)).filter((e) => e.startsWith("Warning"))).toEqual([]);
    } finally {
      snapshotUpdatesForbidden = false;
    }
  });
});
