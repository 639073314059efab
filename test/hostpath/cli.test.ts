// `snapflow hostpath` as a real process: serves CSI on the socket it was given, and on SIGTERM or
// SIGINT stops gracefully and removes its socket; a restart on the same data dir keeps the volumes.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, createVolume } from "./harness.js";

const BIN = fileURLToPath(new URL("../../bin/snapflow.mjs", import.meta.url));

let tmp: string;
const children = new Set<ChildProcessWithoutNullStreams>();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-cli-"));
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Starts the CLI and resolves with the JSON line it prints once serving. */
async function startCli(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; started: Record<string, string> }> {
  const child = spawn(process.execPath, [BIN, "hostpath", ...args], { stdio: "pipe" });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let out = "";
  let err = "";
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const started = await new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line) as Record<string, string>);
    });
    child.once("exit", (code) => reject(new Error(`snapflow hostpath exited with ${code}: ${err}`)));
  });
  return { child, started };
}

function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string }> {
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string }>((resolve) => child.once("exit", (code) => resolve({ code, stdout })));
  child.kill(signal);
  return exited;
}

describe("snapflow hostpath", () => {
  // One process start only: the CLI loads through tsx, which costs seconds on a busy 2-core machine.
  // Restart durability and endpoint validation are covered in-process (durability.test.ts, endpoint.test.ts).
  it("serves the driver on the given socket and stops on SIGTERM, removing its socket", async () => {
    const dataDir = path.join(tmp, "data");
    const socket = path.join(tmp, "csi.sock");
    const { child, started } = await startCli(["--data-dir", dataDir, "--endpoint", `unix://${socket}`]);
    expect(started).toMatchObject({ driver: "hostpath.snapflow.dev", endpoint: `unix://${socket}`, dataDir });
    const csi = connect(`unix://${socket}`);
    const volume = await createVolume(csi, "pvc-cli");
    expect(volume.volumeContext.hostPath!.startsWith(path.join(dataDir, "volumes"))).toBe(true);
    csi.close();
    const stopped = await stop(child, "SIGTERM");
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('"stopped":"SIGTERM"');
    await expect(fs.stat(socket)).rejects.toThrow(/ENOENT/);
    expect(JSON.parse(await fs.readFile(path.join(dataDir, "state.json"), "utf8")).volumes[volume.volumeId].name).toBe("pvc-cli");
  });
});
