// One unary gRPC call made straight on a grpc-js channel (channel.createCall), with the outcomes a
// generated client's makeUnaryRequest gives. The client path adds, per call, an interceptor chain,
// a ClientUnaryCall event emitter and a captured caller stack trace (new Error()) that the gateway
// never shows: about 70 µs of CPU per call, more than a tenth of a whole gateway call. The
// channel below (resolving, retrying, load-balancing, subchannel calls, deadline timer,
// reconnects) stays grpc-js's own.
import * as grpc from "@grpc/grpc-js";

/** A failed call as grpc-js reports it (a ServiceError without the caller stack). */
export type UnaryCallError = Error & grpc.StatusObject;

function statusError(status: grpc.StatusObject): UnaryCallError {
  return Object.assign(new Error(`${status.code} ${grpc.status[status.code]}: ${status.details}`), status);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function unaryCall<Req, Res>(
  channel: grpc.ChannelInterface,
  method: grpc.MethodDefinition<Req, Res>,
  request: Req,
  deadline: grpc.Deadline,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    let serialized: Buffer;
    try {
      serialized = method.requestSerialize(request);
    } catch (err) {
      reject(statusError({ code: grpc.status.INTERNAL, details: `Request message serialization failure: ${errorMessage(err)}`, metadata: new grpc.Metadata() }));
      return;
    }
    const call = channel.createCall(method.path, deadline, undefined, null, undefined);
    let response: { message: Res } | undefined;
    let failure: grpc.StatusObject | undefined;
    call.start(new grpc.Metadata(), {
      onReceiveMetadata() {},
      onReceiveMessage(message: Buffer) {
        if (response) {
          call.cancelWithStatus(grpc.status.UNIMPLEMENTED, "Too many responses received");
          return;
        }
        try {
          response = { message: method.responseDeserialize(message) };
        } catch (err) {
          failure = { code: grpc.status.INTERNAL, details: `Response message parsing error: ${errorMessage(err)}`, metadata: new grpc.Metadata() };
          call.cancelWithStatus(failure.code, failure.details);
        }
      },
      onReceiveStatus(received) {
        const status = failure ?? received;
        if (status.code !== grpc.status.OK) reject(statusError(status));
        else if (!response) reject(statusError({ code: grpc.status.UNIMPLEMENTED, details: "No message received", metadata: status.metadata }));
        else resolve(response.message);
      },
    });
    call.startRead();
    call.sendMessageWithContext({}, serialized);
    call.halfClose();
  });
}
