// The audit record every function answer carries (as a binary-mode CloudEvent reply), and the
// HTTP status each outcome maps to (DESIGN "Event contract": 2xx done, 409/429/5xx redeliver,
// 400/413/415/422 dead-letter). The dispatcher publishes the reply to SNAPFLOW_AUDIT as it is.
import { randomUUID } from "node:crypto";
import type { GatewayCallRecord } from "./types.js";

/** Finer than the three CloudEvent type suffixes: what exactly happened. */
export type AuditOutcome =
  | "done" // 200, did something
  | "nothing" // 200, nothing to do (includes: object gone, UID mismatch)
  | "requeue" // 503 + Retry-After: look again later
  | "conflict" // 409: optimistic-concurrency conflict, redeliver
  | "throttled" // 429: the API server asked to slow down
  | "error" // 500: unexpected failure, redeliver with back-off
  | "invalid" // 422: can never succeed (function said so, unknown cluster, wrong resource)
  | "malformed" // 400: not a valid snapflow CloudEvent
  | "too-large" // 413
  | "unsupported"; // 415

/** dev.snapflow.audit.<function>.<verdict> */
export type AuditVerdict = "succeeded" | "failed" | "retried";

export const OUTCOME_STATUS: Record<AuditOutcome, number> = {
  done: 200,
  nothing: 200,
  requeue: 503,
  conflict: 409,
  throttled: 429,
  error: 500,
  invalid: 422,
  malformed: 400,
  "too-large": 413,
  unsupported: 415,
};

export function verdictOf(outcome: AuditOutcome): AuditVerdict {
  const status = OUTCOME_STATUS[outcome];
  if (status < 300) return "succeeded";
  return status === 409 || status === 429 || status >= 500 ? "retried" : "failed";
}

/** Which outcome wins when one event reconciles several targets: anything to redeliver beats a final answer. */
const SEVERITY: AuditOutcome[] = ["nothing", "done", "invalid", "requeue", "conflict", "throttled", "error"];

export function worstOutcome(a: AuditOutcome, b: AuditOutcome): AuditOutcome {
  return SEVERITY.indexOf(a) >= SEVERITY.indexOf(b) ? a : b;
}

export interface TargetRecord {
  resource: string;
  namespace?: string;
  name: string;
  uid?: string;
  outcome: AuditOutcome;
  did: string[];
  message?: string;
}

export interface AuditRecord {
  function: string;
  cluster: string;
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  eventId?: string;
  eventType?: string;
  outcome: AuditOutcome;
  verdict: AuditVerdict;
  /** The HTTP status of the answer. */
  status: number;
  did: string[];
  gatewayCalls: GatewayCallRecord[];
  /** Kubernetes Events recorded while handling the event (reasons only). */
  events: { type: string; reason: string }[];
  /** One entry per reconciled object (several when the function fans out). */
  targets: TargetRecord[];
  /** Which delivery of the event this was (the dispatcher's x-snapflow-delivery header), when known. */
  delivery?: number;
  /** For requeue / throttled answers. */
  retryAfterMs?: number;
  durationMs: number;
  message?: string;
  /** RFC 3339. */
  time: string;
}

export const AUDIT_TYPE_PREFIX = "dev.snapflow.audit.";

export function auditType(fn: string, verdict: AuditVerdict): string {
  return `${AUDIT_TYPE_PREFIX}${fn}.${verdict}`;
}

export function auditSource(cluster: string, fn: string): string {
  return `/clusters/${cluster}/functions/${fn}`;
}

/** Cluster name used in the audit source when the request never said which cluster it was about. */
export const UNKNOWN_CLUSTER = "unknown";

/**
 * The reply's ce-* headers (binary mode). Only ASCII-safe values go in headers; the rest of the
 * record is the JSON body. Header values are percent-encoded per the HTTP binding where needed.
 */
export function auditHeaders(record: AuditRecord): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "ce-specversion": "1.0",
    "ce-id": randomUUID(),
    "ce-source": encodeHeader(auditSource(record.cluster, record.function)),
    "ce-type": encodeHeader(auditType(record.function, record.verdict)),
    "ce-time": record.time,
    "ce-cluster": encodeHeader(record.cluster),
    "ce-function": encodeHeader(record.function),
    "ce-outcome": record.outcome,
  };
  if (record.uid) headers["ce-subject"] = encodeHeader(record.uid);
  if (record.namespace) headers["ce-namespace"] = encodeHeader(record.namespace);
  if (record.name) headers["ce-name"] = encodeHeader(record.name);
  if (record.eventId) headers["ce-eventid"] = encodeHeader(record.eventId);
  return headers;
}

