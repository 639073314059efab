import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Secret } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { GatewayError } from "../../shared/gateway/types.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { startFakeApiServer, type FakeApiServer } from "../../test/support/fake-apiserver.js";
import { kubeSecretResolver, noClusterSecretResolver, type SecretResolver } from "./secrets.js";

const VALUE = "s3cr3t-value-\u00e9";

let dir: string;
let api: FakeApiServer;
let resolver: SecretResolver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gateway-secrets-"));
  api = await startFakeApiServer();
  const kubeconfig = await api.kubeconfig(dir);
  const kube = createKubeClient(kubeconfig);
  await kube.create<Secret>(RESOURCES.secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: "team-a" },
    data: { password: Buffer.from(VALUE).toString("base64"), empty: "" },
  } as Secret);
  kube.close();
  resolver = kubeSecretResolver(kubeconfig);
});

afterAll(async () => {
  resolver?.close?.();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe("kubeSecretResolver", () => {
  it("returns the Secret's data base64-decoded", async () => {
    expect(await resolver.resolve({ name: "creds", namespace: "team-a" })).toEqual({ password: VALUE, empty: "" });
  });

  it("reports a missing Secret as FAILED_PRECONDITION, retryable", async () => {
    const err = await failure(resolver.resolve({ name: "creds", namespace: "team-b" }));
    expect({ code: err.code, retryable: err.retryable, message: err.message }).toEqual({
      code: "FAILED_PRECONDITION",
      retryable: true,
      message: "Secret team-b/creds not found",
    });
  });

  it("reports a refused read as PERMISSION_DENIED (final) and a failing API server as UNAVAILABLE (retryable)", async () => {
    api.requireToken("only-this");
    const denied = await failure(resolver.resolve({ name: "creds", namespace: "team-a" }));
    api.requireToken(undefined);
    expect({ code: denied.code, retryable: denied.retryable }).toEqual({ code: "PERMISSION_DENIED", retryable: false });
    api.failNext(503, 1);
    const down = await failure(resolver.resolve({ name: "creds", namespace: "team-a" }));
    expect({ code: down.code, retryable: down.retryable }).toEqual({ code: "UNAVAILABLE", retryable: true });
    expect(down.message).toBe("reading Secret team-a/creds: API server answered HTTP 503");
  });

  it("never puts a value in an error", async () => {
    api.failNext(500, 1);
    const err = await failure(resolver.resolve({ name: "creds", namespace: "team-a" }));
    expect(err.message).not.toContain(VALUE);
  });
});

describe("noClusterSecretResolver", () => {
  it("refuses a secretRef, final, saying the gateway has no cluster access", async () => {
    const err = await failure(noClusterSecretResolver.resolve({ name: "x", namespace: "y" }));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "FAILED_PRECONDITION", retryable: false });
    expect(err.message).toContain("no cluster access");
  });
});

describe("kubeSecretResolver against an API server that is gone", () => {
  it("answers UNAVAILABLE, retryable", async () => {
    const gone = await startFakeApiServer();
    const kubeconfig = await gone.kubeconfig(dir);
    await gone.close();
    const r = kubeSecretResolver(kubeconfig);
    try {
      const err = await failure(r.resolve({ name: "creds", namespace: "team-a" }));
      expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "UNAVAILABLE", retryable: true });
      expect(err.message).toBe("reading Secret team-a/creds: API server unreachable");
    } finally {
      r.close?.();
    }
  });
});
