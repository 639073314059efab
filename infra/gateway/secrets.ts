// Resolves a SecretRef into the Secret's data (base64-decoded) by reading it from the cluster.
// Only names ever appear in errors; the values go straight to the backend call.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { GatewayError, type SecretRef } from "../../shared/gateway/types.js";
import type { Secrets } from "./backend.js";

export interface SecretResolver {
  resolve(ref: SecretRef): Promise<Secrets>;
}

const READ_TIMEOUT_MS = 10_000;

export function decodeSecretData(data: Record<string, string> | undefined): Secrets {
  const out: Secrets = {};
  for (const [key, value] of Object.entries(data ?? {})) out[key] = Buffer.from(value, "base64").toString("utf8");
  return out;
}

/** Reads Secrets through the API server named by a kubeconfig file. */
export function kubeSecretResolver(kubeconfigPath: string): SecretResolver {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async resolve(ref) {
      const where = `Secret ${ref.namespace}/${ref.name}`;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new GatewayError("UNAVAILABLE", `reading ${where}: API server did not answer in time`)), READ_TIMEOUT_MS);
      });
      try {
        const secret = await Promise.race([core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace }), timeout]);
        return decodeSecretData(secret.data);
      } catch (err) {
        throw secretReadError(err, where);
      } finally {
        clearTimeout(timer);
      }
    },
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
  if (err instanceof GatewayError) return err;
  const status = typeof (err as { code?: unknown })?.code === "number" ? (err as { code: number }).code : undefined;
  switch (status) {
    case 404:
      // The Secret may still be created: a later retry can succeed.
      return new GatewayError("FAILED_PRECONDITION", `${where} not found`, true);
    case 401:
    case 403:
      return new GatewayError("PERMISSION_DENIED", `gateway may not read ${where} (HTTP ${status})`, false);
    case undefined:
      return new GatewayError("UNAVAILABLE", `reading ${where}: API server unreachable`);
    default:
      return new GatewayError(status >= 500 || status === 429 ? "UNAVAILABLE" : "INTERNAL", `reading ${where}: API server answered HTTP ${status}`);
  }
}