/** Percent-encodes what the CloudEvents HTTP binding says must be (space, ", %, and non-printable/non-ASCII). */
function encodeHeader(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    if (byte <= 0x20 || byte >= 0x7f || byte === 0x22 || byte === 0x25) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/**
 * The runtime's own Response class: @hono/node-server replaces the global Response with a subclass
 * of it (its lightweight Response) once a server is created in the process.
 */
function nativeResponseClass(): typeof Response {
  let R: typeof Response = globalThis.Response;
  for (let parent = Object.getPrototypeOf(R) as unknown; typeof parent === "function" && parent !== Function.prototype; parent = Object.getPrototypeOf(parent)) {
    R = parent as typeof Response;
  }
  return R;
}

const NativeResponse = nativeResponseClass();

const utf8 = new TextEncoder();

function unusable(): TypeError {
  return new TypeError("Body is unusable: Body has already been read");
}

/**
 * The audit reply as a Response that costs nothing until it is read, and little when it is: status,
 * headers and the body (text, json, arrayBuffer) are served from what the framework built, with no
 * body stream. Everything else (body, blob, formData, clone, ...) is answered by a native Response,
 * made once on first use. An instance of the global Response (the native class, or a subclass of it).
 */
class AuditResponse {
  readonly #status: number;
  readonly #text: string;
  readonly #init: Record<string, string>;
  #headers: Headers | undefined;
  #native: Response | undefined;
  #used = false;

  constructor(text: string, status: number, headers: Record<string, string>) {
    this.#text = text;
    this.#status = status;
    this.#init = headers;
  }

  /** The native Response standing in for this one from now on (its body unread unless ours was). */
  #real(): Response {
    return (this.#native ??= new NativeResponse(this.#used ? null : this.#text, { status: this.#status, headers: this.headers }));
  }

  #take(): string {
    if (this.#used) throw unusable();
    this.#used = true;
    return this.#text;
  }

  get status(): number {
    return this.#status;
  }
  get ok(): boolean {
    return this.#status >= 200 && this.#status < 300;
  }
  get statusText(): string {
    return this.#native?.statusText ?? "";
  }
  get headers(): Headers {
    return this.#native?.headers ?? (this.#headers ??= new Headers(this.#init));
  }
  get type(): Response["type"] {
    return this.#native?.type ?? "default";
  }
  get url(): string {
    return this.#native?.url ?? "";
  }
  get redirected(): boolean {
    return this.#native?.redirected ?? false;
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.#real().body;
  }
  get bodyUsed(): boolean {
    return this.#used || (this.#native?.bodyUsed ?? false);
  }
  text(): Promise<string> {
    if (this.#native) return this.#native.text();
    try {
      return Promise.resolve(this.#take());
    } catch (err) {
      return Promise.reject(err);
    }
  }
  json(): Promise<unknown> {
    if (this.#native) return this.#native.json();
    try {
      return Promise.resolve(JSON.parse(this.#take()) as unknown);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#native) return this.#native.arrayBuffer();
    try {
      return Promise.resolve(utf8.encode(this.#take()).buffer as ArrayBuffer);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  blob(): Promise<Blob> {
    return this.#real().blob();
  }
  formData(): Promise<FormData> {
    return this.#real().formData();
  }
  clone(): Response {
    return this.#real().clone();
  }
  /** For a server that can write a plain body and header record itself (see server.ts). */
  plain(): { status: number; body: string; headers: Record<string, string> } | undefined {
    return this.#native || this.#headers || this.#used ? undefined : { status: this.#status, body: this.#text, headers: this.#init };
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Response (audit) ${JSON.stringify({ status: this.#status, headers: this.#init, bodyUsed: this.bodyUsed })}`;
  }
}
Object.setPrototypeOf(AuditResponse.prototype, NativeResponse.prototype);

/** The audit reply (the record's JSON, its status and binary-mode ce-* headers) as a Response. */
export function auditResponse(json: string, status: number, headers: Record<string, string>): Response {
  return new AuditResponse(json, status, headers) as unknown as Response;
}

/** The reply's status, body and headers as built, when nothing has read or changed it yet. */
export function plainAuditResponse(response: Response): { status: number; body: string; headers: Record<string, string> } | undefined {
  return response instanceof AuditResponse ? response.plain() : undefined;
}
