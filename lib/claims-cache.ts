// Verified claims by the exact token string. A client sends the same access
// token for its whole life, so its signature is checked once; the caller still
// re-checks `exp` and `nbf` on every hit.
//
// Bounded twice: by a number of entries and by an estimate of the heap they
// hold, since one 16 KiB token of many small objects holds as much as a few
// hundred typical tokens. When either bound would be exceeded, the oldest
// entries go first. The insertion order is kept in a ring of entries and costs,
// so eviction is O(1) amortised (each entry is evicted at most once): asking
// a full Map for its first key walks over the holes that deletions leave,
// which made every insertion slow once the cache was full.
import { fingerprintHash, fingerprintOf } from './token-fingerprint'

// Heap sizes measured on 64-bit Node (no pointer compression, Node's default)
// with `node --expose-gc`, and rounded up: each counts what its kind of value
// can cost at most, so that the estimate stays above the real size whatever
// the shape of the claims (long strings, many small objects, property names
// no other token uses, deep nesting).

/** A cache entry itself: its object, its Map entry, its ring slots and the header of its token string. */
const ENTRY_BYTES = 128
/** An object or an array as JSON.parse builds it (an empty object takes 56). */
const CONTAINER_BYTES = 64
/** An array element's slot. */
const ELEMENT_BYTES = 8
/**
 * An object property: its slot, and the hidden class, descriptor and key
 * string header that a property name no other token uses brings along.
 */
const PROPERTY_BYTES = 192
/** A string's header; its characters count two bytes each (they may be UTF-16). */
const STRING_BYTES = 16
/** A number is boxed once its array is frozen. */
const NUMBER_BYTES = 16

/** No single entry may take more than this share of the byte budget. */
const MAX_ENTRY_SHARE = 16

export interface ClaimsCacheLimits {
  maxEntries: number
  /** The budget for the estimated heap of all entries. */
  maxBytes: number
  /** Longer keys are not cached. */
  maxKeyLength: number
}

class Entry<V> {
  constructor (readonly token: string, readonly value: V, readonly hash: number) {}
}

export class ClaimsCache<V> {
  // By the hash of the token's fingerprint (token-fingerprint.ts), a small
  // integer: a Map of token strings would hash the whole token on every
  // lookup. A hit is a hit only if the whole token is the same.
  // At most one entry per hash.
  readonly #entries = new Map<number, Entry<V>>()
  /** The entries in the order they came in, oldest at #oldest. */
  readonly #ring: Array<Entry<V> | undefined>
  readonly #costs: Float64Array
  readonly #maxBytes: number
  // Tokens are copied through it: no buffer is allocated for each copy.
  readonly #scratch: Buffer
  #oldest = 0
  #count = 0
  #bytes = 0

  constructor ({ maxEntries, maxBytes, maxKeyLength }: ClaimsCacheLimits) {
    this.#ring = new Array(maxEntries)
    this.#costs = new Float64Array(maxEntries)
    this.#maxBytes = maxBytes
    this.#scratch = Buffer.allocUnsafeSlow(maxKeyLength)
  }

  get (token: string): V | undefined {
    const entry = this.#entries.get(fingerprintHash(fingerprintOf(token)))
    return entry !== undefined && entry.token === token ? entry.value : undefined
  }

  /**
   * Adds a token that is not in the cache (the verifier only adds misses).
   * `valueBytes` is the heap its value holds, as `freezeClaims` estimates it.
   * An entry too large for its share of the budget is not cached at all, so
   * that one token never flushes much of the cache. Nor is a token whose
   * hash a cached token already has: the one cached stays, and the other is
   * verified on each of its requests. (Replacing it would let two tokens of
   * one hash, sent in turn, push a new entry on every request and flush
   * everybody else's.)
   */
  set (token: string, value: V, valueBytes: number): void {
    const cost = ENTRY_BYTES + token.length + valueBytes
    if (cost > this.#maxBytes / MAX_ENTRY_SHARE) return
    const hash = fingerprintHash(fingerprintOf(token))
    if (this.#entries.has(hash)) return
    // The token may be a slice of a much larger string (a Cookie header, a
    // URL), which the cache would keep alive whole; a copy holds the token alone.
    const copy = this.#scratch.toString('latin1', 0, this.#scratch.write(token, 0, 'latin1'))
    // A JWT is ASCII. A token the copy changed (cut at maxKeyLength, or with
    // a character beyond Latin-1) is not cached, rather than stored as a
    // string that another token could match.
    if (copy !== token) return
    const capacity = this.#ring.length
    while (this.#count === capacity || this.#bytes + cost > this.#maxBytes) this.#evictOldest()
    const slot = (this.#oldest + this.#count) % capacity
    const entry = new Entry(copy, value, hash)
    this.#ring[slot] = entry
    this.#costs[slot] = cost
    this.#count++
    this.#bytes += cost
    this.#entries.set(hash, entry)
  }

  #evictOldest (): void {
    const slot = this.#oldest
    const entry = this.#ring[slot] as Entry<V>
    this.#entries.delete(entry.hash)
    this.#ring[slot] = undefined
    this.#bytes -= this.#costs[slot]
    this.#count--
    this.#oldest = (slot + 1) % this.#ring.length
  }

  /** Forgets every entry: the keys that verified them may be gone. */
  clear (): void {
    this.#entries.clear()
    this.#ring.fill(undefined)
    this.#oldest = 0
    this.#count = 0
    this.#bytes = 0
  }

  get size (): number {
    return this.#entries.size
  }

  /** The estimated heap the entries hold. */
  get bytes (): number {
    return this.#bytes
  }
}

/**
 * Deep-freezes parsed claims and returns an estimate of the heap they hold.
 * Cached claims are shared by every request that sends the same token: a
 * handler that changed them would change them for the next request. The walk
 * keeps its own stack, so that no nesting depth can overflow the call stack,
 * and only makes one for claims that nest: it runs on every new token, and
 * most claims hold strings, numbers and booleans only.
 */
export function freezeClaims (claims: object): number {
  let bytes = 0
  let pending: object[] | undefined
  let value: object | undefined = claims
  while (value !== undefined) {
    if (!Object.isFrozen(value)) {
      Object.freeze(value)
      bytes += CONTAINER_BYTES
      if (Array.isArray(value)) {
        bytes += ELEMENT_BYTES * value.length
        for (const element of value) {
          if (typeof element === 'object' && element !== null) (pending ??= []).push(element)
          else bytes += primitiveBytes(element)
        }
      } else {
        const keys = Object.keys(value)
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]
          const member = (value as Record<string, unknown>)[key]
          bytes += PROPERTY_BYTES + 2 * key.length
          if (typeof member === 'object' && member !== null) (pending ??= []).push(member)
          else bytes += primitiveBytes(member)
        }
      }
    }
    value = pending?.pop()
  }
  return bytes
}

/** What a string or a number holds apart from its slot; a boolean or null holds nothing more. */
function primitiveBytes (value: unknown): number {
  if (typeof value === 'string') return STRING_BYTES + 2 * value.length
  return typeof value === 'number' ? NUMBER_BYTES : 0
}
