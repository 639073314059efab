// Bounds concurrent calls per function.
export class Semaphore {
  private waiters: Array<() => void> = [];
  private active = 0;

  constructor(private readonly limit: number) {
    if (limit < 1) throw new Error("concurrency must be at least 1");
  }

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }

  get inUse(): number {
    return this.active;
  }
}
