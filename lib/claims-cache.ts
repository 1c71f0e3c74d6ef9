// Verified claims by the exact token string. A client sends the same access
// token for its whole life, so its signature is checked once; the caller still
// re-checks `exp` and `nbf` on every hit. Bounded: when full, the oldest entry
// goes first (insertion order), which keeps a hit to one Map lookup.
export class ClaimsCache<V> {
  readonly #entries = new Map<string, V>()
  readonly #maxEntries: number

  constructor (maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get (token: string): V | undefined {
    return this.#entries.get(token)
  }

  set (token: string, value: V): void {
    if (this.#entries.size >= this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string)
    }
    this.#entries.set(token, value)
  }

  delete (token: string): void {
    this.#entries.delete(token)
  }

  get size (): number {
    return this.#entries.size
  }
}
