// Discovery documents: aggregated (apidiscovery.k8s.io/v2, what kubectl 1.32 asks for first) and the
// legacy /api, /apis, /apis/<group>/<version> lists (what older clients and client libraries read).
import { compareVersions } from "./crd-resources.js";
import type { Registry } from "./registry.js";
import type { ResourceDef } from "./resource-def.js";

export const AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
export const AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/** The aggregated content type the client accepts, if any (v2 preferred). */
export function aggregatedType(accept: string | undefined): string | undefined {
  if (!accept || !accept.includes("apidiscovery.k8s.io")) return undefined;
  let found: string | undefined;
  for (const part of accept.split(",")) {
    const params = new Map(
      part
        .split(";")
        .slice(1)
        .map((p) => p.trim().split("=") as [string, string]),
    );
    if (params.get("g") !== "apidiscovery.k8s.io" || params.get("as") !== "APIGroupDiscoveryList") continue;
    if (params.get("v") === "v2") return AGGREGATED_V2;
    if (params.get("v") === "v2beta1") found = AGGREGATED_V2BETA1;
  }
  return found;
}

function verbs(def: ResourceDef): string[] {
  return def.readOnly ? ["get", "list", "watch"] : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}

function sortedVersions(versions: string[]): string[] {
  return [...versions].sort(compareVersions);
}

function groupOrder(registry: Registry): string[] {
  // Built-in groups first, in kube's order, then CRD groups alphabetically.
  const builtinOrder = ["", "events.k8s.io", "storage.k8s.io", "apiextensions.k8s.io"];
  const groups = [...registry.groups().keys()];
  return groups.sort((a, b) => {
    const ia = builtinOrder.indexOf(a);
    const ib = builtinOrder.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    return a.localeCompare(b);
  });
}

export function aggregatedDiscovery(registry: Registry, core: boolean): Record<string, unknown> {
  const groups = registry.groups();
  const items = groupOrder(registry)
    .filter((g) => (core ? g === "" : g !== ""))
    .map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: sortedVersions(groups.get(group) ?? []).map((version) => ({
        version,
        resources: registry
          .all()
          .filter((d) => d.group === group && d.versions.includes(version))
          .sort((a, b) => a.plural.localeCompare(b.plural))
          .map((d) => ({
            resource: d.plural,
            responseKind: { group, version, kind: d.kind },
            scope: d.namespaced ? "Namespaced" : "Cluster",
            singularResource: d.singular,
            verbs: verbs(d),
            ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
            ...(d.categories.length ? { categories: d.categories } : {}),
            ...(d.hasStatus
              ? { subresources: [{ subresource: "status", responseKind: { group, version, kind: d.kind }, verbs: ["get", "patch", "update"] }] }
              : {}),
          })),
        freshness: "Current",
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}

export function legacyCore(serverAddress: string): Record<string, unknown> {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groupEntry(group: string, versions: string[]): Record<string, unknown> {
  const sorted = sortedVersions(versions);
  const list = sorted.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function legacyGroups(registry: Registry): Record<string, unknown> {
  const groups = registry.groups();
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groupOrder(registry)
      .filter((g) => g !== "")
      .map((g) => groupEntry(g, groups.get(g) ?? [])),
  };
}

export function legacyGroup(registry: Registry, group: string): Record<string, unknown> | undefined {
  const versions = registry.groups().get(group);
  if (!versions || group === "") return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group, versions) };
}

export function resourceList(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const defs = registry.all().filter((d) => d.group === group && d.versions.includes(version));
  if (defs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of defs.sort((a, b) => a.plural.localeCompare(b.plural))) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: verbs(d),
      ...(d.shortNames.length ? { shortNames: d.shortNames } : {}),
      ...(d.categories.length ? { categories: d.categories } : {}),
    });
    if (d.hasStatus) resources.push({ name: `${d.plural}/status`, singularName: "", namespaced: d.namespaced, kind: d.kind, verbs: ["get", "patch", "update"] });
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}
