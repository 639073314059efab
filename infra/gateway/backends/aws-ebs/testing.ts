// Test support for the aws-ebs unit tests: a clock that only moves when the backend sleeps, and a
// backend wired to whatever EC2Client aws-sdk-client-mock is intercepting.
import { EC2Client } from "@aws-sdk/client-ec2";
import { AwsEbsBackend } from "./backend.js";
import { parseAwsEbsConfig } from "./config.js";
import { EbsContext, type BackendLogger } from "./context.js";
import type { Clock } from "./retry.js";

export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  private t = 1_700_000_000_000;
  /** Values random() hands out in turn; 0.5 once they run out. */
  constructor(private readonly randoms: number[] = []) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
  random(): number {
    return this.randoms.length ? this.randoms.shift()! : 0.5;
  }
}

export class RecordingLogger implements BackendLogger {
  readonly lines: Array<{ level: string; obj: object; msg: string }> = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: "info", obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", obj, msg });
  }
}

export const DRIVER = "ebs.csi.aws.com";

export function testBackend(entry: Record<string, unknown> = {}, clock = new ManualClock()) {
  const config = parseAwsEbsConfig(DRIVER, { backend: "aws-ebs", region: "eu-west-1", ...entry });
  const client = new EC2Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" }, maxAttempts: 1 });
  const logger = new RecordingLogger();
  const ctx = new EbsContext(client, DRIVER, config, clock, logger);
  return { backend: new AwsEbsBackend(ctx), ctx, clock, logger, config };
}

/** An EC2 service error as the SDK raises it. */
export function ec2Error(code: string, message = `${code} happened`, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name: code,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode },
  });
}
