// The kubeconfig the dev cluster writes for kubectl and client libraries.
import { stringify } from "yaml";

export function kubeconfigYaml(url: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "snapflow-dev", cluster: { server: url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "snapflow-dev", user: {} }],
    contexts: [{ name: "snapflow-dev", context: { cluster: "snapflow-dev", user: "snapflow-dev", namespace: "default" } }],
    "current-context": "snapflow-dev",
    preferences: {},
  });
}
