import { describe, expect, it } from "vitest";
import { consumerConfig, DEFAULT_DELIVERY_POLICY } from "./consumers.js";
import { streamConfigs } from "./streams.js";
import { assertToken, auditSubject, consumerName, deadSubject, k8sFilter, k8sSubject, uidFromSubject, uidToken } from "./subjects.js";

describe("subjects (DESIGN: event contract)", () => {
  it("names events, audit records and dead letters per cluster, resource/function and uid", () => {
    expect(k8sSubject("east", "volumesnapshots", "0b1c")).toBe("snapflow.east.k8s.volumesnapshots.0b1c");
    expect(k8sFilter("east", "volumesnapshots")).toBe("snapflow.east.k8s.volumesnapshots.*");
    expect(auditSubject("east", "bind", "0b1c")).toBe("snapflow.east.audit.bind.0b1c");
    expect(deadSubject("east", "bind", "0b1c")).toBe("snapflow.east.dead.bind.0b1c");
    expect(uidFromSubject("snapflow.east.k8s.volumesnapshots.0b1c")).toBe("0b1c");
  });
  it("keeps a UID one subject token", () => {
    expect(uidToken("a.b*c>d e")).toBe("a_b_c_d_e");
    expect(uidToken("")).toBe("_");
  });
  it("rejects cluster and function names that would break subjects or durable names", () => {
    for (const bad of ["a.b", "a*", "a>", "a b", ""]) expect(() => assertToken("cluster name", bad)).toThrow(/invalid cluster name/);
    expect(consumerName("east-1", "bind", "volumesnapshots")).toBe("east-1_bind_volumesnapshots");
  });
});

describe("stream and consumer settings", () => {
  it("K8S: file storage, limits, duplicate window ≥ 2 min, bounded; AUDIT: audit and dead subjects, longer age", () => {
    const [k8s, audit] = streamConfigs();
    expect(k8s).toMatchObject({ name: "SNAPFLOW_K8S", subjects: ["snapflow.*.k8s.>"], storage: "file", retention: "limits" });
    expect(k8s!.duplicate_window).toBeGreaterThanOrEqual(120e9);
    expect(k8s!.max_age).toBeGreaterThan(0);
    expect(k8s!.max_bytes).toBeGreaterThan(0);
    // Every event is kept: with one message per subject, a clustered stream (nats-server 2.9) lost
    // events across a leader change (chaos:cluster stalled).
    expect(k8s!.max_msgs_per_subject).toBeUndefined();
    expect(audit).toMatchObject({ name: "SNAPFLOW_AUDIT", subjects: ["snapflow.*.audit.>", "snapflow.*.dead.>"], storage: "file" });
    expect(audit!.max_age).toBeGreaterThan(k8s!.max_age!);
    expect(() => streamConfigs({ duplicateWindowMs: 60_000 })).toThrow(/2 minutes/);
  });
  it("one durable pull consumer per function and resource: explicit ack, one filter subject, no back-off list by default", () => {
    const c = consumerConfig("east", "bind", "volumesnapshots", DEFAULT_DELIVERY_POLICY);
    expect(c).toMatchObject({ durable_name: "east_bind_volumesnapshots", filter_subject: "snapflow.east.k8s.volumesnapshots.*", ack_policy: "explicit", max_deliver: 10 });
    // A back-off list would override the dispatcher's nak delays from the second nak on (nats-server 2.9).
    expect(c.backoff).toBeUndefined();
    expect(c.ack_wait).toBe(30e9);
    const withBackoff = { ...DEFAULT_DELIVERY_POLICY, backoffMs: [60_000, 120_000] };
    expect(consumerConfig("east", "bind", "volumesnapshots", withBackoff).backoff).toEqual([30e9, 60e9, 120e9]);
    expect(() => consumerConfig("east", "bind", "volumesnapshots", { ...withBackoff, maxDeliver: 3 })).toThrow(/maxDeliver/);
  });
});
