// `snapflow up`'s whole local stack (startStack with every function, random ports) for one test
// file: started in beforeAll, stopped and its directory removed in afterAll, with a kubectl runner
// pointed at it and a gateway client holding the stack's token.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { allFunctions } from "../../cli/functions.js";
import { startStack, type RunningStack } from "../../cli/stack/stack.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import { kubectlRunner, type KubectlRunner } from "./kubectl.js";

export interface LocalStackSuite extends KubectlRunner {
  /** The running stack; only inside tests (beforeAll starts it). */
  readonly stack: RunningStack;
  /** A gateway client with the token the stack wrote to its data directory. */
  gateway(): HttpGatewayClient;
}

export function useLocalStack(o: { name: string; clusterName: string; kubectlTimeoutMs?: number }): LocalStackSuite {
  const dir = mkdtempSync(join(tmpdir(), `snapflow-${o.name}-`));
  let stack: RunningStack | undefined;
  const running = (): RunningStack => {
    if (!stack) throw new Error("the local stack is not running (used outside a test?)");
    return stack;
  };

  beforeAll(async () => {
    stack = await startStack({ dataDir: join(dir, "stack"), functions: allFunctions, randomPorts: true, clusterName: o.clusterName });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const runner = kubectlRunner({
    kubeconfig: () => running().endpoints.kubeconfig,
    timeoutMs: o.kubectlTimeoutMs,
    cacheDir: () => join(dir, "kubectl-cache"),
  });
  return {
    ...runner,
    get stack() {
      return running();
    },
    gateway: () => {
      const s = running();
      return createGatewayClient({ baseUrl: s.endpoints.gateway, token: readFileSync(join(s.dataDir, "gateway.token"), "utf8").trim() });
    },
  };
}
