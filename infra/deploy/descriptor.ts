// serverless.yml: the one description of snapflow's functions (what each consumes, how it scales,
// which API verbs it needs). Loaded and validated here; the renderers, the deploy command and the
// tests that hold code and descriptor together all read it through this module.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";

export const RBAC_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"] as const;
export type RbacVerb = (typeof RBAC_VERBS)[number];

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: RbacVerb[];
}

export interface FunctionSpec {
  name: string;
  /** `<module path from the repository root, no extension>.<export name>`. */
  handler: string;
  description: string;
  resources: ResourceName[];
  /** Per resource, the event verbs delivered when not all of them (`events[].verbs`). */
  verbs: Partial<Record<ResourceName, ObjectVerbName[]>>;
  concurrency: number;
  timeoutSeconds: number;
  scale: { min: number; max: number };
  environment: Record<string, string>;
  rbac: RbacRule[];
}

export interface Descriptor {
  service: string;
  provider: {
    image: string;
    /** The image with OpenFaaS's of-watchdog in front (infra/deploy/Dockerfile --target openfaas). */
    openfaasImage?: string;
    namespace: string;
    clusterName: string;
    logLevel: string;
    nats: { url: string; streamReplicas: number };
    delivery: { retry: number; backoffPolicy: "linear" | "exponential"; backoffDelay: string; ackWaitSeconds: number };
  };
  gateway: {
    port: number;
    driver: { name: string; image: string; args: string[]; timeoutSeconds: number };
  };
  watcher: { resync: string };
  dispatcher: { replicas: number };
  /** In the order serverless.yml lists them. */
  functions: FunctionSpec[];
}

export const OBJECT_VERBS = ["added", "modified", "deleted", "resynced"] as const;
export type ObjectVerbName = (typeof OBJECT_VERBS)[number];

/** The verbs of a resource's events a function is delivered. */
export function verbsOf(fn: Pick<FunctionSpec, "verbs">, resource: ResourceName): readonly ObjectVerbName[] {
  return fn.verbs[resource] ?? OBJECT_VERBS;
}

/** CloudEvents types a function consumes (DESIGN "Event contract"). */
export function eventTypes(fn: Pick<FunctionSpec, "resources" | "verbs">): string[] {
  return fn.resources.flatMap((r) => verbsOf(fn, r).map((v) => `dev.snapflow.k8s.${r}.${v}`));
}

/** NATS subjects a function consumes in one cluster. */
export function eventSubjects(fn: Pick<FunctionSpec, "resources">, cluster: string): string[] {
  return fn.resources.map((r) => `snapflow.${cluster}.k8s.${r}.*`);
}

export class DescriptorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DescriptorError";
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HANDLER = /^[a-z0-9_-]+(\/[A-Za-z0-9_-]+)+\.[A-Za-z_$][A-Za-z0-9_$]*$/;
const ISO_DURATION = /^PT(\d+(\.\d+)?S|\d+M(\d+(\.\d+)?S)?)$/;
const GO_DURATION = /^(\d+(ms|s|m|h))+$/;
const API_GROUP = /^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const RBAC_RESOURCE = /^[a-z0-9]+(\/[a-z]+)?$/;

type Obj = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new DescriptorError(`serverless.yml: ${path}: ${message}`);
}

