// Where the verifier finds the key of a token and the token factory the key
// to sign with. Three kinds: one key (secretKey, or a key pair), a key set
// chosen by `kid` (keys, replaceable at run time with setKeys), and a remote
// JWKS (jwksUrl). Each builds its fast-jwt verifiers and signers once per
// key, never per token.
import { createVerifier } from 'fast-jwt'
import type { Algorithm } from '../options'
import type { JwkSet } from './jwk'
import type { Signing } from './signing'

/** The longest `kid` a key may have; a token naming a longer one names no key. */
export const MAX_KID_LENGTH = 256

/** fast-jwt's verifier: checks the structure, the algorithm and the signature, and returns the payload. */
export type VerifySignature = (token: string) => Record<string, unknown>

export interface KeySource {
  /**
   * The verifier for this token's key.
   * @throws JWTDecodeError (401) when the token names no key of the source.
   * @throws KeyNotLoaded when the key may exist but is not in hand yet (a remote JWKS).
   */
  verifierFor: (token: string) => VerifySignature
  /** The key new tokens are signed with now; undefined on a verify-only instance. */
  signing: () => Signing | undefined
  /** The public keys, as a JWKS document (a new copy on every call). */
  jwks: () => JwkSet
  /** `listener` runs whenever a key is removed or replaced, so that what was verified with it is forgotten. */
  onChange: (listener: () => void) => void
  /**
   * Called on every verification, cached or not, by a source whose keys age
   * (a remote JWKS): a client that only ever sends tokens verified before
   * must still make it look for removed keys. Absent on the others.
   */
  keepFresh?: () => void
}

/**
 * Thrown by a source whose keys are fetched (a remote JWKS) for a token whose
 * key is not in hand: `loading` settles once the source has looked for it
 * (rejecting with `FST_JWT_AUTH_JWKS_FAILED` when it could not), and the token
 * can then be verified again. Never reaches a client.
 */
export class KeyNotLoaded extends Error {
  constructor (readonly loading: Promise<void>) {
    super('The key of this token is not loaded yet')
    this.name = 'KeyNotLoaded'
  }
}

/** A verifier of signatures made with `key` by one of `algorithms`; the dates and claims are checked by the caller. */
export function createSignatureVerifier (key: string | Buffer, algorithms: Algorithm[]): VerifySignature {
  return createVerifier({
    key,
    algorithms,
    // Dates and claims are checked by name in token-verifier.ts.
    ignoreExpiration: true,
    ignoreNotBefore: true,
    cache: false
  }) as VerifySignature
}
