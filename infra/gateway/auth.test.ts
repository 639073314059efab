import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGatewayToken } from "./auth.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gateway-token-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readGatewayToken", () => {
  it("reads a token file, trimmed, in preference to the environment", async () => {
    const file = join(dir, "token");
    await writeFile(file, "  file-token\n");
    expect(await readGatewayToken(file, { SNAPFLOW_GATEWAY_TOKEN: "env-token" })).toBe("file-token");
  });

  it("falls back to SNAPFLOW_GATEWAY_TOKEN", async () => {
    expect(await readGatewayToken(undefined, { SNAPFLOW_GATEWAY_TOKEN: "env-token" })).toBe("env-token");
  });

  it("refuses an empty file and a missing token, saying how to give one", async () => {
    const empty = join(dir, "empty");
    await writeFile(empty, "\n");
    await expect(readGatewayToken(empty, {})).rejects.toThrow(`token file ${empty} is empty`);
    await expect(readGatewayToken(undefined, {})).rejects.toThrow("pass --token-file FILE or set SNAPFLOW_GATEWAY_TOKEN");
  });
});
