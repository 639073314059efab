// Exclusive async locks by key ("vol:<id>", "snapname:<name>", ...). A caller takes every key it
// needs in one acquire(); keys are taken in sorted order, so two callers can never deadlock.
export type Release = () => void;

export class KeyedLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(keys: readonly string[]): Promise<Release> {
    const ordered = [...new Set(keys)].sort();
    const releases: Release[] = [];
    for (const key of ordered) releases.push(await this.lockOne(key));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const release of releases.reverse()) release();
    };
  }

  async with<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(keys);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Keys currently held or waited for (for tests and diagnostics). */
  get busyKeys(): string[] {
    return [...this.tails.keys()];
  }

  private async lockOne(key: string): Promise<Release> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((resolve) => (unlock = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      unlock();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
