// The event backbone's public surface, for the CLI and for deployments that compose it differently.
export * from "./codec/index.js";
export * from "./jetstream/index.js";
export { EventPublisher, type PublisherOptions, type PublisherStats } from "./watcher/publisher.js";
export { startWatcher, type Watcher, type WatcherOptions, type WatcherStats } from "./watcher/watcher.js";
export { objectCloudEvent, objectEventId, objectEventType } from "./watcher/object-event.js";
export * from "./dispatcher/index.js";
export { readAudit, formatAuditLine, parseDuration, auditFilter, type AuditEntry, type AuditQuery } from "./audit/reader.js";
export { auditEventType, parseAuditType, deadLetterAuditEvent, type AuditOutcome, type DeadLetterAudit } from "./audit/record.js";
