// `snapflow cluster` as a process: ready marker, kubeconfig, graceful stop on SIGTERM.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "./harness.js";

const dataDir = mkdtempSync(join(tmpdir(), "devcluster-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("snapflow cluster", () => {
  it("writes ready and kubeconfig while serving and removes ready on SIGTERM", async () => {
    const child = spawn(process.execPath, [resolve("bin/snapflow.mjs"), "cluster", "--data-dir", dataDir, "--random-ports"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const ready = join(dataDir, "ready");
      await eventually(async () => existsSync(ready) || child.exitCode !== null);
      const url = readFileSync(ready, "utf8").trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const kubeconfig = readFileSync(join(dataDir, "kubeconfig"), "utf8");
      expect(kubeconfig).toContain(`server: ${url}`);
      expect(kubeconfig).toContain("insecure-skip-tls-verify: true");
      expect(kubeconfig).toContain("namespace: default");
      const version = (await (await fetch(`${url}/version`)).json()) as { major: string; minor: string };
      expect(version).toMatchObject({ major: "1", minor: "32" });
      const ns = await fetch(`${url}/api/v1/namespaces/default`);
      expect(ns.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(existsSync(ready)).toBe(false);
      expect(out).toContain("dev cluster stopped (SIGTERM)");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
