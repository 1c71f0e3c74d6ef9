// Which verified tokens have been seen before, so that only those enter the
// claims cache. A client that keeps its token sends it again and again: its
// second request admits it, and every later one is a cache hit. A token sent
// once (a crawler's, a batch job's, a mobile app waking up) would only take
// a cache entry that lives long enough to reach the old generation of the
// heap, evict a token that is reused, and cost a major collection to free.
//
// One fingerprint per slot, in a fixed table: a token's slot is taken over by
// the next token that lands there, so the table never grows, and forgetting a
// token only costs it one more verification. Two tokens with one fingerprint
// only let the second into the cache one sighting early (and tokens whose
// hashes collide share a slot); only verified tokens are recorded, and a
// token is verified again with the keys of the day before it is cached.
import { fingerprintHash } from './token-fingerprint'

export class SightingFilter {
  readonly #slots: Float64Array
  readonly #mask: number

  /** `slots`: a power of two. */
  constructor (slots: number) {
    // A slot is chosen by masking the hash's low bits.
    if (!Number.isSafeInteger(slots) || slots < 1 || (slots & (slots - 1)) !== 0) {
      throw new RangeError('slots must be a power of two')
    }
    this.#slots = new Float64Array(slots)
    this.#mask = slots - 1
  }

  /** Whether a token of this fingerprint (token-fingerprint.ts) was recorded and not forgotten since. */
  has (fingerprint: number): boolean {
    return this.#slots[fingerprintHash(fingerprint) & this.#mask] === fingerprint
  }

  /** Records a verified token's fingerprint, in place of the one its slot held. */
  record (fingerprint: number): void {
    this.#slots[fingerprintHash(fingerprint) & this.#mask] = fingerprint
  }
}
