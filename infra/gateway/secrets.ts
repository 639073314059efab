// Resolves a SecretRef into the Secret's data (base64-decoded) by reading it from the cluster.
// Only names ever appear in errors; the values go straight to the backend call.
import type { Secret } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { KubeApiError } from "../../shared/kube/types.js";
import { GatewayError, type SecretRef } from "../../shared/gateway/types.js";
import type { Secrets } from "./backend.js";

export interface SecretResolver {
  resolve(ref: SecretRef): Promise<Secrets>;
  close?(): void;
}

const READ_TIMEOUT_MS = 10_000;

export function decodeSecretData(data: Record<string, string> | undefined): Secrets {
  const out: Secrets = {};
  for (const [key, value] of Object.entries(data ?? {})) out[key] = Buffer.from(value, "base64").toString("utf8");
  return out;
}

/** Reads Secrets through the API server named by a kubeconfig file (the team's shared kube client). */
export function kubeSecretResolver(kubeconfigPath: string): SecretResolver {
  const kube = createKubeClient(kubeconfigPath, { timeoutMs: READ_TIMEOUT_MS, userAgent: "snapflow-gateway" });
  return {
    async resolve(ref) {
      const where = `Secret ${ref.namespace}/${ref.name}`;
      let secret: Secret | undefined;
      try {
        secret = await kube.get<Secret>(RESOURCES.secrets, ref.name, ref.namespace);
      } catch (err) {
        throw secretReadError(err, where);
      }
      // The Secret may still be created: a later retry can succeed.
      if (!secret) throw new GatewayError("FAILED_PRECONDITION", `${where} not found`, true);
      return decodeSecretData(secret.data);
    },
    close: () => kube.close(),
  };
}

/** Used when the gateway runs without cluster access: a request that names a secret cannot be served. */
export const noClusterSecretResolver: SecretResolver = {
  async resolve(ref) {
    throw new GatewayError(
      "FAILED_PRECONDITION",
      `request names Secret ${ref.namespace}/${ref.name} but the gateway has no cluster access (start it with a kubeconfig)`,
      false,
    );
  },
};

// The API error's own message may quote a response body; only its status code is kept.
function secretReadError(err: unknown, where: string): GatewayError {
  if (!(err instanceof KubeApiError)) return new GatewayError("UNAVAILABLE", `reading ${where}: API server unreachable`);
  const status = err.code;
  if (status === 401 || status === 403) {
    return new GatewayError("PERMISSION_DENIED", `gateway may not read ${where} (HTTP ${status})`, false);
  }
  const code = status >= 500 || status === 429 ? "UNAVAILABLE" : "INTERNAL";
  return new GatewayError(code, `reading ${where}: API server answered HTTP ${status}`);
}
