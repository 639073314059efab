// `snapflow gateway` as a process: reads its config and token file, serves, stops on SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayClient } from "../../shared/gateway/client.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../support/mini-csi-driver.js";

let dir: string;
let driver: MiniCsiDriver;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gateway-cli-"));
  driver = await startMiniCsiDriver({ name: "cli.csi.test", controller: ["CREATE_DELETE_SNAPSHOT"] });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await new Promise((r) => child!.once("exit", r));
  }
  await driver.close();
  await rm(dir, { recursive: true, force: true });
});

function exitOf(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once("exit", (code) => resolve(code))));
}

describe("snapflow gateway", () => {
  it("serves the configured drivers with the token from --token-file and exits on SIGTERM", async () => {
    const config = join(dir, "gateway.yaml");
    await writeFile(config, `drivers:\n  cli.csi.test:\n    backend: csi\n    address: ${driver.endpoint}\nlogLevel: warn\n`);
    const tokenFile = join(dir, "token");
    await writeFile(tokenFile, "cli-token-42\n");
    child = spawn(process.execPath, ["bin/snapflow.mjs", "gateway", "--config", config, "--port", "0", "--token-file", tokenFile], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SNAPFLOW_GATEWAY_TOKEN: "" },
    });
    let stderr = "";
    child.stderr!.on("data", (c) => (stderr += c));
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child!.once("exit", (code) => reject(new Error(`gateway exited early with ${code}: ${stderr}`)));
    });
    const { gateway } = JSON.parse(first) as { gateway: string };
    expect(gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const client = createGatewayClient({ baseUrl: gateway, token: "cli-token-42" });
    expect((await client.capabilities("cli.csi.test")).controller).toEqual(["CREATE_DELETE_SNAPSHOT"]);

    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
  }, 90_000); // the CLI process loads every subcommand through tsx: slow on a busy 2-core machine
});
