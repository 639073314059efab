// A real nats-server per test file: JetStream store in a temp dir, a free port, removed afterwards.
// `restart()` brings it back on the same port and store (for crash tests after `kill()`).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer, type NatsServerHandle } from "../../cli/stack/nats-server.js";

export interface TestNats {
  url: string;
  port: number;
  dir: string;
  /** kill -9 */
  kill(): Promise<void>;
  /** Start again on the same port and store. */
  restart(): Promise<void>;
  /** Stop the server and delete its directory. */
  close(): Promise<void>;
}

export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), "snapflow-nats-"));
  let server: NatsServerHandle = await startNatsServer({ dir });
  const port = server.port;
  return {
    url: server.url,
    port,
    dir,
    kill: () => server.kill(),
    async restart() {
      await server.kill();
      server = await startNatsServer({ dir, port });
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
