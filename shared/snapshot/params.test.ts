import { describe, expect, it } from "vitest";
import { SECRET_PARAMS } from "./constants.js";
import { isDns1123Label, resolveGroupSecretRef, resolveSecretRef, resolveTemplate, stripReservedParameters } from "./params.js";

describe("stripReservedParameters", () => {
  it("drops the secret keys and keeps the rest unchanged", () => {
    expect(
      stripReservedParameters({
        "csi.storage.k8s.io/snapshotter-secret-name": "s",
        "csi.storage.k8s.io/snapshotter-secret-namespace": "ns",
        "csi.storage.k8s.io/snapshotter-list-secret-name": "s",
        "csi.storage.k8s.io/snapshotter-list-secret-namespace": "ns",
        "csi.storage.k8s.io/group-snapshotter-secret-name": "s",
        "csi.storage.k8s.io/group-snapshotter-secret-namespace": "ns",
        "csi.storage.k8s.io/group-snapshotter-get-secret-name": "s",
        "csi.storage.k8s.io/group-snapshotter-get-secret-namespace": "ns",
        retention: "7d",
        "example.com/tier": "gold",
      }),
    ).toEqual({ ok: true, value: { retention: "7d", "example.com/tier": "gold" } });
  });

  it("fails on any other reserved key with upstream's message", () => {
    expect(stripReservedParameters({ a: "1", "csi.storage.k8s.io/fstype": "ext4" })).toEqual({
      ok: false,
      error: 'found unknown parameter key "csi.storage.k8s.io/fstype" with reserved namespace csi.storage.k8s.io/',
    });
  });

  it("treats missing parameters as empty", () => {
    expect(stripReservedParameters(undefined)).toEqual({ ok: true, value: {} });
  });
});

describe("resolveTemplate", () => {
  it("expands known tokens and lists unknown ones sorted, Go-quoted", () => {
    expect(resolveTemplate("${a}-x-${b}", { a: "1", b: "2" })).toEqual({ ok: true, value: "1-x-2" });
    expect(resolveTemplate("${z}${a}${y}", { a: "1" })).toEqual({ ok: false, error: 'invalid tokens: ["y" "z"]' });
  });

  // Upstream expands with Go's os.Expand (§2.6 "shell-style"): the brace-less and malformed forms
  // behave as there, so a class with a typo gets the same error text.
  it.each<[string, string, { ok: true; value: string } | { ok: false; error: string }]>([
    ["$-form stops at the first non-name character", "$volumesnapshot.name", { ok: false, error: 'invalid tokens: ["volumesnapshot"]' }],
    ["$-form with a known name", "$a-key", { ok: true, value: "1-key" }],
    ["a digit or special character is a one-character name", "x$1y$-z", { ok: false, error: 'invalid tokens: ["-" "1"]' }],
    ["${} is eaten", "${}creds", { ok: true, value: "creds" }],
    ["an unclosed ${ is eaten", "${a", { ok: true, value: "a" }],
    ["a $ before a non-name character stays", "a$%b", { ok: true, value: "a$%b" }],
    ["a trailing $ stays", "creds$", { ok: true, value: "creds$" }],
    ["${<special>} is that one character", "${$}", { ok: false, error: 'invalid tokens: ["$"]' }],
  ])("%s", (_, template, expected) => {
    expect(resolveTemplate(template, { a: "1" })).toEqual(expected);
  });
});

