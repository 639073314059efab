// At most `max` connections, each serving one request at a time; requests beyond that wait in
// arrival order for the next connection to come free. The most recently freed connection is
// handed out first (like node:http's Agent), so sequential calls stay on one warm connection —
// undici's Pool instead skips a connection for an event-loop turn after each answer and opens
// another one meanwhile.

export interface SlotWaiter<T> {
  start(slot: T): void;
}

export class ConnectionSlots<T> {
  private readonly all: T[] = [];
  private readonly idle: T[] = [];
  private readonly waiting: SlotWaiter<T>[] = [];

  constructor(
    private readonly max: number,
    private readonly open: () => T,
  ) {
    if (!(max >= 1)) throw new Error(`connection limit must be at least 1, got ${max}`);
  }

  /** Starts `waiter` on a free connection now, or once one is released. */
  acquire(waiter: SlotWaiter<T>): void {
    let slot = this.idle.pop();
    if (slot === undefined && this.all.length < this.max) {
      slot = this.open();
      this.all.push(slot);
    }
    if (slot === undefined) this.waiting.push(waiter);
    else waiter.start(slot);
  }

  /** The request on `slot` is over (answered or failed): it serves the next waiter, or idles. */
  release(slot: T): void {
    const next = this.waiting.shift();
    if (next) next.start(slot);
    else this.idle.push(slot);
  }

  /** Every connection opened so far. */
  connections(): readonly T[] {
    return this.all;
  }
}
