// Structural-schema validation, pruning, defaulting and CEL mechanics on small CRDs written for each
// behaviour; messages are compared character for character with kube-apiserver's.
import { describe, expect, it } from "vitest";
import type { CustomResourceDefinition, JSONSchemaProps } from "../../../shared/api/crd.js";
import { errorString } from "./errors.js";
import { compileCrd, CrdCompileError, invalidStatus, type CompiledCrdVersion } from "./index.js";

type Obj = Record<string, unknown>;

function crdOf(spec: JSONSchemaProps, rootExtras: Partial<JSONSchemaProps> = {}): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      names: { plural: "widgets", kind: "Widget" },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, spec },
              ...rootExtras,
            },
          },
        },
      ],
    },
  };
}

function compile(spec: JSONSchemaProps, rootExtras: Partial<JSONSchemaProps> = {}): CompiledCrdVersion {
  return compileCrd(crdOf(spec, rootExtras)).get("v1")!;
}

function widget(spec: unknown, extra: Obj = {}): Obj {
  return { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "default" }, spec, ...extra };
}

/** prune → default → validate, as the API server does on a write; `field: message` lines. */
function write(v: CompiledCrdVersion, obj: Obj, old?: Obj): string[] {
  const next = structuredClone(obj);
  v.prune(next);
  v.default(next);
  return v.validate(next, old).map(errorString);
}

const obj = (properties: Record<string, JSONSchemaProps>, extra: Partial<JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: "object",
  properties,
  ...extra,
});

describe("types", () => {
  const v = compile(
    obj({
      count: { type: "integer" },
      size: { type: "integer", format: "int64" },
      ratio: { type: "number" },
      name: { type: "string" },
      when: { type: "string", format: "date-time" },
      on: { type: "boolean" },
      tags: { type: "array", items: { type: "string" } },
      labels: { type: "object", additionalProperties: { type: "string" } },
      nested: obj({ deep: obj({ n: { type: "integer" } }) }),
    }),
  );

  const cases: Array<[string, Obj, string[]]> = [
    ["a valid object", { count: 1, size: 2, ratio: 0.5, name: "n", when: "2024-01-02T03:04:05Z", on: true, tags: ["a"], labels: { a: "b" } }, []],
    ["1.0 is an integer", { count: 1.0 }, []],
    ["an integer is a number", { ratio: 3 }, []],
    ["string for integer", { count: "string" }, ['spec.count: Invalid value: "string": spec.count in body must be of type integer: "string"']],
    ["fraction for integer", { count: 1.5 }, ['spec.count: Invalid value: "number": spec.count in body must be of type integer: "number"']],
    ["fraction for int64 (format check first)", { size: 1.5 }, ['spec.size: Invalid value: "float64": spec.size in body must be of type int64: "float64"']],
    ["boolean for int64", { size: true }, ['spec.size: Invalid value: "": spec.size in body must be of type int64: ""']],
    ["number for string", { name: 5 }, ['spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"']],
    ["object for boolean", { on: {} }, ['spec.on: Invalid value: "object": spec.on in body must be of type boolean: "object"']],
    ["bad date-time", { when: "yesterday" }, ['spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"']],
    ["number for date-time", { when: 5 }, ['spec.when: Invalid value: "int64": spec.when in body must be of type date-time: "int64"']],
    ["string for array", { tags: "a" }, ['spec.tags: Invalid value: "string": spec.tags in body must be of type array: "string"']],
    ["array item index in the path", { tags: ["a", 2] }, ['spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"']],
    ["map value key in the path", { labels: { x: 1 } }, ['spec.labels.x: Invalid value: "integer": spec.labels.x in body must be of type string: "integer"']],
    ["deep path", { nested: { deep: { n: "x" } } }, ['spec.nested.deep.n: Invalid value: "string": spec.nested.deep.n in body must be of type integer: "string"']],
    ["array for object", { nested: [] }, ['spec.nested: Invalid value: "array": spec.nested in body must be of type object: "array"']],
  ];
  for (const [name, spec, errors] of cases) {
    it(name, () => expect(write(v, widget(spec))).toEqual(errors));
  }

  it("null array items are type errors (only object fields drop nulls)", () => {
    expect(write(v, widget({ tags: ["a", null] }))).toEqual([
      'spec.tags[1]: Invalid value: "null": spec.tags[1] in body must be of type string: "null"',
    ]);
  });

  it("a string where the spec object belongs", () => {
    expect(write(v, widget("text"))).toEqual(['spec: Invalid value: "string": spec in body must be of type object: "string"']);
  });
});

