// The read side of WHATWG Headers over name/value pairs that are already lower-case and valid (the
// dispatcher's copy of an event's NATS headers): what the framework reads of a request, without
// building a Headers object — a good part of a Request's cost for in-process delivery.
export interface HeaderSource {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(callback: (value: string, name: string) => void): void;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

export class PairHeaders implements HeaderSource {
  private readonly byName = new Map<string, string>();

  constructor(pairs: Iterable<readonly [string, string]>) {
    for (const [name, value] of pairs) {
      const key = name.toLowerCase();
      const previous = this.byName.get(key);
      // Repeated names combine as Headers does.
      this.byName.set(key, previous === undefined ? value : `${previous}, ${value}`);
    }
  }

  get(name: string): string | null {
    return this.byName.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.byName) callback(value, name);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.byName.entries();
  }
}
