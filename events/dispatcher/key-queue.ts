// One call per object at a time for a function, as upstream's work queue never hands a key to two
// workers at once. An event of an object whose previous event is still with the function waits
// beside it; a newer one replaces a waiting one (the object's state is re-read anyway). Without it,
// a burst of changes to one object ran the function on the same object several times in parallel,
// and the extra calls ended in 409s or did nothing.

export type Offer<M> = { run: true } | { run: false; superseded: M | undefined };

export class KeyQueue<M> {
  /** A key present is running; its value is the message waiting behind it, if any. */
  private readonly keys = new Map<string, M | undefined>();
  private waitingCount = 0;

  /** `order(m)`: the message's position in the stream, to keep the newer of two waiting ones. */
  constructor(private readonly order: (m: M) => number) {}

  /**
   * Run `m` now (its key is idle), or keep it until the running one is done. Of two waiting for one
   * key the newer stays; the other is `superseded` (the caller settles it).
   */
  offer(key: string, m: M): Offer<M> {
    if (!this.keys.has(key)) {
      this.keys.set(key, undefined);
      return { run: true };
    }
    const waiting = this.keys.get(key);
    if (waiting === undefined) {
      this.waitingCount++;
      this.keys.set(key, m);
      return { run: false, superseded: undefined };
    }
    if (this.order(m) < this.order(waiting)) return { run: false, superseded: m };
    this.keys.set(key, m);
    return { run: false, superseded: waiting };
  }

  /** The running call of `key` is over: the message to run next for it (the key stays busy), if any. */
  done(key: string): M | undefined {
    const next = this.keys.get(key);
    if (next === undefined) {
      this.keys.delete(key);
      return undefined;
    }
    this.waitingCount--;
    this.keys.set(key, undefined);
    return next;
  }

  /** Every message waiting behind a running one. */
  *waiting(): IterableIterator<M> {
    for (const m of this.keys.values()) if (m !== undefined) yield m;
  }

  get waitingSize(): number {
    return this.waitingCount;
  }
}