describe("required, enum, pattern, bounds", () => {
  const v = compile(
    obj(
      {
        policy: { type: "string", enum: ["Delete", "Retain"] },
        level: { type: "integer", enum: [1, 2] },
        size: { type: "string", pattern: "^[0-9]+(Gi|Mi)$" },
        code: { type: "string", minLength: 2, maxLength: 4 },
        replicas: { type: "integer", minimum: 1, maximum: 5 },
        weight: { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
        step: { type: "integer", multipleOf: 5 },
        hosts: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 2 },
        source: obj({ a: { type: "string" }, b: { type: "string" } }, { required: ["a"] }),
        few: { type: "object", additionalProperties: { type: "integer" }, maxProperties: 1 },
        many: { type: "object", additionalProperties: { type: "integer" }, minProperties: 2 },
      },
      { required: ["policy", "source"] },
    ),
  );
  const base = { policy: "Delete", source: { a: "x" } };
  const cases: Array<[string, Obj, string[]]> = [
    ["valid", base, []],
    ["missing required fields", {}, ["spec.policy: Required value", "spec.source: Required value"]],
    ["missing nested required field", { ...base, source: { b: "y" } }, ["spec.source.a: Required value"]],
    ["property errors come before the object's required list", { source: { a: 1 } }, [
      'spec.source.a: Invalid value: "integer": spec.source.a in body must be of type string: "integer"',
      "spec.policy: Required value",
    ]],
    ["enum", { ...base, policy: "Keep" }, ['spec.policy: Unsupported value: "Keep": supported values: "Delete", "Retain"']],
    ["numeric enum", { ...base, level: 3 }, ['spec.level: Unsupported value: 3: supported values: "1", "2"']],
    ["pattern", { ...base, size: "10GB" }, [`spec.size: Invalid value: "10GB": spec.size in body should match '^[0-9]+(Gi|Mi)$'`]],
    ["minLength", { ...base, code: "a" }, ['spec.code: Invalid value: "a": spec.code in body should be at least 2 chars long']],
    ["maxLength", { ...base, code: "abcde" }, ["spec.code: Too long: may not be more than 4 bytes"]],
    ["minimum", { ...base, replicas: 0 }, ["spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"]],
    ["maximum", { ...base, replicas: 6 }, ["spec.replicas: Invalid value: 6: spec.replicas in body should be less than or equal to 5"]],
    ["exclusive minimum", { ...base, weight: 0 }, ["spec.weight: Invalid value: 0: spec.weight in body should be greater than 0"]],
    ["exclusive maximum", { ...base, weight: 1 }, ["spec.weight: Invalid value: 1: spec.weight in body should be less than 1"]],
    ["multipleOf", { ...base, step: 7 }, ["spec.step: Invalid value: 7: spec.step in body should be a multiple of 5"]],
    ["minItems", { ...base, hosts: [] }, ["spec.hosts: Invalid value: 0: spec.hosts in body should have at least 1 items"]],
    ["maxItems", { ...base, hosts: ["a", "b", "c"] }, ["spec.hosts: Too many: 3: must have at most 2 items"]],
    ["maxProperties ends the object's checks", { ...base, few: { a: "x", b: 2 } }, ["spec.few: Too many: 2: must have at most 1 items"]],
    ["minProperties", { ...base, many: { a: 1 } }, ["spec.many: Invalid value: 1: spec.many in body should have at least 2 properties"]],
    ["type and enum together", { ...base, policy: 5 }, [
      'spec.policy: Invalid value: "integer": spec.policy in body must be of type string: "integer"',
      'spec.policy: Unsupported value: 5: supported values: "Delete", "Retain"',
    ]],
  ];
  for (const [name, spec, errors] of cases) {
    it(name, () => expect(write(v, widget(spec))).toEqual(errors));
  }
});

