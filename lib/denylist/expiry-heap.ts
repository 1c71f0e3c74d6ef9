/**
 * A min-heap of expiry times, each with the key of what expires then, so that
 * whatever has expired is found by looking at the top only: O(log n) a push or
 * a pop, never a scan. Two parallel arrays rather than node objects, so that a
 * push allocates nothing (beyond the arrays' own growth).
 *
 * The heap knows nothing about its keys. When a key is forgotten or given
 * another expiry, its old node stays where it is: the caller recognises such
 * a stale node when it surfaces (its time no longer matches the key's) and
 * skips it, and calls `clear` and pushes the live keys again when stale nodes
 * pile up.
 */
export class ExpiryHeap<Key> {
  readonly #at: number[] = []
  readonly #keys: Key[] = []

  /** How many nodes it holds, stale ones included. */
  get size (): number {
    return this.#at.length
  }

  /** The earliest expiry; Infinity when the heap is empty, as nothing in it ever expires. */
  peekAt (): number {
    return this.#at.length === 0 ? Infinity : this.#at[0]
  }

  push (at: number, key: Key): void {
    const times = this.#at
    const keys = this.#keys
    let i = times.length
    times.push(at)
    keys.push(key)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (times[parent] <= at) break
      times[i] = times[parent]
      keys[i] = keys[parent]
      i = parent
    }
    times[i] = at
    keys[i] = key
  }

  /** Removes the node of the earliest expiry and returns its key; undefined when the heap is empty. */
  pop (): Key | undefined {
    const times = this.#at
    const keys = this.#keys
    const top = keys[0]
    // The last node fills the hole at the top, then sinks to its place.
    const at = times.pop() as number
    const key = keys.pop() as Key
    const size = times.length
    if (size === 0) return top
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= size) break
      if (child + 1 < size && times[child + 1] < times[child]) child++
      if (times[child] >= at) break
      times[i] = times[child]
      keys[i] = keys[child]
      i = child
    }
    times[i] = at
    keys[i] = key
    return top
  }

  /** Empties the heap, keeping nothing alive through it. */
  clear (): void {
    this.#at.length = 0
    this.#keys.length = 0
  }
}
