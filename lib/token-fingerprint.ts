// A cheap stand-in for a token's identity: read from its last characters,
// the end of its signature, which varies as much as a hash over the tokens a
// key signs, and costs a few character reads instead of hashing the whole
// token (some hundred characters: what a Map keyed by the token string pays
// on every lookup, since every request brings a new string). It is no
// secret: anyone holding many valid tokens can look for two of one hash.
// So nothing trusts it alone: whoever finds a token by its fingerprint
// compares the whole token before using what it found, and a collision only
// costs the colliding token its place in the cache.

/** Characters read: 7 × 7 bits, exact in a double. */
const FINGERPRINT_CHARACTERS = 7

/** A token's fingerprint: a whole number below 2^50, never 0. */
export function fingerprintOf (token: string): number {
  // The leading 1 keeps every fingerprint apart from 0, an empty slot.
  let fingerprint = 1
  for (let index = token.length - FINGERPRINT_CHARACTERS; index < token.length; index++) {
    fingerprint = fingerprint * 128 + (token.charCodeAt(index) & 127)
  }
  return fingerprint
}

/**
 * The fingerprint's bits mixed into 30: a small integer, which V8 keeps
 * unboxed and a Map hashes at once. Mixed because the low bits come from the
 * last characters alone, and the very last character of a base64url
 * signature takes only some of its 64 values (16 for HS256).
 */
export function fingerprintHash (fingerprint: number): number {
  let hash = (fingerprint >>> 0) ^ Math.floor(fingerprint / 0x1_0000_0000)
  hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b)
  hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b)
  return (hash ^ (hash >>> 16)) & 0x3fff_ffff
}
