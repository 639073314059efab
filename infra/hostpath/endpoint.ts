// CSI endpoints are unix sockets given as unix:///absolute/path.sock. A socket file left by a driver
// that died is removed before binding; one that still answers belongs to a live driver and is kept.
import * as fs from "node:fs/promises";
import * as net from "node:net";
import * as path from "node:path";

/** Linux's sockaddr_un holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export function socketPathOf(endpoint: string): string {
  const match = /^unix:\/\/(\/.*)$/.exec(endpoint);
  if (!match || !path.isAbsolute(match[1]!)) {
    throw new Error(`endpoint ${JSON.stringify(endpoint)} must be unix:///absolute/path.sock`);
  }
  const socketPath = path.normalize(match[1]!);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`socket path ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a unix socket address can hold`);
  }
  return socketPath;
}

export async function removeStaleSocket(socketPath: string): Promise<void> {
  let info;
  try {
    info = await fs.lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!info.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) throw new Error(`${socketPath} is in use by a running process`);
  await fs.rm(socketPath, { force: true });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