describe("resolveSecretRef", () => {
  const objects = { contentName: "snapcontent-u1", snapshot: { name: "snap-1", namespace: "team-a" } };
  const P = (name?: string, namespace?: string) => ({
    ...(name === undefined ? {} : { "csi.storage.k8s.io/snapshotter-secret-name": name }),
    ...(namespace === undefined ? {} : { "csi.storage.k8s.io/snapshotter-secret-namespace": namespace }),
  });

  it.each([
    ["no secret keys", P(), objects, { ok: true, value: undefined }],
    ["literal values", P("creds", "kube-system"), objects, { ok: true, value: { name: "creds", namespace: "kube-system" } }],
    [
      "templates from the snapshot",
      P("${volumesnapshot.name}-creds", "${volumesnapshot.namespace}"),
      objects,
      { ok: true, value: { name: "snap-1-creds", namespace: "team-a" } },
    ],
    [
      "template from the content",
      P("${volumesnapshotcontent.name}", "ns"),
      objects,
      { ok: true, value: { name: "snapcontent-u1", namespace: "ns" } },
    ],
    [
      "only the name",
      P("creds"),
      objects,
      {
        ok: false,
        error: "failed to get name and namespace template from params: either name and namespace for Snapshotter secrets specified, Both must be specified",
      },
    ],
    [
      "empty value",
      P("", "ns"),
      objects,
      {
        ok: false,
        error:
          "failed to get name and namespace template from params: Snapshotter secrets specified in parameters but value of either namespace or name is empty",
      },
    ],
    [
      "unknown token",
      P("x", "${pvc.namespace}"),
      objects,
      { ok: false, error: 'error resolving value "${pvc.namespace}": invalid tokens: ["pvc.namespace"]' },
    ],
    [
      "volumesnapshot.name is not allowed in the namespace",
      P("x", "${volumesnapshot.name}"),
      objects,
      { ok: false, error: 'error resolving value "${volumesnapshot.name}": invalid tokens: ["volumesnapshot.name"]' },
    ],
    [
      "snapshot tokens without a snapshot",
      P("${volumesnapshot.name}", "ns"),
      { contentName: "snapcontent-u1" },
      { ok: false, error: 'error resolving value "${volumesnapshot.name}": invalid tokens: ["volumesnapshot.name"]' },
    ],
    ["invalid namespace literal", P("x", "Bad_NS"), objects, { ok: false, error: '"Bad_NS" is not a valid namespace name' }],
    [
      "invalid resolved namespace",
      P("x", "${volumesnapshotcontent.name}.x"),
      objects,
      { ok: false, error: '"${volumesnapshotcontent.name}.x" resolved to "snapcontent-u1.x" which is not a valid namespace name' },
    ],
    ["invalid secret name literal", P("UPPER", "ns"), objects, { ok: false, error: '"UPPER" is not a valid secret name' }],
    [
      "invalid resolved secret name",
      P("${volumesnapshot.name}_x", "ns"),
      objects,
      { ok: false, error: '"${volumesnapshot.name}_x" resolved to "snap-1_x" which is not a valid secret name' },
    ],
  ])("%s", (_, params, objs, expected) => {
    expect(resolveSecretRef(SECRET_PARAMS.snapshotter, params, objs)).toEqual(expected);
  });

  it("uses the list-secret keys for the SnapshotterList set", () => {
    expect(
      resolveSecretRef(SECRET_PARAMS.snapshotterList, { "csi.storage.k8s.io/snapshotter-list-secret-name": "l" }, objects),
    ).toEqual({
      ok: false,
      error:
        "failed to get name and namespace template from params: either name and namespace for SnapshotterList secrets specified, Both must be specified",
    });
  });

  it("resolves group templates", () => {
    expect(
      resolveGroupSecretRef(
        SECRET_PARAMS.groupSnapshotter,
        {
          "csi.storage.k8s.io/group-snapshotter-secret-name": "${volumegroupsnapshot.name}",
          "csi.storage.k8s.io/group-snapshotter-secret-namespace": "${volumegroupsnapshot.namespace}",
        },
        { groupContentName: "groupsnapcontent-g", groupSnapshot: { name: "vgs", namespace: "db" } },
      ),
    ).toEqual({ ok: true, value: { name: "vgs", namespace: "db" } });
  });

  it("validates DNS-1123 labels", () => {
    expect(isDns1123Label("a".repeat(63))).toBe(true);
    expect(isDns1123Label("a".repeat(64))).toBe(false);
    expect(isDns1123Label("-a")).toBe(false);
  });
});
