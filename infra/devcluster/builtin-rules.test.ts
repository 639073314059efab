import { describe, expect, it } from "vitest";
import { podRules } from "./builtin-rules.js";
import type { KObject } from "./resource-def.js";

const pod = (spec: Record<string, any>) => ({ metadata: { name: "p" }, spec }) as KObject;
const base = { nodeName: "node1", containers: [{ name: "app", image: "busybox:1" }], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "c" } }], tolerations: [{ key: "a" }] };

describe("pod write rules (stored, never run)", () => {
  it("create resets status to Pending", () => {
    const p = { ...pod(base), status: { phase: "Running" } } as KObject;
    podRules.prepareCreate!(p);
    expect(p.status).toEqual({ phase: "Pending" });
  });

  it.each([
    { name: "a valid pod", spec: base, want: [] },
    { name: "no containers", spec: { ...base, containers: [] }, want: ["spec.containers: Required value"] },
    { name: "container without image", spec: { ...base, containers: [{ name: "app" }] }, want: ["spec.containers[0].image: Required value"] },
    { name: "container without name", spec: { ...base, containers: [{ image: "x" }] }, want: ["spec.containers[0].name: Required value"] },
    {
      name: "duplicate volume names",
      spec: { ...base, volumes: [{ name: "v", emptyDir: {} }, { name: "v", emptyDir: {} }] },
      want: ['spec.volumes[1].name: Duplicate value: "v"'],
    },
    { name: "claim volume without claimName", spec: { ...base, volumes: [{ name: "v", persistentVolumeClaim: {} }] }, want: ["spec.volumes[0].persistentVolumeClaim.claimName: Required value"] },
  ])("create: $name", ({ spec, want }) => {
    expect(podRules.validateCreate!(pod(spec)).map((e) => `${e.field}: ${e.message}`)).toEqual(want);
  });

  it.each([
    { name: "a new image", spec: { ...base, containers: [{ name: "app", image: "busybox:2" }] }, ok: true },
    { name: "an added toleration", spec: { ...base, tolerations: [{ key: "a" }, { key: "b" }] }, ok: true },
    { name: "activeDeadlineSeconds", spec: { ...base, activeDeadlineSeconds: 5 }, ok: true },
    { name: "a removed toleration", spec: { ...base, tolerations: [] }, ok: false },
    { name: "another nodeName", spec: { ...base, nodeName: "node2" }, ok: false },
    { name: "another volume", spec: { ...base, volumes: [{ name: "data", persistentVolumeClaim: { claimName: "d" } }] }, ok: false },
  ])("update may change $name: $ok", ({ spec, ok }) => {
    const errs = podRules.validateUpdate!(pod(spec), pod(base));
    if (ok) expect(errs).toEqual([]);
    else expect(errs.map((e) => e.field)).toEqual(["spec"]);
    if (!ok) expect(errs[0]!.message).toContain("pod updates may not change fields other than `spec.containers[*].image`");
  });
});
