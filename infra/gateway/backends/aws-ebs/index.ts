// Entry point of the aws-ebs backend: builds the EC2 client from the driver's config entry and the
// standard AWS provider chain. Registered in ../registry.ts under kind "aws-ebs".
import { EC2Client } from "@aws-sdk/client-ec2";
import { AwsEbsBackend } from "./backend.js";
import { AwsEbsConfigError, parseAwsEbsConfig, type AwsEbsConfig } from "./config.js";
import { createLogger } from "../../../../shared/log.js";
import { EbsContext, type BackendLogger } from "./context.js";
import { realClock, type Clock } from "./retry.js";

export { AwsEbsBackend } from "./backend.js";
export { AwsEbsConfigError, parseAwsEbsConfig, type AwsEbsConfig } from "./config.js";
export type { Clock } from "./retry.js";
export type { BackendLogger } from "./context.js";

export interface AwsEbsOptions {
  clock?: Clock;
  logger?: BackendLogger;
  /** A ready client (tests); otherwise one is built from the config and the provider chain. */
  client?: EC2Client;
}

/**
 * The EC2 client: region from the config or the chain (AWS_REGION, profile); endpoint from the
 * config, else the SDK's own AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL handling. The SDK's retries are
 * off (maxAttempts 1) because the backend retries with its own bounded, jittered back-off.
 */
export function buildEc2Client(config: AwsEbsConfig): EC2Client {
  return new EC2Client({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 1,
  });
}

export async function createAwsEbsBackendWith(
  driverName: string,
  entry: Record<string, unknown>,
  options: AwsEbsOptions = {},
): Promise<AwsEbsBackend> {
  const config = parseAwsEbsConfig(driverName, entry);
  const client = options.client ?? buildEc2Client(config);
  try {
    // Fail at start-up, not at the first snapshot, when no region can be found anywhere.
    await client.config.region();
  } catch {
    client.destroy();
    throw new AwsEbsConfigError(
      `drivers."${driverName}": no AWS region: set "region" in the gateway config, or AWS_REGION / a profile region`,
    );
  }
  const logger =
    options.logger ?? createLogger({ name: "snapflow-gateway", level: config.logLevel, base: { backend: "aws-ebs", driver: driverName } });
  const ctx = new EbsContext(client, driverName, config, options.clock ?? realClock, logger);
  return new AwsEbsBackend(ctx);
}

/** The registry's factory: `(driverName, entry) => Backend`. */
export function createAwsEbsBackend(driverName: string, entry: Record<string, unknown>): Promise<AwsEbsBackend> {
  return createAwsEbsBackendWith(driverName, entry);
}
