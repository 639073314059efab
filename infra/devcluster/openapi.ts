// OpenAPI v3: the index (/openapi/v3) and one document per group-version. kubectl's apply trusts
// server-side validation when each kind's PATCH declares `fieldValidation`; explain reads the
// components. Custom resources list no strategic-merge-patch body, so kubectl sends merge patches.
import { createHash } from "node:crypto";
import type { JSONSchemaProps } from "../../shared/api/crd.js";
import { LIST_META, OBJECT_META, metaSchemas } from "./builtin-schemas.js";
import type { Registry } from "./registry.js";
import type { ResourceDef } from "./resource-def.js";

const BUILTIN_PACKAGES: Record<string, string> = {
  "": "io.k8s.api.core",
  "storage.k8s.io": "io.k8s.api.storage",
  "events.k8s.io": "io.k8s.api.events",
  "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
};

export function schemaName(def: ResourceDef, version: string, suffix = ""): string {
  const pkg = def.builtin ? BUILTIN_PACKAGES[def.group] : def.group.split(".").reverse().join(".");
  return `${pkg}.${version}.${def.kind}${suffix}`;
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const param = (name: string, description: string) => ({ name, in: "query", description, schema: { type: "string", uniqueItems: true } });
const WRITE_PARAMS = [
  param("dryRun", "When present, indicates that modifications should not be persisted."),
  param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
  param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict."),
];
const PATCH_PARAMS = [...WRITE_PARAMS, { name: "force", in: "query", description: "Force is going to \"force\" Apply requests.", schema: { type: "boolean", uniqueItems: true } }];
const LIST_PARAMS = ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "timeoutSeconds", "watch", "allowWatchBookmarks"].map((n) =>
  param(n, `${n} of the list or watch.`),
);

/** Strips validation-only parts and points metadata at ObjectMeta, as kube publishes CR schemas. */
function publishedSchema(schema: JSONSchemaProps | undefined, def: ResourceDef, version: string): Record<string, unknown> {
  const s: Record<string, any> = schema ? JSON.parse(JSON.stringify(schema)) : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  s.properties = s.properties ?? {};
  s.properties.metadata = { description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }] };
  s["x-kubernetes-group-version-kind"] = [{ group: def.group, version, kind: def.kind }];
  return s;
}

function ref(name: string): Record<string, unknown> {
  return { $ref: `#/components/schemas/${name}` };
}

function jsonContent(schemaRef: Record<string, unknown>): Record<string, unknown> {
  return { content: { "application/json": { schema: schemaRef }, "application/yaml": { schema: schemaRef } } };
}

