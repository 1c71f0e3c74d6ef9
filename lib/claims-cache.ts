// Verified claims by the exact token string. A client sends the same access
// token for its whole life, so its signature is checked once; the caller still
// re-checks `exp` and `nbf` on every hit. Bounded: when full, the oldest entry
// goes first. The insertion order is kept in a ring of keys, so eviction is
// O(1): asking a full Map for its first key walks over the holes that
// deletions leave, which made every insertion slow once the cache was full.
export class ClaimsCache<V> {
  readonly #entries = new Map<string, V>()
  readonly #ring: Array<string | undefined>
  #next = 0

  constructor (maxEntries: number) {
    this.#ring = new Array(maxEntries)
  }

  get (token: string): V | undefined {
    return this.#entries.get(token)
  }

  /** Adds a token that is not in the cache (the verifier only adds misses). */
  set (token: string, value: V): void {
    const oldest = this.#ring[this.#next]
    if (oldest !== undefined) this.#entries.delete(oldest)
    this.#ring[this.#next] = token
    this.#next = (this.#next + 1) % this.#ring.length
    this.#entries.set(token, value)
  }

  get size (): number {
    return this.#entries.size
  }
}
