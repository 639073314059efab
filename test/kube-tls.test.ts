// The HTTP KubeClient against an HTTPS API server the way real clusters run: a private CA, client
// certificates, bearer tokens — all taken from the kubeconfig.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCES } from "../shared/api/resources.js";
import { createKubeClient } from "../shared/kube/http-client.js";
import { KubeApiError } from "../shared/kube/types.js";

let dir: string;
let server: https.Server;
let url: string;
const seen: { cn?: string; authorization?: string; port?: number }[] = [];
const pem: Record<string, string> = {};

function openssl(args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCertificates(): Promise<void> {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=snapflow-test-ca"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver"]);
  await writeFile(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "server.ext"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=snapflow-controller"]);
  openssl(["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "1"]);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "1", "-subj", "/CN=other-ca"]);
  for (const f of ["ca.crt", "server.key", "server.crt", "client.key", "client.crt", "other.crt"]) pem[f] = await readFile(join(dir, f), "utf8");
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

async function kubeconfig(name: string, user: string, ca = pem["ca.crt"]!): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: tls\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${b64(ca)}\nusers:\n- name: u\n  user:\n${user}contexts:\n- name: tls\n  context:\n    cluster: tls\n    user: u\ncurrent-context: tls\n`,
  );
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "snapflow-kube-tls-"));
  await makeCertificates();
  server = https.createServer(
    { key: pem["server.key"], cert: pem["server.crt"], ca: pem["ca.crt"], requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const cn = socket.authorized ? (socket.getPeerCertificate().subject?.CN as string | undefined) : undefined;
      seen.push({ cn, authorization: req.headers.authorization, port: socket.remotePort });
      if (!cn && req.headers.authorization !== "Bearer tls-token") {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: "Unauthorized", message: "Unauthorized", code: 401 }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-1", uid: "pv-uid" } }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("HTTP KubeClient over TLS", () => {
  it("verifies the server with the kubeconfig's CA and authenticates with a client certificate, on one connection", async () => {
    const kube = createKubeClient(await kubeconfig("cert", `    client-certificate-data: ${b64(pem["client.crt"]!)}\n    client-key-data: ${b64(pem["client.key"]!)}\n`));
    try {
      const before = seen.length;
      for (let i = 0; i < 5; i++) expect((await kube.get(RESOURCES.persistentvolumes, "pv-1"))?.metadata.uid).toBe("pv-uid");
      const calls = seen.slice(before);
      expect(calls.every((c) => c.cn === "snapflow-controller")).toBe(true);
      expect(new Set(calls.map((c) => c.port)).size).toBe(1);
    } finally {
      kube.close();
    }
  });

  it("sends a bearer token over TLS", async () => {
    const kube = createKubeClient(await kubeconfig("token", "    token: tls-token\n"));
    try {
      expect(await kube.get(RESOURCES.persistentvolumes, "pv-1")).toBeDefined();
      expect(seen.at(-1)).toMatchObject({ authorization: "Bearer tls-token", cn: undefined });
    } finally {
      kube.close();
    }
  });

  it("answers 401 as KubeApiError without credentials", async () => {
    const kube = createKubeClient(await kubeconfig("anon", "    {}\n"));
    try {
      const err = await kube.get(RESOURCES.persistentvolumes, "pv-1").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).code).toBe(401);
    } finally {
      kube.close();
    }
  });

  it("refuses a server its CA did not sign", async () => {
    const kube = createKubeClient(await kubeconfig("wrong-ca", "    token: tls-token\n", pem["other.crt"]!));
    try {
      await expect(kube.get(RESOURCES.persistentvolumes, "pv-1")).rejects.toThrow(/kube GET \/api\/v1\/persistentvolumes\/pv-1: .*(certificate|self.signed)/i);
    } finally {
      kube.close();
    }
  });
});
