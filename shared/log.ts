// JSON-lines logging (pino) that cannot leak secrets: every logged object is walked and anything
// secret-like is replaced by "[REDACTED]" before it is written — keys such as token, password,
// authorization, secrets, and the data/stringData of Secret objects — and message strings are
// scrubbed of bearer tokens and key=value credentials. (DESIGN: secret values never reach logs.)
import pino, { type DestinationStream, type Logger as PinoLogger } from "pino";

export const REDACTED = "[REDACTED]";

/** Key names whose values are always secret, compared case-insensitively without - and _. */
const SECRET_KEYS = new Set([
  "secret",
  "secrets",
  "token",
  "tokens",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "bearertoken",
  "password",
  "passwd",
  "passphrase",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "apikey",
  "secretaccesskey",
  "sessiontoken",
  "privatekey",
  "clientkey",
  "clientkeydata",
  "keydata",
  "credentials",
]);

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);
const MAX_DEPTH = 12;

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ""));
}

function isSecretObject(value: Record<string, unknown>): boolean {
  return value.kind === "Secret" && (value.apiVersion === "v1" || value.apiVersion === undefined);
}

/**
 * A copy of `value` with secret-like content replaced. Cycles and depth beyond a bound are cut
 * rather than followed; Errors keep name, message (scrubbed) and stack.
 */
export function sanitize(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Truncated]";
  seen.add(value);
  try {
    if (value instanceof Error) {
      const out: Record<string, unknown> = { type: value.name, message: redactText(value.message) };
      if (value.stack) out.stack = redactText(value.stack);
      for (const [k, v] of Object.entries(value)) if (!(k in out)) out[k] = isSecretKey(k) ? REDACTED : sanitize(v, depth + 1, seen);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1, seen));
    if (value instanceof Date) return value;
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    const record = value as Record<string, unknown>;
    const secretObject = isSecretObject(record);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      if (isSecretKey(k) || (secretObject && (k === "data" || k === "stringData"))) out[k] = v === undefined ? v : REDACTED;
      else out[k] = sanitize(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // Authorization header values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // key=value / key: value credentials in free text (query strings, error messages, CLI lines).
  [/\b(token|password|passwd|secret|api[_-]?key|access[_-]?key|secret[_-]?access[_-]?key|session[_-]?token)(["']?\s*[=:]\s*["']?)[^\s"'&,;}]+/gi, `$1$2${REDACTED}`],
  // AWS access key ids.
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // PEM blocks (private keys, certificates with keys).
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
];

/**
 * Matches wherever any TEXT_PATTERNS could (case-insensitive, so a superset): most logged strings are
 * names and UIDs, and one scan that finds nothing is cheaper than four replaces that find nothing.
 */
const MIGHT_HOLD_CREDENTIALS = /bearer|basic|token|passw|secret|api[_-]?key|access[_-]?key|akia|asia|private key/i;

/** Free text with credentials scrubbed; used for log messages and error texts that leave a process. */
export function redactText(text: string): string {
  if (!MIGHT_HOLD_CREDENTIALS.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export interface LoggerOptions {
  /** Component name, logged as `name`. */
  name?: string;
  /** Default: SNAPFLOW_LOG_LEVEL, then LOG_LEVEL, then "info". */
  level?: string;
  /** Default: stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
  /** Fields logged on every line. */
  base?: Record<string, unknown>;
}

export type Log = PinoLogger;

export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const wanted = (env.SNAPFLOW_LOG_LEVEL ?? env.LOG_LEVEL ?? "info").toLowerCase();
  return LEVELS.has(wanted) ? wanted : "info";
}

export function createLogger(options: LoggerOptions = {}): Log {
  const level = options.level && LEVELS.has(options.level) ? options.level : levelFromEnv();
  return pino(
    {
      name: options.name,
      level,
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => sanitize(object) as Record<string, unknown>,
      },
      hooks: {
        // Scrub the message strings too: `log.info(obj, "...token=abc")` must not leak either.
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === "string" ? redactText(a) : a)) as Parameters<typeof method>;
          method.apply(this, cleaned);
        },
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
