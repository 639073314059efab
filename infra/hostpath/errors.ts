// CSI answers every failure with a gRPC status code and a human-readable message (never details).
// Driver code throws CsiError; the gRPC layer turns it into the status. Messages name ids and names
// the caller sent but never parameters or secrets.
import { status } from "@grpc/grpc-js";

export class CsiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = "CsiError";
  }
}

export const invalidArgument = (message: string) => new CsiError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new CsiError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new CsiError(status.ALREADY_EXISTS, message);
export const outOfRange = (message: string) => new CsiError(status.OUT_OF_RANGE, message);
export const aborted = (message: string) => new CsiError(status.ABORTED, message);
export const failedPrecondition = (message: string) => new CsiError(status.FAILED_PRECONDITION, message);
export const internal = (message: string) => new CsiError(status.INTERNAL, message);
export const unavailable = (message: string) => new CsiError(status.UNAVAILABLE, message);
