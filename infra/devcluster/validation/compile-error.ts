/** A CRD that kube-apiserver would refuse: a non-structural schema or a CEL rule that does not compile. */
export class CrdCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CrdCompileError";
  }
}
