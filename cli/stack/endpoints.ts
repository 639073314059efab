// DIR/endpoints.json: where every part of a running local stack answers (DESIGN "Local stack contract").
import { readFileSync } from "node:fs";
import { writeFile, rename } from "node:fs/promises";
import { join } from "node:path";

export interface Endpoints {
  kubeconfig: string;
  api: string;
  nats: string;
  gateway: string;
  functions: string;
  hostpathSocket: string;
  cluster: string;
}

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

export function readEndpoints(dataDir: string): Endpoints | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
  } catch {
    return undefined;
  }
}

export async function writeEndpoints(dataDir: string, endpoints: Endpoints): Promise<void> {
  const file = join(dataDir, "endpoints.json");
  await writeFile(`${file}.tmp`, `${JSON.stringify(endpoints, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** --nats, else $NATS_URL, else the local stack's, else the default port. */
export function resolveNatsUrl(flag: string | undefined, dataDir: string): string {
  return flag ?? process.env.NATS_URL ?? readEndpoints(dataDir)?.nats ?? DEFAULT_NATS_URL;
}
