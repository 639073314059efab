// Which resources are served right now: the built-ins plus one entry per established CRD. Discovery
// and OpenAPI documents are derived from it and cached per registry revision.
import { resourceKey, type ResourceDef } from "./resource-def.js";

export class Registry {
  private readonly defs = new Map<string, ResourceDef>();
  /** Bumped on every change, so derived documents (discovery, OpenAPI) know to rebuild. */
  revision = 0;

  add(def: ResourceDef): void {
    this.defs.set(resourceKey(def.group, def.plural), def);
    this.revision++;
  }

  remove(group: string, plural: string): void {
    if (this.defs.delete(resourceKey(group, plural))) this.revision++;
  }

  byKey(key: string): ResourceDef | undefined {
    return this.defs.get(key);
  }

  get(group: string, plural: string): ResourceDef | undefined {
    return this.defs.get(resourceKey(group, plural));
  }

  /** The resource at /api[s]/<group>/<version>/<plural>, if that version is served. */
  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    const def = this.defs.get(resourceKey(group, plural));
    return def && def.versions.includes(version) ? def : undefined;
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  /** Group → served versions (preferred first), core group as "". */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const def of this.defs.values()) {
      const versions = out.get(def.group) ?? [];
      for (const v of def.versions) if (!versions.includes(v)) versions.push(v);
      out.set(def.group, versions);
    }
    return out;
  }
}
