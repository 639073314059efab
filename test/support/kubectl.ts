// The machine's kubectl, run against one suite's cluster: plain commands, `apply -f -` from a
// string, `get -o json` parsed, and the hostpath directory behind a claim. The kubeconfig is read
// lazily because suites start their cluster in beforeAll, after this runner is made.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";

const run = promisify(execFile);

export interface KubectlOptions {
  kubeconfig: () => string;
  /** Limit for one kubectl process; it is killed after this. */
  timeoutMs?: number;
  /** kubectl's discovery cache; a suite's own keeps suites from sharing ~/.kube/cache. */
  cacheDir?: () => string;
}

export interface KubectlRunner {
  kubectl(...args: string[]): Promise<string>;
  apply(yaml: string): Promise<void>;
  getJson<T>(...args: string[]): Promise<T>;
  /** The PV bound to a claim and the hostpath directory holding its data. */
  volumeOf(pvc: string, namespace?: string): Promise<{ pv: PersistentVolume; path: string }>;
}

export function kubectlRunner(o: KubectlOptions): KubectlRunner {
  const timeout = o.timeoutMs ?? 60_000;
  // /usr/bin last, so a kubectl earlier on PATH wins but the machine's is found when PATH lacks it.
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, KUBECONFIG: o.kubeconfig(), PATH: `${process.env.PATH ?? ""}:/usr/bin` });
  const withCache = (args: string[]): string[] => (o.cacheDir ? ["--cache-dir", o.cacheDir(), ...args] : args);

  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run("kubectl", withCache(args), { env: env(), timeout });
    return stdout;
  };

  const apply = async (yaml: string): Promise<void> => {
    const child = execFile("kubectl", withCache(["apply", "-f", "-"]), { env: env(), timeout });
    const done = new Promise<void>((resolve, reject) => {
      let stderr = "";
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("error", reject);
      child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`kubectl apply failed (${code ?? signal}): ${stderr}`))));
    });
    child.stdin!.end(yaml);
    await done;
  };

  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl("get", ...args, "-o", "json")) as T;

  const volumeOf = async (pvc: string, namespace?: string): Promise<{ pv: PersistentVolume; path: string }> => {
    const claim = await getJson<PersistentVolumeClaim>("pvc", pvc, ...(namespace ? ["-n", namespace] : []));
    const pv = await getJson<PersistentVolume>("pv", claim.spec.volumeName!);
    return { pv, path: pv.spec.csi!.volumeAttributes!.hostPath! };
  };

  return { kubectl, apply, getJson, volumeOf };
}
