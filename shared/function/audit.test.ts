// The audit reply's Response: cheap to read in-process, and a Response in every other respect.
import { describe, expect, it } from "vitest";
import { auditResponse, plainAuditResponse } from "./audit.js";

const headers = { "content-type": "application/json", "ce-specversion": "1.0", "ce-type": "dev.snapflow.audit.f.succeeded", "ce-name": "n%C3%A4me" };
const body = JSON.stringify({ function: "f", outcome: "done", message: "näme ✓" });

describe("auditResponse", () => {
  it("is a Response with the status, headers and body it was given", async () => {
    const res = auditResponse(body, 503, headers);
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(503);
    expect(res.ok).toBe(false);
    expect(res.statusText).toBe("");
    expect(res.type).toBe("default");
    expect(res.headers.get("ce-type")).toBe("dev.snapflow.audit.f.succeeded");
    expect(Object.fromEntries(res.headers.entries())).toEqual(headers);
    expect(res.bodyUsed).toBe(false);
    expect(await res.json()).toEqual(JSON.parse(body));
    expect(res.bodyUsed).toBe(true);
  });

  it("reads as text, or as the exact UTF-8 bytes", async () => {
    expect(await auditResponse(body, 200, headers).text()).toBe(body);
    const bytes = new Uint8Array(await auditResponse(body, 200, headers).arrayBuffer());
    expect(bytes).toEqual(new TextEncoder().encode(body));
  });

  it("can be read once, like any Response", async () => {
    const res = auditResponse(body, 200, headers);
    await res.text();
    await expect(res.text()).rejects.toThrow(TypeError);
    await expect(res.arrayBuffer()).rejects.toThrow(TypeError);
    await expect(res.json()).rejects.toThrow(TypeError);
  });

  it("has a body stream, blob and clone (from a native Response made on demand)", async () => {
    const streamed = auditResponse(body, 200, headers);
    expect(streamed.headers.get("ce-name")).toBe("n%C3%A4me");
    expect(await new Response(streamed.body).text()).toBe(body);
    expect(streamed.bodyUsed).toBe(true);

    const cloned = auditResponse(body, 200, headers);
    const copy = cloned.clone();
    expect(await copy.text()).toBe(body);
    expect(await cloned.text()).toBe(body);
    expect(copy.status).toBe(200);

    expect(await (await auditResponse(body, 200, headers).blob()).text()).toBe(body);
  });

  it("is plain (status, body, header record) for a server only while nothing read or touched it", async () => {
    expect(plainAuditResponse(auditResponse(body, 200, headers))).toEqual({ status: 200, body, headers });
    const touched = auditResponse(body, 200, headers);
    touched.headers.set("x-extra", "1");
    expect(plainAuditResponse(touched)).toBeUndefined();
    const read = auditResponse(body, 200, headers);
    await read.text();
    expect(plainAuditResponse(read)).toBeUndefined();
    expect(plainAuditResponse(new Response(body))).toBeUndefined();
  });
});
