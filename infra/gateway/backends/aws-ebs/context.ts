// What every aws-ebs operation needs: the EC2 client, the call wrapper (retry + error mapping),
// the validated config and time. One per configured driver name.
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { AwsEbsConfig } from "./config.js";
import { Ec2GatewayError } from "./errors.js";
import { withRetry, type Clock } from "./retry.js";

/** pino-compatible subset; the backend logs ids, codes and delays, never request secrets. */
export interface BackendLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class EbsContext {
  constructor(
    readonly client: EC2Client,
    readonly driverName: string,
    readonly config: AwsEbsConfig,
    readonly clock: Clock,
    readonly log: BackendLogger,
  ) {}

  /** One EC2 action with the configured retry policy; failures arrive as Ec2GatewayError. */
  async call<T>(action: string, send: (client: EC2Client) => Promise<T>): Promise<T> {
    try {
      return await withRetry(action, () => send(this.client), this.config.retry, this.clock, (e) =>
        this.log.warn({ driver: this.driverName, ...e }, "EC2 call throttled or unavailable; backing off"),
      );
    } catch (err) {
      throw err instanceof Ec2GatewayError ? await this.withoutCredentials(err) : err;
    }
  }

  /**
   * An endpoint may quote the caller's credentials back (an AuthFailure naming the key id, say);
   * whatever credentials the provider chain gave this client are cut out of the message.
   */
  private async withoutCredentials(err: Ec2GatewayError): Promise<Ec2GatewayError> {
    let values: string[];
    try {
      const creds = await this.client.config.credentials();
      values = [creds.accessKeyId, creds.secretAccessKey, creds.sessionToken ?? ""].filter((v) => v.length >= 4);
    } catch {
      return err;
    }
    let message = err.message;
    for (const v of values) message = message.split(v).join("[REDACTED]");
    return message === err.message ? err : new Ec2GatewayError(err.ec2Code, err.code, message, err.retryable);
  }
}

export const GiB = 1024 ** 3;

export function gibToBytes(gib: number | undefined): number {
  return (gib ?? 0) * GiB;
}

/** Rounds up to whole GiB, at least 1: EBS sizes are whole GiB. */
export function bytesToGibCeil(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / GiB));
}

/** A Date as CSI's creation time: Unix nanoseconds as a decimal string. */
export function unixNanos(date: Date | undefined): string {
  if (!date) return "0";
  return (BigInt(date.getTime()) * 1_000_000n).toString();
}

/** Keeps one operation per key at a time in this process (as the EBS driver's in-flight set does). */
export class InFlight {
  private readonly keys = new Set<string>();

  async run<T>(key: string, onBusy: () => Error, work: () => Promise<T>): Promise<T> {
    if (this.keys.has(key)) throw onBusy();
    this.keys.add(key);
    try {
      return await work();
    } finally {
      this.keys.delete(key);
    }
  }
}
