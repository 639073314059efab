// One driver per data dir. Two drivers sharing DIR would overwrite each other's state.json and sweep
// each other's copies in progress, so the second one must not start. Within a process a set of held
// dirs decides; across processes DIR/driver.pid does: it names the holder, and a file whose process
// is gone (killed, crashed) is taken over.
import * as fs from "node:fs/promises";
import * as path from "node:path";

export const LOCK_FILE = "driver.pid";

const heldInThisProcess = new Set<string>();

export interface DirLock {
  release(): Promise<void>;
}

export async function lockDataDir(root: string): Promise<DirLock> {
  if (heldInThisProcess.has(root)) throw new Error(`data dir ${root} is already served by a hostpath driver in this process`);
  heldInThisProcess.add(root);
  const file = path.join(root, LOCK_FILE);
  try {
    await claim(file);
  } catch (err) {
    heldInThisProcess.delete(root);
    throw err;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await fs.rm(file, { force: true });
      heldInThisProcess.delete(root);
    },
  };
}

async function claim(file: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: "wx", mode: 0o644 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = Number.parseInt(await fs.readFile(file, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(`data dir ${path.dirname(file)} is in use by hostpath driver process ${holder} (${file})`);
    }
    // The holder is gone: its file is stale.
    await fs.rm(file, { force: true });
  }
  throw new Error(`could not take ${file}: another driver is starting on the same data dir`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
