import * as fs from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeStaleSocket, socketPathOf } from "./endpoint.js";

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-endpoint-"));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("socketPathOf", () => {
  it("takes unix:///absolute/path", () => {
    expect(socketPathOf("unix:///run/csi/csi.sock")).toBe("/run/csi/csi.sock");
    expect(socketPathOf("unix:///run/csi/../csi.sock")).toBe("/run/csi.sock");
  });

  it("rejects a path too long for a unix socket address", () => {
    expect(() => socketPathOf(`unix:///${"d".repeat(120)}/csi.sock`)).toThrow(/longer than the 107 bytes/);
  });

  it.each(["/run/csi.sock", "unix://relative.sock", "unix:relative.sock", "tcp://127.0.0.1:10000", ""])("rejects %j", (endpoint) => {
    expect(() => socketPathOf(endpoint)).toThrow(/must be unix:\/\/\/absolute\/path\.sock/);
  });
});

describe("removeStaleSocket", () => {
  it("does nothing when there is no file", async () => {
    await removeStaleSocket(path.join(tmp, "absent.sock"));
  });

  it("refuses to replace a live socket or a regular file", async () => {
    const live = path.join(tmp, "live.sock");
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(live, resolve));
    try {
      await expect(removeStaleSocket(live)).rejects.toThrow(/in use/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const file = path.join(tmp, "file.sock");
    await fs.writeFile(file, "keep");
    await expect(removeStaleSocket(file)).rejects.toThrow(/not a socket/);
    expect(await fs.readFile(file, "utf8")).toBe("keep");
  });
});