function operations(def: ResourceDef, version: string): Record<string, unknown> {
  const gvk = { group: def.group, version, kind: def.kind };
  const one = ref(schemaName(def, version));
  const list = ref(schemaName(def, version, "List"));
  const base = def.group ? `/apis/${def.group}/${version}` : `/api/${version}`;
  const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const item = `${collection}/{name}`;
  const pathParams = [
    { name: "name", in: "path", required: true, description: `name of the ${def.kind}`, schema: { type: "string", uniqueItems: true } },
    ...(def.namespaced ? [{ name: "namespace", in: "path", required: true, description: "object name and auth scope, such as for teams and projects", schema: { type: "string", uniqueItems: true } }] : []),
  ];
  const op = (action: string, id: string, extra: Record<string, unknown>, response: Record<string, unknown> = one) => ({
    operationId: `${id}${def.kind}`,
    description: `${action} ${def.kind}`,
    tags: [def.group || "core"],
    responses: { "200": { description: "OK", ...jsonContent(response) } },
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk,
    ...extra,
  });
  // Built-ins leave out the patch body: kubectl then uses its compiled-in strategic-merge metadata.
  const patchBody = def.builtin
    ? {}
    : {
        requestBody: {
          content: Object.fromEntries(
            ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"].map((t) => [
              t,
              { schema: ref("io.k8s.apimachinery.pkg.apis.meta.v1.Patch") },
            ]),
          ),
          required: true,
        },
      };
  const itemOps: Record<string, unknown> = {
    get: op("get", "read", {}),
    put: op("put", "replace", { parameters: WRITE_PARAMS, requestBody: { ...jsonContent(one), required: true } }),
    patch: op("patch", "patch", { parameters: PATCH_PARAMS, ...patchBody }),
    delete: op("delete", "delete", { parameters: [WRITE_PARAMS[0]] }),
    parameters: pathParams,
  };
  const collectionOps: Record<string, unknown> = {
    get: op("list", "list", { parameters: LIST_PARAMS }, list),
    post: op("post", "create", { parameters: WRITE_PARAMS, requestBody: { ...jsonContent(one), required: true } }),
    parameters: pathParams.slice(1),
  };
  if (def.readOnly) {
    delete itemOps.put;
    delete itemOps.patch;
    delete itemOps.delete;
    delete collectionOps.post;
  }
  const paths: Record<string, unknown> = { [collection]: collectionOps, [item]: itemOps };
  if (def.hasStatus && !def.readOnly) {
    paths[`${item}/status`] = {
      get: op("get", "read", {}),
      put: op("put", "replace", { parameters: WRITE_PARAMS, requestBody: { ...jsonContent(one), required: true } }),
      patch: op("patch", "patch", { parameters: PATCH_PARAMS, ...patchBody }),
      parameters: pathParams,
    };
  }
  return paths;
}

export class OpenApi {
  private cachedRevision = -1;
  private docs = new Map<string, { json: string; hash: string }>();

  constructor(private readonly registry: Registry) {}

  private rebuild(): void {
    if (this.cachedRevision === this.registry.revision) return;
    this.docs = new Map();
    const byGv = new Map<string, ResourceDef[]>();
    for (const def of this.registry.all()) {
      for (const v of def.versions) {
        const k = gvPath(def.group, v);
        byGv.set(k, [...(byGv.get(k) ?? []), def]);
      }
    }
    for (const [gv, defs] of byGv) {
      const version = gv.split("/").pop()!;
      const schemas: Record<string, unknown> = {
        ...metaSchemas(),
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": { type: "object", description: "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body." },
      };
      let paths: Record<string, unknown> = {};
      for (const def of defs.sort((a, b) => a.plural.localeCompare(b.plural))) {
        schemas[schemaName(def, version)] = publishedSchema(def.schema(version), def, version);
        schemas[schemaName(def, version, "List")] = {
          type: "object",
          description: `${def.listKind} is a list of ${def.kind}`,
          required: ["items"],
          properties: {
            apiVersion: { type: "string", description: "APIVersion defines the versioned schema of this representation of an object." },
            kind: { type: "string", description: "Kind is a string value representing the REST resource this object represents." },
            items: { type: "array", description: `List of ${def.plural}.`, items: ref(schemaName(def, version)) },
            metadata: { allOf: [ref(LIST_META)], description: "Standard list metadata." },
          },
          "x-kubernetes-group-version-kind": [{ group: def.group, version, kind: def.listKind }],
        };
        paths = { ...paths, ...operations(def, version) };
      }
      const doc = { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.4" }, paths, components: { schemas } };
      const json = JSON.stringify(doc);
      this.docs.set(gv, { json, hash: createHash("sha512").update(json).digest("hex").toUpperCase() });
    }
    this.cachedRevision = this.registry.revision;
  }

  index(): string {
    this.rebuild();
    const paths: Record<string, unknown> = {};
    for (const [gv, d] of this.docs) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${d.hash}` };
    return JSON.stringify({ paths });
  }

  /** The document of "api/v1" or "apis/<group>/<version>". */
  document(gv: string): string | undefined {
    this.rebuild();
    return this.docs.get(gv)?.json;
  }
}
