// A tiny level-triggered work queue: keys are de-duplicated while pending, processed one at a time,
// and re-queued after a short delay when the handler fails (typically a 409 from a racing write).
export class WorkQueue {
  private readonly pending = new Set<string>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly onError: (key: string, e: unknown) => void = () => undefined,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.size > 0 && !this.stopped) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      try {
        await this.handler(key);
      } catch (e) {
        this.onError(key, e);
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          this.add(key);
        }, 50);
        this.retryTimers.add(t);
      }
    }
    this.running = undefined;
    if (this.pending.size > 0 && !this.stopped) this.running = this.drain();
  }

  /** Resolves when nothing is pending or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    while (this.running) await this.running;
  }
}
