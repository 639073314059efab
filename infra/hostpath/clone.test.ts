import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { supportsReflink } from "./copy.js";

const run = promisify(execFile);

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-clone-"));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// Why core.ts stageInto() never hands a live volume to cloneTree(): `cp -a` ("-P: never follow
// symbolic links in SOURCE") does not follow a symlink it finds, but it finds each directory by lstat
// of its path and then opens it by that path again (opendir, no O_NOFOLLOW; coreutils 9.1 under
// strace), and reaches every entry below by its full path. An application that swaps a directory for
// a symlink between the two gets what the symlink points to cloned into the copy. A preloaded
// opendir() makes the swap at exactly that moment. Should a later `cp` stop following, this fails,
// and live volumes could go back to the clone engine.
describe.skipIf(process.platform !== "linux" || !has("cc") || !has("cp"))("cp -a, the clone engine's walk", () => {
  it("follows a directory swapped for a symlink between its lstat and its opendir", async () => {
    const shim = path.join(tmp, "swap.c");
    await fs.writeFile(
      shim,
      `#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static int swapped;
DIR *opendir(const char *name) {
  DIR *(*real)(const char *) = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
  const char *at = getenv("SWAP_AT");
  if (!swapped && at && strcmp(name, at) == 0) {
    swapped = 1;
    if (rename(at, getenv("SWAP_MOVED")) != 0 || symlink(getenv("SWAP_TO"), at) != 0) abort();
  }
  return real(name);
}
`,
    );
    const lib = path.join(tmp, "swap.so");
    await run("cc", ["-shared", "-fPIC", "-o", lib, shim, "-ldl"]);

    const volume = path.join(tmp, "volume");
    const outside = path.join(tmp, "outside");
    await fs.mkdir(path.join(volume, "sub"), { recursive: true });
    await fs.writeFile(path.join(volume, "sub", "a"), "mine");
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, "a"), "SECRET");

    // cloneTree()'s own flags; --reflink=always only where this filesystem has reflinks, as it
    // changes how each file's data is copied, not how the tree is walked.
    const flags = ["-a", ...((await supportsReflink(tmp)) ? ["--reflink=always"] : []), "--no-target-directory"];
    const copy = path.join(tmp, "copy");
    await run("cp", [...flags, volume, copy], {
      env: {
        ...process.env,
        LD_PRELOAD: lib,
        SWAP_AT: path.join(volume, "sub"),
        SWAP_MOVED: path.join(volume, "moved"),
        SWAP_TO: outside,
      },
    });
    expect((await fs.lstat(path.join(volume, "sub"))).isSymbolicLink()).toBe(true);
    expect((await fs.lstat(path.join(copy, "sub"))).isDirectory()).toBe(true);
    expect(await fs.readFile(path.join(copy, "sub", "a"), "utf8")).toBe("SECRET");
  });
});
