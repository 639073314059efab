// Serving CRDs: a CRD is checked and compiled when it is written (a bad one is refused with 422),
// its resource is served as soon as the write is durable, and when it goes its objects go too.
import type { CustomResourceDefinition } from "../../../shared/api/crd.js";
import type { Api } from "../api.js";
import { crdResourceDef, storageVersionOf, validateCrdShape } from "../crd-resources.js";
import { compileErrorToField, type ValidationModule } from "../crd-validation.js";
import { fieldError, type FieldErrorLike } from "../errors.js";
import type { Registry } from "../registry.js";
import { resourceKey, type KObject, type ResourceDef, type VersionValidator } from "../resource-def.js";
import type { Store, StoreEvent } from "../store.js";

const CRDS = "apiextensions.k8s.io/customresourcedefinitions";

function crdStatus(crd: CustomResourceDefinition, previous: string[] | undefined): Record<string, unknown> {
  const time = crd.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const stored = new Set(previous ?? []);
  stored.add(storageVersionOf(crd));
  const condition = (type: string, reason: string, message: string) => ({ type, status: "True", lastTransitionTime: time, reason, message });
  return {
    conditions: [condition("NamesAccepted", "NoConflicts", "no conflicts found"), condition("Established", "InitialNamesAccepted", "the initial names have been accepted")],
    acceptedNames: { ...crd.spec.names, singular: crd.spec.names.singular ?? crd.spec.names.kind.toLowerCase(), listKind: crd.spec.names.listKind ?? `${crd.spec.names.kind}List` },
    storedVersions: [...stored],
  };
}

export class CrdController {
  private readonly compiled = new Map<string, Map<string, VersionValidator>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly validation: ValidationModule,
    crdDef: ResourceDef,
  ) {
    crdDef.rules = {
      prepareCreate: (obj) => {
        obj.status = crdStatus(obj as CustomResourceDefinition, undefined);
      },
      validateCreate: (obj) => this.check(obj),
      validateUpdate: (obj, old) => {
        const errs = this.check(obj);
        if (obj.spec?.group !== old.spec?.group) errs.push(fieldError.invalid("spec.group", obj.spec?.group, "field is immutable"));
        if (obj.spec?.names?.plural !== old.spec?.names?.plural) errs.push(fieldError.invalid("spec.names.plural", obj.spec?.names?.plural, "field is immutable"));
        if (obj.spec?.scope !== old.spec?.scope) errs.push(fieldError.invalid("spec.scope", obj.spec?.scope, "field is immutable"));
        if (errs.length === 0) obj.status = crdStatus(obj as CustomResourceDefinition, obj.status?.storedVersions ?? old.status?.storedVersions);
        return errs;
      },
    };
    for (const crd of store.list(CRDS)) this.serve(crd);
    this.unsubscribe = store.subscribe(CRDS, (e) => this.onEvent(e));
  }

  private check(obj: KObject): FieldErrorLike[] {
    const crd = obj as CustomResourceDefinition;
    const errs = validateCrdShape(crd);
    if (errs.length > 0) return errs;
    const clash = this.registry.get(crd.spec.group, crd.spec.names.plural);
    if (clash?.builtin) return [fieldError.invalid("spec.names.plural", crd.spec.names.plural, "the resource is served by the API server itself")];
    try {
      this.compiled.set(crd.metadata.name!, this.validation.compileCrd(crd));
    } catch (e) {
      return [compileErrorToField((e as Error).message)];
    }
    return [];
  }

  private serve(obj: KObject): void {
    const crd = obj as CustomResourceDefinition;
    let validators = this.compiled.get(crd.metadata.name!);
    if (!validators) {
      try {
        validators = this.validation.compileCrd(crd);
      } catch (e) {
        process.emitWarning(`dev cluster: stored CRD ${crd.metadata.name} no longer compiles: ${(e as Error).message}`);
        return;
      }
    }
    this.compiled.delete(crd.metadata.name!);
    this.registry.add(crdResourceDef(crd, validators));
  }

  private onEvent(e: StoreEvent): void {
    if (e.type === "DELETED") {
      const crd = e.obj as CustomResourceDefinition;
      const key = resourceKey(crd.spec.group, crd.spec.names.plural);
      this.registry.remove(crd.spec.group, crd.spec.names.plural);
      // The CRD is gone, so are its objects (kube's customresourcecleanup finalizer).
      for (const o of this.store.list(key))
        this.store.remove(key, o).catch((err: Error) => process.emitWarning(`dev cluster: removing ${o.metadata.name} of deleted CRD ${crd.metadata.name}: ${err.message}`));
      return;
    }
    this.serve(e.obj);
  }

  /** Creates or updates each CRD so the served definition is the one given (idempotent at start-up). */
  async install(crds: CustomResourceDefinition[]): Promise<void> {
    const def = this.registry.byKey(CRDS)!;
    for (const crd of crds) {
      const existing = this.api.find(def, undefined, crd.metadata.name!);
      if (!existing) await this.api.create(def, "v1", undefined, crd);
      else
        await this.api.update(def, "v1", undefined, crd.metadata.name!, {
          ...crd,
          metadata: { ...existing.metadata, labels: crd.metadata.labels, annotations: crd.metadata.annotations },
        });
    }
  }

  stop(): void {
    this.unsubscribe();
  }
}
