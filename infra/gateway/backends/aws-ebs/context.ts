// What every aws-ebs operation needs: the EC2 client, the call wrapper (retry + error mapping),
// the validated config and time. One per configured driver name.
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { AwsEbsConfig } from "./config.js";
import { withRetry, type Clock } from "./retry.js";

/** pino-compatible subset; the backend logs ids, codes and delays, never request secrets. */
export interface BackendLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: BackendLogger = { info() {}, warn() {} };

export class EbsContext {
  constructor(
    readonly client: EC2Client,
    readonly driverName: string,
    readonly config: AwsEbsConfig,
    readonly clock: Clock,
    readonly log: BackendLogger,
  ) {}

  /** One EC2 action with the configured retry policy; failures arrive as Ec2GatewayError. */
  call<T>(action: string, send: (client: EC2Client) => Promise<T>): Promise<T> {
    return withRetry(action, () => send(this.client), this.config.retry, this.clock, (e) =>
      this.log.warn({ driver: this.driverName, ...e }, "EC2 call throttled or unavailable; backing off"),
    );
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
