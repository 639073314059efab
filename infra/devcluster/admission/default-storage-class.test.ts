import { describe, expect, it } from "vitest";
import type { KObject } from "../resource-def.js";
import { admitDefaultStorageClass, defaultStorageClassName } from "./default-storage-class.js";

function sc(name: string, created: string, isDefault: boolean, beta = false): KObject {
  const key = beta ? "storageclass.beta.kubernetes.io/is-default-class" : "storageclass.kubernetes.io/is-default-class";
  return { metadata: { name, creationTimestamp: created, annotations: isDefault ? { [key]: "true" } : {} } } as KObject;
}

describe("DefaultStorageClass admission", () => {
  const classes = [sc("slow", "2026-01-01T00:00:00Z", false), sc("standard", "2026-01-02T00:00:00Z", true)];

  it.each([
    { name: "unset gets the default", spec: {}, want: "standard" },
    { name: "null gets the default", spec: { storageClassName: null }, want: "standard" },
    { name: "explicit class is kept", spec: { storageClassName: "slow" }, want: "slow" },
    { name: "empty string means no class and is kept", spec: { storageClassName: "" }, want: "" },
  ])("$name", ({ spec, want }) => {
    const claim = { metadata: { name: "c" }, spec: { ...spec } } as KObject;
    admitDefaultStorageClass(claim, () => classes);
    expect(claim.spec.storageClassName).toBe(want);
  });

  it("leaves the claim alone when there is no default", () => {
    const claim = { metadata: { name: "c" }, spec: {} } as KObject;
    admitDefaultStorageClass(claim, () => [classes[0]!]);
    expect(claim.spec.storageClassName).toBeUndefined();
  });

  it("picks the newest of several defaults, then by name, honouring the beta annotation", () => {
    expect(
      defaultStorageClassName([
        sc("a", "2026-01-01T00:00:00Z", true),
        sc("c", "2026-03-01T00:00:00Z", true, true),
        sc("b", "2026-03-01T00:00:00Z", true),
      ]),
    ).toBe("b");
  });
});
