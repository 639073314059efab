// The function framework end to end with real parts: `snapflow function`'s server, the HTTP KubeClient
// against an API server, the real driver gateway in front of the real hostpath CSI driver, and the
// event backbone's codec and audit reader reading the reply the way the dispatcher does.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveFunctions, type ServedFunctions } from "../cli/commands/function.js";
import { toAuditEntry } from "../events/audit/reader.js";
import { cloudEventJson, fromHttpMessage } from "../events/codec/index.js";
import { startGateway, type RunningGateway } from "../infra/gateway/index.js";
import { startHostpathDriver } from "../infra/hostpath/index.js";
import type { Secret } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type { AuditRecord } from "../shared/function/audit.js";
import { createGatewayClient } from "../shared/gateway/client.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { annotateFunction, MODE, TEST_DRIVER } from "./support/annotate-function.js";
import { binaryEvent } from "./support/events.js";
import { startFakeApiServer, type FakeApiServer } from "./support/fake-apiserver.js";

const TOKEN = "pipeline-gateway-token-7c1d";
const PASSWORD = "pipeline-pa55word-never-shown";

let dir: string;
let api: FakeApiServer;
let kube: HttpKubeClient;
let hostpath: { close(): Promise<void> } | undefined;
let gateway: RunningGateway | undefined;
let served: ServedFunctions | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "snapflow-pipeline-"));
  api = await startFakeApiServer();
  const kubeconfig = await api.kubeconfig(dir);
  kube = createKubeClient(kubeconfig);
  await kube.create<Secret>(RESOURCES.secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "snap-creds", namespace: "default" },
    data: { password: Buffer.from(PASSWORD).toString("base64") },
  } as Secret);
  const dataDir = join(dir, "hostpath");
  await mkdir(dataDir);
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  hostpath = await startHostpathDriver({ dataDir, endpoint });
  gateway = await startGateway({
    config: { drivers: { [TEST_DRIVER]: { backend: "csi", address: endpoint, timeoutSeconds: 20 } }, logLevel: "silent" },
    token: TOKEN,
    kubeconfigPath: kubeconfig,
  });
  const tokenFile = join(dir, "gateway-token");
  await writeFile(tokenFile, `${TOKEN}\n`);
  served = await serveFunctions([annotateFunction], {
    port: 0,
    kubeconfig,
    clusterName: "east",
    gateway: gateway.url,
    gatewayTokenFile: tokenFile,
    env: {},
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
});

afterAll(async () => {
  await served?.stop();
  await gateway?.close();
  await hostpath?.close();
  kube?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("function pipeline", () => {
  it("calls the real gateway, audits the calls, and the reply reads back like the dispatcher reads it", async () => {
    const obj = await kube.create(RESOURCES.volumesnapshots, {
      metadata: { name: "piped", namespace: "default", annotations: { [MODE]: "gateway", "test.snapflow.dev/secret": "snap-creds" } },
      spec: {},
    } as KubeObject);
    const res = await fetch(`${served!.url}/annotate`, binaryEvent(obj));
    const body = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(body);
    expect(res.status, text).toBe(200);

    const record = JSON.parse(text) as AuditRecord;
    expect(record.gatewayCalls.map((c) => [c.operation, c.driver, c.ok, c.code])).toEqual([
      ["createVolume", TEST_DRIVER, true, "OK"],
      ["createSnapshot", TEST_DRIVER, true, "OK"],
      ["getSnapshot", TEST_DRIVER, true, "OK"],
    ]);
    const snapshotId = record.did[0]!.replace("created snapshot ", "");
    const direct = createGatewayClient({ baseUrl: gateway!.url, token: TOKEN });
    expect((await direct.getSnapshot(TEST_DRIVER, { snapshotId }))?.readyToUse).toBe(true);

    // What the dispatcher does with the reply: decode it with the backbone's codec, file it as an audit entry.
    const reply = fromHttpMessage(res.headers, body);
    expect(cloudEventJson(reply)).toEqual(record);
    const entry = toAuditEntry(reply.attributes, cloudEventJson(reply));
    expect(entry).toMatchObject({ cluster: "east", function: "annotate", outcome: "succeeded", uid: obj.metadata.uid, namespace: "default", name: "piped" });
    expect(entry.summary).toContain("[done]");

    // Neither the answer nor the reply headers carry the secret or the gateway token.
    const everything = text + JSON.stringify([...res.headers.entries()]);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(PASSWORD).toString("base64"));
    expect(everything).not.toContain(TOKEN);
  });

  it("a failing gateway call is audited with the driver's code and redelivered", async () => {
    const obj = await kube.create(RESOURCES.volumesnapshots, {
      metadata: { name: "piped-missing-secret", namespace: "default", annotations: { [MODE]: "gateway", "test.snapflow.dev/secret": "no-such-secret" } },
      spec: {},
    } as KubeObject);
    const res = await fetch(`${served!.url}/annotate`, binaryEvent(obj));
    const record = (await res.json()) as AuditRecord;
    expect(res.status).toBe(500);
    expect(record.outcome).toBe("error");
    const last = record.gatewayCalls.at(-1)!;
    expect(last).toMatchObject({ operation: "createSnapshot", ok: false });
    expect(last.code).not.toBe("OK");
  });
});
