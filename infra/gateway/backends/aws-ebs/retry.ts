// Bounded exponential back-off with full jitter around one EC2 call. Full jitter (a uniform pick
// below the doubling ceiling) spreads a crowd of throttled callers out instead of having them
// retry in lock-step, which is what turns throttling into a storm.
import type { RetrySettings } from "./config.js";
import { classifyEc2Error, toGatewayError, type Ec2Failure } from "./errors.js";

/** Time as the backend sees it; tests substitute all three. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/**
 * Delay before retry number `retry` (0 for the first retry): `floor` plus a uniform pick in
 * [0, min(maxDelayMs, baseDelayMs·2^retry)).
 */
export function backoffDelay(retry: number, settings: Pick<RetrySettings, "baseDelayMs" | "maxDelayMs">, random: () => number, floorMs = 0): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry);
  return floorMs + Math.floor(random() * ceiling);
}

export interface RetryObserver {
  (event: { action: string; attempt: number; delayMs: number; ec2Code: string }): void;
}

/** Runs `call`, retrying transient EC2 failures; any other failure, or the last one, becomes a GatewayError. */
export async function withRetry<T>(
  action: string,
  call: () => Promise<T>,
  settings: RetrySettings,
  clock: Clock,
  onRetry?: RetryObserver,
): Promise<T> {
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    let failure: Ec2Failure;
    try {
      return await call();
    } catch (err) {
      failure = classifyEc2Error(err);
    }
    if (!failure.transient || attempt >= settings.maxAttempts) throw toGatewayError(action, failure, attempt);
    const floor = failure.minDelay === "snapshotInterval" ? settings.snapshotIntervalMs : 0;
    const delayMs = backoffDelay(attempt - 1, settings, () => clock.random(), floor);
    if (clock.now() - started + delayMs > settings.budgetMs) throw toGatewayError(action, failure, attempt);
    onRetry?.({ action, attempt, delayMs, ec2Code: failure.ec2Code });
    await clock.sleep(delayMs);
  }
}