function object(value: unknown, path: string, allowed: readonly string[]): Obj {
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(path, "must be a mapping");
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown key (allowed: ${allowed.join(", ")})`);
  return value as Obj;
}

function string(o: Obj, key: string, path: string, pattern?: RegExp, hint?: string): string {
  const value = o[key];
  if (typeof value !== "string" || value === "") fail(`${path}.${key}`, "required, a non-empty string");
  if (pattern && !pattern.test(value)) fail(`${path}.${key}`, `"${value}" ${hint ?? `must match ${pattern}`}`);
  return value;
}

function integer(o: Obj, key: string, path: string, min: number, max: number): number {
  const value = o[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) fail(`${path}.${key}`, `required, an integer from ${min} to ${max}`);
  return value;
}

function stringList(value: unknown, path: string, pattern: RegExp, hint: string, allowEmptyString = false): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(path, "required, a non-empty list");
  return value.map((item, i) => {
    if (typeof item !== "string" || (!allowEmptyString && item === "") || !pattern.test(item)) fail(`${path}[${i}]`, `${JSON.stringify(item)} ${hint}`);
    return item;
  });
}

function rbacRules(value: unknown, path: string): RbacRule[] {
  if (!Array.isArray(value)) fail(path, "required, a list of rules");
  return value.map((raw, i) => {
    const p = `${path}[${i}]`;
    const r = object(raw, p, ["apiGroups", "resources", "verbs"]);
    const verbs = stringList(r.verbs, `${p}.verbs`, /^[a-z]+$/, "is not a verb") as RbacVerb[];
    verbs.forEach((v, j) => {
      if (!(RBAC_VERBS as readonly string[]).includes(v)) fail(`${p}.verbs[${j}]`, `"${v}" is not one of ${RBAC_VERBS.join(", ")}`);
      if (verbs.indexOf(v) !== j) fail(`${p}.verbs[${j}]`, `"${v}" listed twice`);
    });
    return {
      apiGroups: stringList(r.apiGroups, `${p}.apiGroups`, API_GROUP, "is not an API group (\"\" is core)", true),
      resources: stringList(r.resources, `${p}.resources`, RBAC_RESOURCE, "is not a resource (plural[/subresource])"),
      verbs,
    };
  });
}

function environment(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const env = object(value, path, Object.keys(value as Obj));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k)) fail(`${path}.${k}`, "is not an environment variable name");
    if (typeof v !== "string") fail(`${path}.${k}`, "must be a string (quote numbers and booleans)");
    out[k] = v;
  }
  return out;
}

function eventVerbs(raw: unknown, path: string): ObjectVerbName[] {
  if (!Array.isArray(raw) || raw.length === 0) fail(path, `a non-empty list of ${OBJECT_VERBS.join(", ")}`);
  const list = raw as unknown[];
  list.forEach((v, i) => {
    if (typeof v !== "string" || !(OBJECT_VERBS as readonly string[]).includes(v)) fail(`${path}[${i}]`, `"${String(v)}" is not one of ${OBJECT_VERBS.join(", ")}`);
    if (list.indexOf(v) !== i) fail(`${path}[${i}]`, `"${v}" listed twice`);
  });
  return list as ObjectVerbName[];
}

function functionSpec(name: string, raw: unknown): FunctionSpec {
  const path = `functions.${name}`;
  if (!DNS_LABEL.test(name)) fail(path, "function names are lower-case alphanumerics and '-' (a DNS label)");
  const f = object(raw, path, ["handler", "description", "events", "concurrency", "timeout", "scale", "environment", "rbac"]);
  const events = f.events;
  if (!Array.isArray(events) || events.length === 0) fail(`${path}.events`, "required, a non-empty list of { resource: <plural>, verbs?: [...] }");
  const verbs: FunctionSpec["verbs"] = {};
  const resources = events.map((e, i) => {
    const ev = object(e, `${path}.events[${i}]`, ["resource", "verbs"]);
    const resource = string(ev, "resource", `${path}.events[${i}]`);
    if (!Object.hasOwn(RESOURCES, resource)) fail(`${path}.events[${i}].resource`, `unknown resource "${resource}" (known: ${Object.keys(RESOURCES).join(", ")})`);
    if (ev.verbs !== undefined) verbs[resource as ResourceName] = eventVerbs(ev.verbs, `${path}.events[${i}].verbs`);
    return resource as ResourceName;
  });
  resources.forEach((r, i) => {
    if (resources.indexOf(r) !== i) fail(`${path}.events[${i}]`, `resource "${r}" listed twice`);
  });
  const scale = object(f.scale, `${path}.scale`, ["min", "max"]);
  const min = integer(scale, "min", `${path}.scale`, 0, 1000);
  const max = integer(scale, "max", `${path}.scale`, 1, 1000);
  if (min > max) fail(`${path}.scale`, `min ${min} is above max ${max}`);
  return {
    name,
    handler: string(f, "handler", path, HANDLER, "must be <module path>.<export>, e.g. functions/bind/index.bindFunction"),
    description: typeof f.description === "string" ? f.description : "",
    resources,
    verbs,
    concurrency: integer(f, "concurrency", path, 1, 1000),
    timeoutSeconds: integer(f, "timeout", path, 1, 3600),
    scale: { min, max },
    environment: environment(f.environment, `${path}.environment`),
    rbac: rbacRules(f.rbac, `${path}.rbac`),
  };
}

/** Validates a parsed serverless.yml; every problem names its path. */
export function parseDescriptor(doc: unknown): Descriptor {
  const top = object(doc, "(top)", ["service", "provider", "gateway", "watcher", "dispatcher", "functions"]);
  const provider = object(top.provider, "provider", ["image", "openfaasImage", "namespace", "clusterName", "logLevel", "nats", "delivery"]);
  const nats = object(provider.nats, "provider.nats", ["url", "streamReplicas"]);
  const delivery = object(provider.delivery, "provider.delivery", ["retry", "backoffPolicy", "backoffDelay", "ackWaitSeconds"]);
  const backoffPolicy = string(delivery, "backoffPolicy", "provider.delivery", /^(linear|exponential)$/, "must be linear or exponential");
  const gateway = object(top.gateway, "gateway", ["port", "driver"]);
  const driver = object(gateway.driver, "gateway.driver", ["name", "image", "args", "timeoutSeconds"]);
  const watcher = object(top.watcher, "watcher", ["resync"]);
  const dispatcher = object(top.dispatcher, "dispatcher", ["replicas"]);
  const natsUrl = string(nats, "url", "provider.nats");
  if (/\/\/[^/]*@/.test(natsUrl)) fail("provider.nats.url", "must not carry credentials: they belong in the snapflow-nats Secret");
  const functions = object(top.functions, "functions", Object.keys((top.functions as Obj) ?? {}));
  if (Object.keys(functions).length === 0) fail("functions", "no functions described");
  const args = driver.args === undefined ? [] : driver.args;
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) fail("gateway.driver.args", "must be a list of strings");
  return {
    service: string(top, "service", "(top)", DNS_LABEL, "must be a DNS label"),
    provider: {
      image: string(provider, "image", "provider"),
      ...(provider.openfaasImage === undefined ? {} : { openfaasImage: string(provider, "openfaasImage", "provider") }),
      namespace: string(provider, "namespace", "provider", DNS_LABEL, "must be a DNS label"),
      clusterName: string(provider, "clusterName", "provider", TOKEN, "must be letters, digits, '-' and '_'"),
      logLevel: string(provider, "logLevel", "provider", /^(trace|debug|info|warn|error|fatal|silent)$/, "must be a pino level"),
      nats: { url: natsUrl, streamReplicas: integer(nats, "streamReplicas", "provider.nats", 1, 5) },
      delivery: {
        retry: integer(delivery, "retry", "provider.delivery", 0, 100),
        backoffPolicy: backoffPolicy as "linear" | "exponential",
        backoffDelay: string(delivery, "backoffDelay", "provider.delivery", ISO_DURATION, "must be an ISO 8601 duration such as PT0.5S"),
        ackWaitSeconds: integer(delivery, "ackWaitSeconds", "provider.delivery", 1, 3600),
      },
    },
    gateway: {
      port: integer(gateway, "port", "gateway", 1, 65535),
      driver: {
        name: string(driver, "name", "gateway.driver", /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a CSI driver name"),
        image: string(driver, "image", "gateway.driver"),
        args: args as string[],
        timeoutSeconds: integer(driver, "timeoutSeconds", "gateway.driver", 1, 3600),
      },
    },
    watcher: { resync: string(watcher, "resync", "watcher", GO_DURATION, "must be a duration such as 10m") },
    dispatcher: { replicas: integer(dispatcher, "replicas", "dispatcher", 1, 100) },
    functions: Object.entries(functions).map(([name, raw]) => functionSpec(name, raw)),
  };
}

export function parseDescriptorYaml(text: string): Descriptor {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new DescriptorError(`serverless.yml: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  return parseDescriptor(doc);
}

/** serverless.yml at the repository root (this file lives in infra/deploy/). */
export const DEFAULT_DESCRIPTOR_PATH = new URL("../../serverless.yml", import.meta.url);

export function loadDescriptor(path: string | URL = DEFAULT_DESCRIPTOR_PATH): Descriptor {
  return parseDescriptorYaml(readFileSync(path, "utf8"));
}

/** The module (relative to the repository root, with .js) and export a handler names. */
export function handlerModule(handler: string): { module: string; exportName: string } {
  const dot = handler.lastIndexOf(".");
  return { module: `${handler.slice(0, dot)}.js`, exportName: handler.slice(dot + 1) };
}
