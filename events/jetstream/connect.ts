// One NATS connection per component, reconnecting for ever: a long-running watcher or dispatcher
// must outlive a nats-server restart.
import { connect, type NatsConnection } from "@nats-io/transport-node";

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
  });
}
