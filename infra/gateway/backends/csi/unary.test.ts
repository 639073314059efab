import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unaryCall, type UnaryCallError } from "./unary.js";

interface Echo {
  text: string;
  delayMs?: number;
  fail?: number;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (buf: Buffer) => JSON.parse(buf.toString("utf8")) as Echo,
};

function method(path: string): grpc.MethodDefinition<Echo, Echo> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

const ECHO = method("/test.Echo/Echo");
// Answers bytes that are not JSON, so the client's deserializer throws.
const GARBLED = { ...method("/test.Echo/Garbled"), responseSerialize: () => Buffer.from("not json") };

async function failure(p: Promise<unknown>): Promise<UnaryCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as UnaryCallError;
}

describe("unaryCall on a grpc-js channel", () => {
  let dir: string;
  let server: grpc.Server;
  let channel: grpc.Channel;
  const deadline = () => Date.now() + 5000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "unary-"));
    server = new grpc.Server();
    const handler: grpc.handleUnaryCall<Echo, Echo> = (call, callback) => {
      const { text, delayMs, fail } = call.request;
      setTimeout(() => {
        if (fail) callback({ code: fail, details: `refused ${text}` });
        else callback(null, { text: `echo ${text}` });
      }, delayMs ?? 0);
    };
    server.addService({ Echo: ECHO, Garbled: GARBLED } as grpc.ServiceDefinition, { Echo: handler, Garbled: handler });
    const address = `unix://${join(dir, "echo.sock")}`;
    await new Promise<void>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    channel = new grpc.Channel(address, grpc.credentials.createInsecure(), {});
  });
  afterAll(async () => {
    channel.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it("answers the decoded response", async () => {
    expect(await unaryCall(channel, ECHO, { text: "hi" }, deadline())).toEqual({ text: "echo hi" });
  });

  it("fails with the status as a generated client reports it", async () => {
    const err = await failure(unaryCall(channel, ECHO, { text: "x", fail: grpc.status.NOT_FOUND }, deadline()));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe("refused x");
    expect(err.message).toBe("5 NOT_FOUND: refused x");
    expect(err.metadata).toBeInstanceOf(grpc.Metadata);
  });

  it("fails DEADLINE_EXCEEDED when the answer comes after the deadline", async () => {
    const err = await failure(unaryCall(channel, ECHO, { text: "late", delayMs: 2000 }, Date.now() + 100));
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it("fails INTERNAL when the response cannot be decoded", async () => {
    const err = await failure(unaryCall(channel, GARBLED, { text: "g" }, deadline()));
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toMatch(/^Response message parsing error: /);
  });

  it("fails INTERNAL without sending when the request cannot be encoded", async () => {
    const circular: Echo & { self?: unknown } = { text: "loop" };
    circular.self = circular;
    const err = await failure(unaryCall(channel, ECHO, circular, deadline()));
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toMatch(/^Request message serialization failure: /);
  });

  it("fails UNAVAILABLE when nothing listens", async () => {
    const nowhere = new grpc.Channel(`unix://${join(dir, "nobody.sock")}`, grpc.credentials.createInsecure(), {});
    try {
      const err = await failure(unaryCall(nowhere, ECHO, { text: "?" }, Date.now() + 2000));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      nowhere.close();
    }
  });
});
