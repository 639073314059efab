import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE, lockDataDir } from "./dirlock.js";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-dirlock-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function dir(name: string): Promise<string> {
  const d = path.join(tmp, name);
  await fs.mkdir(d);
  return d;
}

/** Runs `code` in a child node process; resolves once it printed, with the child. */
async function child(code: string) {
  const proc = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => proc.stdout.once("data", () => resolve()));
  return proc;
}

describe("lockDataDir", () => {
  it("lets one holder in per process and frees the dir on release", async () => {
    const d = await dir("same-process");
    const lock = await lockDataDir(d);
    expect((await fs.readFile(path.join(d, LOCK_FILE), "utf8")).trim()).toBe(String(process.pid));
    await expect(lockDataDir(d)).rejects.toThrow(/already served by a hostpath driver in this process/);
    await lock.release();
    await expect(fs.stat(path.join(d, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    const again = await lockDataDir(d);
    await again.release();
  });

  it("refuses a dir whose pid file names a live process", async () => {
    const d = await dir("live-holder");
    const holder = await child("console.log('up'); setInterval(() => {}, 1000)");
    try {
      await fs.writeFile(path.join(d, LOCK_FILE), `${holder.pid}\n`);
      await expect(lockDataDir(d)).rejects.toThrow(new RegExp(`in use by hostpath driver process ${holder.pid}`));
    } finally {
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      holder.kill("SIGKILL");
      await exited;
    }
  });

  it("takes over a pid file left by a process that is gone", async () => {
    const d = await dir("dead-holder");
    const holder = await child("console.log('up')");
    const pid = holder.pid!;
    await new Promise((resolve) => holder.once("exit", resolve));
    await fs.writeFile(path.join(d, LOCK_FILE), `${pid}\n`);
    const lock = await lockDataDir(d);
    expect((await fs.readFile(path.join(d, LOCK_FILE), "utf8")).trim()).toBe(String(process.pid));
    await lock.release();
  });
});