describe("allOf, anyOf, oneOf, not", () => {
  const v = compile(
    obj({
      any: { type: "string", anyOf: [{ pattern: "^a" }, { pattern: "^b" }] },
      one: { type: "string", oneOf: [{ pattern: "^a" }, { pattern: "b$" }] },
      all: { type: "string", allOf: [{ minLength: 2 }, { pattern: "^x" }] },
      none: { type: "string", not: { enum: ["forbidden"] } },
      q: { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true },
    }),
  );
  const cases: Array<[string, Obj, string[]]> = [
    ["all satisfied", { any: "a1", one: "a1", all: "xy", none: "ok", q: 1 }, []],
    ["anyOf: no branch matches", { any: "c" }, [
      '<nil>: Invalid value: "": spec.any must validate at least one schema (anyOf)',
      `spec.any: Invalid value: "c": spec.any in body should match '^a'`,
    ]],
    ["oneOf: two branches match", { one: "ab" }, ['<nil>: Invalid value: "": spec.one must validate one and only one schema (oneOf). Found 2 valid alternatives']],
    ["oneOf: none matches", { one: "c" }, [
      '<nil>: Invalid value: "": spec.one must validate one and only one schema (oneOf). Found none valid',
      `spec.one: Invalid value: "c": spec.one in body should match '^a'`,
    ]],
    ["allOf: one branch fails", { all: "y" }, [
      'spec.all: Invalid value: "y": spec.all in body should be at least 2 chars long',
      `spec.all: Invalid value: "y": spec.all in body should match '^x'`,
      '<nil>: Invalid value: "": spec.all must validate all the schemas (allOf). None validated',
    ]],
    ["not: the value matches", { none: "forbidden" }, ['<nil>: Invalid value: "": spec.none must not validate the schema (not)']],
  ];
  for (const [name, spec, errors] of cases) {
    it(name, () => expect(write(v, widget(spec))).toEqual(errors));
  }
});

