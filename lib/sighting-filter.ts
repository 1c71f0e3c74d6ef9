// Which verified tokens have been seen before, so that only those enter the
// claims cache. A client that keeps its token sends it again and again: its
// second request admits it, and every later one is a cache hit. A token sent
// once (a crawler's, a batch job's, a mobile app waking up) would only take
// a cache entry that lives long enough to reach the old generation of the
// heap, evict a token that is reused, and cost a major collection to free.
//
// One fingerprint per slot, in a fixed table: a token's slot is taken over by
// the next token that lands there, so the table never grows, and forgetting a
// token only costs it one more verification. The fingerprint is read from the
// end of the signature, which is as random as a hash for a verified token and
// costs nothing to compute. Two tokens with one fingerprint only let the
// second into the cache one sighting early; only verified tokens are recorded,
// and a token is verified again with the keys of the day before it is cached.

/** Characters of the signature's end read into a fingerprint: 7 × 7 bits, exact in a double. */
const FINGERPRINT_CHARACTERS = 7

/** A token's fingerprint: read from its last characters (the end of its signature). */
export function fingerprintOf (token: string): number {
  // The leading 1 keeps every fingerprint apart from an empty slot's 0.
  let fingerprint = 1
  for (let index = token.length - FINGERPRINT_CHARACTERS; index < token.length; index++) {
    fingerprint = fingerprint * 128 + (token.charCodeAt(index) & 127)
  }
  return fingerprint
}

export class SightingFilter {
  readonly #slots: Float64Array
  readonly #mask: number

  /** `slots`: a power of two. */
  constructor (slots: number) {
    this.#slots = new Float64Array(slots)
    this.#mask = slots - 1
  }

  /** Whether a token of this fingerprint was recorded and not forgotten since. */
  has (fingerprint: number): boolean {
    return this.#slots[this.#slotOf(fingerprint)] === fingerprint
  }

  /** Records a verified token's fingerprint, in place of the one its slot held. */
  record (fingerprint: number): void {
    this.#slots[this.#slotOf(fingerprint)] = fingerprint
  }

  // The fingerprint's bits mixed before a few are kept: its low bits come
  // from the last characters alone, and the very last character of a
  // base64url signature takes only some of its 64 values (16 for HS256).
  #slotOf (fingerprint: number): number {
    let hash = (fingerprint >>> 0) ^ Math.floor(fingerprint / 0x1_0000_0000)
    hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b)
    hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b)
    return (hash ^ (hash >>> 16)) & this.#mask
  }
}
