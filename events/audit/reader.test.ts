import { describe, expect, it } from "vitest";
import { auditFilter, formatAuditLine, toAuditEntry } from "./reader.js";
import { deadLetterAuditEvent, parseAuditType } from "./record.js";
import { cloudEventJson } from "../codec/index.js";

describe("audit records", () => {
  it("reads function and verdict from the type", () => {
    expect(parseAuditType("dev.snapflow.audit.bind.succeeded")).toEqual({ function: "bind", outcome: "succeeded" });
    expect(parseAuditType("dev.snapflow.k8s.volumesnapshots.added")).toBeUndefined();
  });
  it("filters by cluster and uid", () => {
    expect(auditFilter()).toBe("snapflow.*.audit.>");
    expect(auditFilter("east", "u-1")).toBe("snapflow.east.audit.*.u-1");
    expect(auditFilter(undefined, undefined, "bind")).toBe("snapflow.*.audit.bind.*");
    expect(auditFilter("east", "u-1", "bind")).toBe("snapflow.east.audit.bind.u-1");
  });
  it("turns the framework's record into one line", () => {
    const entry = toAuditEntry(
      { type: "dev.snapflow.audit.invoke.retried", subject: "u-1", cluster: "east", time: "2026-01-01T00:00:00Z", namespace: "ns", name: "snap", id: "x" },
      { outcome: "requeue", did: ["called CreateSnapshot"], status: 503, retryAfterMs: 2000, message: "not ready", durationMs: 4.4 },
    );
    expect(formatAuditLine(entry)).toBe("2026-01-01T00:00:00Z  invoke     retried    ns/snap  uid=u-1  [requeue] — called CreateSnapshot — not ready — HTTP 503 — retry in 2000 ms — 4 ms");
  });
  it("the dispatcher's dead-letter record is a failed audit event", () => {
    const event = deadLetterAuditEvent({ function: "bind", cluster: "east", uid: "u-1", outcome: "failed", deadLettered: true, reason: "HTTP 422", httpStatus: 422, deliveries: 1, event: { id: "u-1.3.added", name: "snap", namespace: "ns" } });
    expect(event.attributes).toMatchObject({ type: "dev.snapflow.audit.bind.failed", subject: "u-1", id: "u-1.3.added.dead.bind.1", name: "snap" });
    const entry = toAuditEntry(event.attributes, cloudEventJson(event));
    expect(entry.summary).toBe("HTTP 422 — dead-lettered after 1 deliveries");
    expect(entry.summary).not.toContain("HTTP 422 — HTTP 422");
  });
});
