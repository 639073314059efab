// Reader/writer async locks by key ("vol:<id>", "snapname:<name>", ...). A caller takes every key it
// needs in one acquire(), each either shared (it only reads what the key guards: the source of a
// restore, clone or snapshot) or exclusive (it changes it, or must see nobody else change it). Keys
// are taken in sorted order, so two callers can never deadlock; waiters are served first come, first
// served, so a writer is never starved by a stream of readers (a reader arriving behind a waiting
// writer waits too).
export type Release = () => void;

/** A plain list means every key exclusive. */
export type LockRequest = readonly string[] | { exclusive?: readonly string[]; shared?: readonly string[] };

type Mode = "shared" | "exclusive";

interface Waiter {
  mode: Mode;
  grant: () => void;
}

class RwLock {
  readers = 0;
  writer = false;
  readonly waiting: Waiter[] = [];

  get idle(): boolean {
    return this.readers === 0 && !this.writer && this.waiting.length === 0;
  }

  acquire(mode: Mode): Promise<void> | undefined {
    if (this.waiting.length === 0 && this.admits(mode)) {
      this.take(mode);
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push({ mode, grant: resolve }));
  }

  release(mode: Mode): void {
    if (mode === "exclusive") this.writer = false;
    else this.readers--;
    while (this.waiting.length > 0 && this.admits(this.waiting[0]!.mode)) {
      const next = this.waiting.shift()!;
      this.take(next.mode);
      next.grant();
    }
  }

  private admits(mode: Mode): boolean {
    return mode === "shared" ? !this.writer : !this.writer && this.readers === 0;
  }

  private take(mode: Mode): void {
    if (mode === "exclusive") this.writer = true;
    else this.readers++;
  }
}

export class KeyedLocks {
  private readonly locks = new Map<string, RwLock>();

  async acquire(request: LockRequest): Promise<Release> {
    const wanted = modesOf(request);
    const releases: Release[] = [];
    for (const key of [...wanted.keys()].sort()) releases.push(await this.lockOne(key, wanted.get(key)!));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const release of releases.reverse()) release();
    };
  }

  async with<T>(request: LockRequest, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(request);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Keys currently held or waited for (for tests and diagnostics). */
  get busyKeys(): string[] {
    return [...this.locks.keys()];
  }

  private async lockOne(key: string, mode: Mode): Promise<Release> {
    let lock = this.locks.get(key);
    if (!lock) this.locks.set(key, (lock = new RwLock()));
    const waiting = lock.acquire(mode);
    if (waiting) await waiting;
    const held = lock;
    return () => {
      held.release(mode);
      if (held.idle && this.locks.get(key) === held) this.locks.delete(key);
    };
  }
}

/** Each key once; a key asked for both ways is exclusive. */
function modesOf(request: LockRequest): Map<string, Mode> {
  const modes = new Map<string, Mode>();
  const exclusive = isList(request) ? request : (request.exclusive ?? []);
  const shared = isList(request) ? [] : (request.shared ?? []);
  for (const key of shared) modes.set(key, "shared");
  for (const key of exclusive) modes.set(key, "exclusive");
  return modes;
}

function isList(request: LockRequest): request is readonly string[] {
  return Array.isArray(request);
}
