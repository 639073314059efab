// `snapflow audit`: the audit trail from SNAPFLOW_AUDIT, one line per function outcome.
import type { Command } from "commander";
import { formatAuditLine, parseDuration, readAudit } from "../../events/audit/reader.js";
import { connectNats } from "../../events/jetstream/connect.js";
import { resolveNatsUrl } from "../stack/endpoints.js";
import { untilSignal } from "../stack/signals.js";

export function register(program: Command): void {
  program
    .command("audit")
    .description("print the audit trail (one line per function outcome)")
    .option("--uid <uid>", "only records about this object UID")
    .option("--function <name>", "only records of this function")
    .option("--since <duration>", "only records from the last DURATION (e.g. 90s, 15m, 2h, 7d)")
    .option("--follow", "keep printing new records until interrupted")
    .option("--json", "print each record as one JSON line")
    .option("--cluster <name>", "only this cluster (default: every cluster)")
    .option("--nats <url>", "NATS URL (default: $NATS_URL, else the local stack's endpoints.json, else nats://127.0.0.1:4222)")
    .option("--data-dir <dir>", "local stack directory to read endpoints.json from", ".snapflow")
    .action(async (o: { uid?: string; function?: string; since?: string; follow?: boolean; json?: boolean; cluster?: string; nats?: string; dataDir: string }) => {
      const since = o.since ? new Date(Date.now() - parseDuration(o.since)) : undefined;
      const nc = await connectNats(resolveNatsUrl(o.nats, o.dataDir), "snapflow-audit");
      const controller = new AbortController();
      if (o.follow) void untilSignal().then(() => controller.abort());
      try {
        await readAudit(nc, { cluster: o.cluster, uid: o.uid, function: o.function, since, follow: o.follow, signal: controller.signal }, (entry) => {
          process.stdout.write(`${o.json ? JSON.stringify(entry) : formatAuditLine(entry)}\n`);
        });
      } finally {
        await nc.close();
      }
    });
}
