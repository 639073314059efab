// The aws-ebs entry of the gateway's YAML, checked key by key. Credentials are deliberately not a
// config key: they come from the standard AWS provider chain (env, shared files, web identity,
// container/instance roles), so the YAML never holds a secret.
import { invalidTagReason } from "./tags.js";

export interface RetrySettings {
  /** Attempts per EC2 call, the first included. */
  maxAttempts: number;
  /** Ceiling of the first back-off; doubles per retry (full jitter: a uniform pick below the ceiling). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once this much time has passed since the first attempt. */
  budgetMs: number;
  /** EC2 wants at least this long between two snapshots of one volume. */
  snapshotIntervalMs: number;
}

export interface PollSettings {
  /** First wait between two looks at a volume being created or modified; doubles up to maxIntervalMs. */
  intervalMs: number;
  maxIntervalMs: number;
  /** Longest wait for a volume to become available or a modification to reach optimizing. */
  timeoutMs: number;
}

export interface AwsEbsConfig {
  region?: string;
  endpoint?: string;
  clusterName?: string;
  tags: Record<string, string>;
  /** Zone for volumes whose request names none (no topology, no parameter). */
  availabilityZone?: string;
  retry: RetrySettings;
  poll: PollSettings;
  /** pino level of the backend's own lines (retries, creations); default SNAPFLOW_LOG_LEVEL, then info. */
  logLevel?: string;
}

export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  budgetMs: 20_000,
  snapshotIntervalMs: 15_000,
};

// Kept well inside the gateway client's 90 s call timeout, so a slow volume answers DEADLINE_EXCEEDED (retryable) first.
export const DEFAULT_POLL: PollSettings = { intervalMs: 1_000, maxIntervalMs: 5_000, timeoutMs: 60_000 };

export class AwsEbsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AwsEbsConfigError";
  }
}

const KEYS = ["backend", "region", "endpoint", "clusterName", "tags", "availabilityZone", "retry", "poll", "logLevel"] as const;
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
const CREDENTIAL_KEYS = new Set(["accesskeyid", "secretaccesskey", "sessiontoken", "credentials", "aws_access_key_id", "aws_secret_access_key"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(entry: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = entry[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new AwsEbsConfigError(`${where}.${key}: must be a non-empty string`);
  return value.trim();
}

function numbers<T extends object>(raw: unknown, defaults: T, where: string, min: Partial<Record<keyof T, number>>): T {
  if (raw === undefined) return { ...defaults };
  if (!isRecord(raw)) throw new AwsEbsConfigError(`${where}: must be a mapping of ${Object.keys(defaults).join(", ")}`);
  const out = { ...defaults } as Record<string, number>;
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(defaults, key)) {
      throw new AwsEbsConfigError(`${where}: unknown key "${key}" (expected ${Object.keys(defaults).join(", ")})`);
    }
    const floor = (min as Record<string, number | undefined>)[key] ?? 0;
    if (typeof value !== "number" || !Number.isInteger(value) || value < floor) {
      throw new AwsEbsConfigError(`${where}.${key}: must be an integer of at least ${floor}`);
    }
    out[key] = value;
  }
  return out as T;
}

/** Validates one driver entry; every error names the driver and the key. */
export function parseAwsEbsConfig(driverName: string, entry: Record<string, unknown>): AwsEbsConfig {
  const where = `drivers."${driverName}"`;
  for (const key of Object.keys(entry)) {
    if (CREDENTIAL_KEYS.has(key.toLowerCase())) {
      // The value is not echoed: it may be a real credential.
      throw new AwsEbsConfigError(
        `${where}.${key}: credentials are not read from the gateway config; use the AWS provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity or an instance/pod role)`,
      );
    }
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new AwsEbsConfigError(`${where}: unknown key "${key}" for backend aws-ebs (expected ${KEYS.join(", ")})`);
    }
  }

  const endpoint = optionalString(entry, "endpoint", where);
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new AwsEbsConfigError(`${where}.endpoint: not a URL: ${JSON.stringify(endpoint)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new AwsEbsConfigError(`${where}.endpoint: must be an http:// or https:// URL`);
    }
    if (url.username || url.password) throw new AwsEbsConfigError(`${where}.endpoint: must not carry user info`);
  }

  const tags: Record<string, string> = {};
  if (entry.tags !== undefined) {
    if (!isRecord(entry.tags)) throw new AwsEbsConfigError(`${where}.tags: must be a mapping of tag key to string value`);
    for (const [key, value] of Object.entries(entry.tags)) {
      if (typeof value !== "string") throw new AwsEbsConfigError(`${where}.tags."${key}": value must be a string`);
      const reason = invalidTagReason(key, value);
      if (reason) throw new AwsEbsConfigError(`${where}.tags: ${reason}`);
      tags[key] = value;
    }
  }

  const clusterName = optionalString(entry, "clusterName", where);
  if (clusterName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(clusterName)) {
    throw new AwsEbsConfigError(`${where}.clusterName: letters, digits, ".", "_" and "-" only, at most 100 characters`);
  }

  const retry = numbers(entry.retry, DEFAULT_RETRY, `${where}.retry`, { maxAttempts: 1 });
  if (retry.maxDelayMs < retry.baseDelayMs) throw new AwsEbsConfigError(`${where}.retry.maxDelayMs: must not be below baseDelayMs`);
  const poll = numbers(entry.poll, DEFAULT_POLL, `${where}.poll`, { intervalMs: 1, maxIntervalMs: 1, timeoutMs: 1 });
  if (poll.maxIntervalMs < poll.intervalMs) throw new AwsEbsConfigError(`${where}.poll.maxIntervalMs: must not be below intervalMs`);

  const logLevel = optionalString(entry, "logLevel", where);
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    throw new AwsEbsConfigError(`${where}.logLevel: must be one of ${LOG_LEVELS.join(", ")}`);
  }

  return {
    region: optionalString(entry, "region", where),
    endpoint,
    clusterName,
    tags,
    availabilityZone: optionalString(entry, "availabilityZone", where),
    retry,
    poll,
    ...(logLevel ? { logLevel } : {}),
  };
}