describe("nullable, int-or-string, preserve-unknown-fields, embedded resources", () => {
  const v = compile(
    obj({
      optional: { type: "string", nullable: true },
      plain: { type: "string" },
      quantity: { "x-kubernetes-int-or-string": true, pattern: "^[0-9]+(Gi)?$" },
      free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      template: {
        type: "object",
        "x-kubernetes-embedded-resource": true,
        properties: { spec: obj({ x: { type: "string" } }) },
      },
    }),
  );

  it("keeps null where the field is nullable and drops it where it is not", () => {
    const o = widget({ optional: null, plain: null });
    v.prune(o);
    v.default(o);
    expect(o.spec).toEqual({ optional: null });
    expect(v.validate(o, undefined)).toEqual([]);
  });

  it("takes RE2 escapes that JavaScript's unicode mode would refuse", () => {
    const w = compile(obj({ id: { type: "string", pattern: "^a\\-b$" } }));
    expect(write(w, widget({ id: "a-b" }))).toEqual([]);
    expect(write(w, widget({ id: "ab" }))).toHaveLength(1);
  });

  it("int-or-string takes either and checks the pattern only on strings", () => {
    expect(write(v, widget({ quantity: 5 }))).toEqual([]);
    expect(write(v, widget({ quantity: "5Gi" }))).toEqual([]);
    expect(write(v, widget({ quantity: "5 GB" }))).toEqual([
      `spec.quantity: Invalid value: "5 GB": spec.quantity in body should match '^[0-9]+(Gi)?$'`,
    ]);
    expect(write(v, widget({ quantity: true }))).toEqual([
      'spec.quantity: Invalid value: "boolean": spec.quantity in body must be of type integer,string: "boolean"',
    ]);
  });

  it("answers a field error, not a crash, for free-form data nested beyond the stack", () => {
    const deep = (): Obj => {
      const top: Obj = {};
      let at = top;
      for (let i = 0; i < 200_000; i++) {
        const next: Obj = {};
        at.x = next;
        at = next;
      }
      return top;
    };
    // Comparing the update with its old version walks the whole free-form subtree.
    expect(v.validate(widget({ free: deep() }), widget({ free: deep() })).map(errorString)).toEqual([
      '<nil>: Invalid value: "": object is nested too deeply',
    ]);
  });

  it("preserve-unknown-fields keeps whatever is under it", () => {
    const o = widget({ free: { anything: { goes: [1, 2] } }, dropped: 1 });
    v.prune(o);
    expect(o.spec).toEqual({ free: { anything: { goes: [1, 2] } } });
  });

  it("embedded resources keep apiVersion, kind and ObjectMeta, and must name apiVersion and kind", () => {
    const o = widget({ template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", bogus: 1 }, spec: { x: "1", y: 2 }, extra: 1 } });
    v.prune(o);
    expect((o.spec as Obj).template).toEqual({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { x: "1" } });
    expect(write(v, widget({ template: { spec: {} } }))).toEqual([
      "spec.template.apiVersion: Required value: must not be empty",
      "spec.template.kind: Required value: must not be empty",
    ]);
  });
});

describe("pruning", () => {
  const v = compile(
    obj({
      keep: { type: "string" },
      child: obj({ a: { type: "string" } }),
      list: { type: "array", items: obj({ b: { type: "string" } }) },
      map: { type: "object", additionalProperties: obj({ c: { type: "string" } }) },
    }),
  );

  it("drops undeclared fields at every level and leaves the root's TypeMeta and metadata alone", () => {
    const o = widget(
      { keep: "k", junk: 1, child: { a: "a", junk: 2 }, list: [{ b: "b", junk: 3 }], map: { k: { c: "c", junk: 4 } } },
      { status: { anything: true }, topJunk: 5 },
    );
    (o.metadata as Obj).labels = { l: "v" };
    (o.metadata as Obj).unknownMetaField = "kept for the server to judge";
    v.prune(o);
    expect(o).toEqual({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "default", labels: { l: "v" }, unknownMetaField: "kept for the server to judge" },
      spec: { keep: "k", child: { a: "a" }, list: [{ b: "b" }], map: { k: { c: "c" } } },
    });
  });
});

describe("defaulting", () => {
  const v = compile(
    obj({
      policy: { type: "string", default: "Delete" },
      settings: obj({ retries: { type: "integer", default: 3 }, mode: { type: "string", default: "fast" } }, { default: {} }),
      items: { type: "array", items: obj({ weight: { type: "integer", default: 1 }, name: { type: "string" } }) },
      byName: { type: "object", additionalProperties: obj({ on: { type: "boolean", default: true } }) },
      nullableWithDefault: { type: "string", nullable: true, default: "d" },
    }),
  );

  it("fills absent fields, nested ones inside defaulted objects too", () => {
    const o = widget({ items: [{ name: "a" }, { name: "b", weight: 5 }], byName: { x: {} } });
    v.default(o);
    expect(o.spec).toEqual({
      policy: "Delete",
      settings: { retries: 3, mode: "fast" },
      items: [{ name: "a", weight: 1 }, { name: "b", weight: 5 }],
      byName: { x: { on: true } },
      nullableWithDefault: "d",
    });
  });

  it("replaces nulls of non-nullable fields with the default, keeps given values and nullable nulls", () => {
    const o = widget({ policy: null, settings: { retries: 0 }, nullableWithDefault: null });
    v.default(o);
    expect(o.spec).toEqual({
      policy: "Delete",
      settings: { retries: 0, mode: "fast" },
      nullableWithDefault: null,
    });
  });

  it("gives every object its own copy of a default", () => {
    const a = widget({});
    const b = widget({});
    v.default(a);
    v.default(b);
    ((a.spec as Obj).settings as Obj).retries = 99;
    expect(((b.spec as Obj).settings as Obj).retries).toBe(3);
  });
});

describe("CEL mechanics", () => {
  it("reports a failed rule without a message as `failed rule: <rule>` and a root rule at <nil>", () => {
    const v = compile(obj({ a: { type: "string" } }), {
      "x-kubernetes-validations": [{ rule: "self.spec.a == 'x'" }],
    });
    expect(write(v, widget({ a: "x" }))).toEqual([]);
    expect(write(v, widget({ a: "y" }))).toEqual(["<nil>: Invalid value: \"object\": failed rule: self.spec.a == 'x'"]);
  });

  it("sees the root's apiVersion, kind and metadata.name", () => {
    const v = compile(obj({}), {
      "x-kubernetes-validations": [{ rule: "self.kind == 'Widget' && self.metadata.name.startsWith('w')", message: "bad name" }],
    });
    expect(write(v, widget({}))).toEqual([]);
    expect(write(v, { ...widget({}), metadata: { name: "x" } })).toEqual(['<nil>: Invalid value: "object": bad name']);
  });

  it("escapes property names as kube does (reserved words, dashes, dots, slashes, underscores)", () => {
    const v = compile(
      obj(
        {
          namespace: { type: "string" },
          "a-b": { type: "string" },
          "x.y": { type: "string" },
          "p/q": { type: "string" },
          "u__v": { type: "string" },
        },
        {
          "x-kubernetes-validations": [
            {
              rule: "self.__namespace__ == 'ns' && self.a__dash__b == '1' && self.x__dot__y == '2' && self.p__slash__q == '3' && self.u__underscores__v == '4'",
              message: "escaped names",
            },
          ],
        },
      ),
    );
    expect(write(v, widget({ namespace: "ns", "a-b": "1", "x.y": "2", "p/q": "3", u__v: "4" }))).toEqual([]);
    expect(write(v, widget({ namespace: "other", "a-b": "1", "x.y": "2", "p/q": "3", u__v: "4" }))).toEqual([
      'spec: Invalid value: "object": escaped names',
    ]);
  });

  it("binds integers as CEL ints, so integer arithmetic works", () => {
    const v = compile(
      obj({ n: { type: "integer" }, r: { type: "number" } }, {
        "x-kubernetes-validations": [
          { rule: "self.n + 1 > 2", message: "n too small" },
          { rule: "!has(self.r) || self.r < 1.5", message: "r too big" },
        ],
      }),
    );
    expect(write(v, widget({ n: 2, r: 1.25 }))).toEqual([]);
    expect(write(v, widget({ n: 1, r: 2 }))).toEqual(['spec: Invalid value: "object": n too small', 'spec: Invalid value: "object": r too big']);
  });

  it("does not evaluate rules on absent or null values", () => {
    const v = compile(
      obj({ s: { type: "string", nullable: true, "x-kubernetes-validations": [{ rule: "self == 'never'", message: "evaluated" }] } }),
    );
    expect(write(v, widget({}))).toEqual([]);
    expect(write(v, widget({ s: null }))).toEqual([]);
    expect(write(v, widget({ s: "x" }))).toEqual(['spec.s: Invalid value: "string": evaluated']);
  });

  it("uses messageExpression, falling back to message when it does not give a usable string", () => {
    const v = compile(
      obj({
        a: { type: "integer", "x-kubernetes-validations": [{ rule: "self < 10", messageExpression: "'a is ' + string(self) + ', want < 10'" }] },
        b: { type: "integer", "x-kubernetes-validations": [{ rule: "self < 10", message: "static", messageExpression: "''" }] },
      }),
    );
    expect(write(v, widget({ a: 12, b: 12 }))).toEqual(['spec.a: Invalid value: "integer": a is 12, want < 10', 'spec.b: Invalid value: "integer": static']);
  });

  it("honours reason and fieldPath", () => {
    const v = compile(
      obj(
        { x: obj({ y: { type: "string" } }), m: { type: "object", additionalProperties: { type: "string" } } },
        {
          "x-kubernetes-validations": [
            { rule: "has(self.x.y)", message: "y is needed", reason: "FieldValueRequired", fieldPath: ".x.y" },
            { rule: "!('bad' in self.m)", message: "no bad key", reason: "FieldValueForbidden", fieldPath: ".m['bad']" },
            { rule: "size(self.m) < 3", reason: "FieldValueDuplicate" },
          ],
        },
      ),
    );
    expect(write(v, widget({ x: {}, m: { bad: "1", b: "2", c: "3" } }))).toEqual([
      "spec.x.y: Required value: y is needed",
      "spec.m[bad]: Forbidden: no bad key",
      'spec: Duplicate value: "object"',
    ]);
  });

  it("words evaluation errors as kube does", () => {
    const v = compile(
      obj({
        s: { type: "string", "x-kubernetes-validations": [{ rule: "self.startsWith(1)", message: "overload" }] },
        o: obj({ a: { type: "string" } }, { "x-kubernetes-validations": [{ rule: "self.a == 'x'" }] }),
      }),
    );
    expect(write(v, widget({ s: "x", o: {} }))).toEqual([
      "spec.s: Invalid value: \"string\": 'no such overload': call arguments did not match a supported operator, function or macro signature for rule: overload",
      "spec.o: Invalid value: \"object\": no such key: a evaluating rule: self.a == 'x'",
    ]);
  });

  it("correlates list-type=map items by key for transition rules, and map values by key", () => {
    const v = compile(
      obj({
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: obj(
            { name: { type: "string" }, port: { type: "integer" } },
            { required: ["name"], "x-kubernetes-validations": [{ rule: "self.port == oldSelf.port", message: "port is immutable" }] },
          ),
        },
        limits: {
          type: "object",
          additionalProperties: { type: "integer", "x-kubernetes-validations": [{ rule: "self >= oldSelf", message: "may only grow" }] },
        },
      }),
    );
    const old = widget({ ports: [{ name: "a", port: 1 }, { name: "b", port: 2 }], limits: { cpu: 2 } });
    // Reordered but unchanged per key, plus a new item and a new map key: nothing to object to.
    expect(write(v, widget({ ports: [{ name: "b", port: 2 }, { name: "a", port: 1 }, { name: "c", port: 9 }], limits: { cpu: 3, mem: 1 } }), old)).toEqual([]);
    expect(write(v, widget({ ports: [{ name: "b", port: 3 }, { name: "a", port: 1 }], limits: { cpu: 1 } }), old)).toEqual([
      'spec.ports[0]: Invalid value: "object": port is immutable',
      'spec.limits[cpu]: Invalid value: "integer": may only grow',
    ]);
  });

  it("tells transition rules by the oldSelf variable, not by the word in a string", () => {
    const v = compile(obj({ s: { type: "string", "x-kubernetes-validations": [{ rule: "self != 'oldSelf'", message: "no" }] } }));
    // Not a transition rule: it runs on create.
    expect(write(v, widget({ s: "oldSelf" }))).toEqual(['spec.s: Invalid value: "string": no']);
  });

  it("evaluates optionalOldSelf rules on create too, with oldSelf an optional", () => {
    const v = compile(
      obj({
        phase: {
          type: "string",
          "x-kubernetes-validations": [
            { rule: "oldSelf.hasValue() ? self == oldSelf.value() : self == 'New'", message: "starts as New, then fixed", optionalOldSelf: true },
          ],
        },
      }),
    );
    expect(write(v, widget({ phase: "New" }))).toEqual([]);
    expect(write(v, widget({ phase: "Done" }))).toEqual(['spec.phase: Invalid value: "string": starts as New, then fixed']);
    expect(write(v, widget({ phase: "Done" }), widget({ phase: "New" }))).toEqual(['spec.phase: Invalid value: "string": starts as New, then fixed']);
    expect(write(v, widget({ phase: "New" }), widget({ phase: "New" }))).toEqual([]);
  });

  it("ratchets: an unchanged value is not re-judged by rules that ignore oldSelf, nor by the schema", () => {
    const v = compile(
      obj({
        name: { type: "string", maxLength: 3, "x-kubernetes-validations": [{ rule: "self != 'bad'", message: "bad name" }] },
        other: { type: "string" },
      }),
    );
    const tooLong = "spec.name: Too long: may not be more than 3 bytes";
    const notChecked =
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
    // Stored under an older, laxer schema, say.
    const stored = widget({ name: "toolong", other: "a" });
    expect(write(v, stored)).toEqual([tooLong, notChecked]);
    const storedBad = widget({ name: "bad", other: "a" });
    expect(write(v, widget({ name: "bad", other: "b" }), storedBad)).toEqual([]);
    expect(write(v, widget({ name: "toolong", other: "b" }), stored)).toEqual([]);
    expect(write(v, widget({ name: "longer", other: "b" }), stored)).toEqual([tooLong, notChecked]);
    expect(write(v, widget({ name: "bad", other: "b" }), stored)).toEqual(['spec.name: Invalid value: "string": bad name']);
  });

  it("skips the rules after a blocking schema error and says so, as kube does", () => {
    const v = compile(
      obj({ a: { type: "string", "x-kubernetes-validations": [{ rule: "self == 'x'" }] }, b: { type: "integer" } }, { required: ["b"] }),
    );
    expect(write(v, widget({ a: "y" }))).toEqual([
      "spec.b: Required value",
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
    // A non-blocking error (pattern-like Invalid) still lets the rules run.
    const w = compile(obj({ a: { type: "string", minLength: 5, "x-kubernetes-validations": [{ rule: "self == 'x'" }] } }));
    expect(write(w, widget({ a: "y" }))).toEqual([
      'spec.a: Invalid value: "y": spec.a in body should be at least 5 chars long',
      "spec.a: Invalid value: \"string\": failed rule: self == 'x'",
    ]);
  });
});

describe("Kubernetes CEL library functions cel-js lacks", () => {
  const v = compile(
    obj(
      { s: { type: "string" }, l: { type: "array", items: { type: "integer" } }, t: { type: "array", items: { type: "string" } } },
      {
        "x-kubernetes-validations": [
          { rule: "self.s.replace('a', 'b') == 'bbc'", message: "replace" },
          { rule: "self.s.replace('a', 'x', 1) == 'xac'", message: "replace n" },
          { rule: "self.s.charAt(1) == 'a'", message: "charAt" },
          { rule: "self.s.find('[bc]+') == 'c'", message: "find" },
          { rule: "self.s.findAll('[a-z]').size() == 3", message: "findAll" },
          { rule: "self.l.isSorted() && self.t.isSorted()", message: "isSorted" },
          { rule: "self.l.sum() == 6 && self.l.min() == 1 && self.l.max() == 3", message: "sum/min/max" },
        ],
      },
    ),
  );

  it("evaluate as kube's do", () => {
    expect(write(v, widget({ s: "aac", l: [1, 2, 3], t: ["a", "b"] }))).toEqual([]);
    expect(write(v, widget({ s: "abc", l: [3, 2, 1], t: ["b", "a"] }))).toEqual([
      'spec: Invalid value: "object": replace n',
      'spec: Invalid value: "object": charAt',
      'spec: Invalid value: "object": find',
      'spec: Invalid value: "object": isSorted',
    ]);
  });
});

describe("list types", () => {
  const v = compile(
    obj({
      tags: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
      ports: {
        type: "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name", "proto"],
        items: obj({ name: { type: "string" }, proto: { type: "string", default: "TCP" }, port: { type: "integer" } }),
      },
    }),
  );

  it("rejects duplicates in sets and duplicate keys in maps", () => {
    expect(write(v, widget({ tags: ["a", "b", "a"], ports: [{ name: "x" }, { name: "x", proto: "TCP", port: 2 }, { name: "x", proto: "UDP" }] }))).toEqual([
      'spec.tags[2]: Duplicate value: "a"',
      'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"x", "proto":"TCP"}',
    ]);
  });

  it("requires map keys that have no default", () => {
    expect(write(v, widget({ ports: [{ port: 1 }] }))).toEqual(["spec.ports[0].name: Required value"]);
  });
});

describe("compileCrd refuses what kube refuses", () => {
  const refuse = (spec: JSONSchemaProps, pattern: RegExp, rootExtras: Partial<JSONSchemaProps> = {}) => {
    expect(() => compile(spec, rootExtras)).toThrow(CrdCompileError);
    expect(() => compile(spec, rootExtras)).toThrow(pattern);
  };

  it("a rule that does not parse", () => {
    refuse(obj({ a: { type: "string", "x-kubernetes-validations": [{ rule: "self ==" }] } }), /properties\[spec\]\.properties\[a\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: "self ==": compilation failed/);
  });

  it("a rule that does not type-check", () => {
    refuse(obj({ a: { type: "string", "x-kubernetes-validations": [{ rule: "has(self)" }] } }), /compilation failed/);
    refuse(obj({ a: { type: "string", "x-kubernetes-validations": [{ rule: "'text'" }] } }), /must evaluate to a bool/);
  });

  it("a rule that selects a field the schema does not declare", () => {
    refuse(
      obj({ a: obj({ b: { type: "string" } }, { "x-kubernetes-validations": [{ rule: "has(self.c)" }] }) }),
      /properties\[a\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: "has\(self\.c\)": compilation failed: undefined field 'c'/,
    );
    refuse(obj({ a: { type: "string" } }, { "x-kubernetes-validations": [{ rule: "self.a.b == 'x'" }] }), /type 'string' does not support field selection/);
    refuse(obj({}), /undefined field 'labels'/, { "x-kubernetes-validations": [{ rule: "has(self.metadata.labels)" }] });
    refuse(obj({ namespace: { type: "string" } }, { "x-kubernetes-validations": [{ rule: "self.namespace == 'x'" }] }), /compilation failed/);
    // Map values, list items, macros' own variables and free-form objects are not second-guessed.
    expect(() =>
      compile(
        obj(
          {
            m: { type: "object", additionalProperties: obj({ v: { type: "string" } }) },
            l: { type: "array", items: obj({ w: { type: "string" } }) },
            free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          },
          {
            "x-kubernetes-validations": [
              { rule: "self.m.all(k, self.m[k].v != '') && self.l.all(i, i.w != '') && self.l[0].w != '' && has(self.free.anything)" },
            ],
          },
        ),
        { "x-kubernetes-validations": [{ rule: "self.metadata.name != '' && self.kind == 'Widget'" }] },
      ),
    ).not.toThrow();
  });

  it("oldSelf under atomic list items, where nothing correlates", () => {
    refuse(
      obj({ l: { type: "array", items: { type: "string", "x-kubernetes-validations": [{ rule: "self == oldSelf" }] } } }),
      /oldSelf cannot be used on the uncorrelatable portion of the schema/,
    );
  });

  it("a fieldPath that names no field, and an unknown reason", () => {
    refuse(obj({ a: { type: "string" } }, { "x-kubernetes-validations": [{ rule: "true", fieldPath: ".b" }] }), /fieldPath: Invalid value: "\.b"/);
    refuse(
      obj({ a: { type: "string" } }, { "x-kubernetes-validations": [{ rule: "true", reason: "Nope" as never }] }),
      /reason: Unsupported value: "Nope"/,
    );
  });

  it("non-structural schemas", () => {
    refuse(obj({ a: {} }), /properties\[a\]\.type: Required value: must not be empty for specified object fields/);
    refuse(obj({ l: { type: "array", items: {} } }), /properties\[l\]\.items\.type: Required value: must not be empty for specified array items/);
    refuse(obj({ a: { type: "string", anyOf: [{ type: "string" }] } }), /properties\[a\]\.anyOf\[0\]\.type: Forbidden: must be empty to be structural/);
    refuse(obj({ a: { type: "string", oneOf: [{ pattern: "^a", description: "d" }] } }), /oneOf\[0\]\.description: Forbidden: must be empty to be structural/);
    refuse(obj({ a: { type: "object", properties: { metadata: { type: "object" } }, not: { properties: { metadata: { maxProperties: 1 } } } } }), /not\.properties\[metadata\]: Forbidden: must not be specified in a nested context/);
    refuse(obj({ e: { type: "object", "x-kubernetes-embedded-resource": true } }), /properties\[e\]\.properties: Required value/);
    refuse(obj({ a: { type: "string", pattern: "(" } }), /properties\[a\]\.pattern: Invalid value: "\(": must be a valid regular expression/);
    refuse(obj({ a: { type: "array" } }), /properties\[a\]\.items: Required value/);
    refuse(
      obj({ a: { type: "object", properties: { b: { type: "string" } }, additionalProperties: { type: "string" } } }),
      /additionalProperties and properties are mutual exclusive/,
    );
    refuse(obj({ a: { type: "string", uniqueItems: true } }), /uniqueItems cannot be set to true/);
    refuse(obj({ a: { type: "string", ...({ $ref: "#/x" } as object) } }), /\$ref: Forbidden: \$ref is not supported/);
  });

  it("root metadata with more than name and generateName, and a root that is not an object", () => {
    const crd = crdOf(obj({}));
    crd.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.metadata = { type: "object", properties: { labels: { type: "object" } } };
    expect(() => compileCrd(crd)).toThrow(/must not specify anything other than name and generateName/);
    const notObject = crdOf(obj({}));
    notObject.spec.versions[0]!.schema!.openAPIV3Schema!.type = "string";
    expect(() => compileCrd(notObject)).toThrow(/must be object at the root/);
  });

  it("accepts controller-gen's int-or-string shape (anyOf integer/string)", () => {
    const v = compile(obj({ q: { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true } }));
    expect(write(v, widget({ q: "1Gi" }))).toEqual([]);
    expect(write(v, widget({ q: 5 }))).toEqual([]);
  });

  it("a default that does not satisfy its schema", () => {
    refuse(obj({ a: { type: "integer", default: "three" } }), /properties\[a\]\.default: Invalid value: "three"/);
  });

  it("a missing schema", () => {
    const crd = crdOf(obj({}));
    delete crd.spec.versions[0]!.schema;
    expect(() => compileCrd(crd)).toThrow(/spec\.versions\[0\]\.schema\.openAPIV3Schema: Required value/);
  });
});

describe("invalidStatus", () => {
  const one = { type: "FieldValueInvalid" as const, field: "spec.source", message: 'Invalid value: "object": one of them' };
  const two = { type: "FieldValueRequired" as const, field: "spec.b", message: "Required value" };

  it("builds kube's 422 for one error, without brackets", () => {
    expect(invalidStatus("VolumeSnapshot", "snapshot.storage.k8s.io", "snap1", [one])).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'VolumeSnapshot.snapshot.storage.k8s.io "snap1" is invalid: spec.source: Invalid value: "object": one of them',
      reason: "Invalid",
      details: {
        name: "snap1",
        group: "snapshot.storage.k8s.io",
        kind: "VolumeSnapshot",
        causes: [{ reason: "FieldValueInvalid", message: 'Invalid value: "object": one of them', field: "spec.source" }],
      },
      code: 422,
    });
  });

  it("says only `is invalid` when there is no field error to name", () => {
    expect(invalidStatus("Widget", "example.com", "w", []).message).toBe('Widget.example.com "w" is invalid');
  });

  it("brackets several errors, drops repeated messages, and leaves out an empty group", () => {
    const status = invalidStatus("Widget", "", "w", [one, two, one]);
    expect(status.message).toBe('Widget "w" is invalid: [spec.source: Invalid value: "object": one of them, spec.b: Required value]');
    expect(status.details).toEqual({
      name: "w",
      kind: "Widget",
      causes: [
        { reason: "FieldValueInvalid", message: 'Invalid value: "object": one of them', field: "spec.source" },
        { reason: "FieldValueRequired", message: "Required value", field: "spec.b" },
        { reason: "FieldValueInvalid", message: 'Invalid value: "object": one of them', field: "spec.source" },
      ],
    });
  });
});
