// Signs tokens with fast-jwt signers built once per key (and per custom
// header set), never per token.
import { createSigner } from 'fast-jwt'
import { ConfigError } from '../errors'
import type { Algorithm } from '../options'

type Sign = (payload: Record<string, unknown>) => string

/** What a key set or a single key signs with. */
export interface SigningKey {
  key: string | Buffer
  /** The algorithms `createAccessToken({ algorithm })` may choose; the first is the default. */
  algorithms: readonly Algorithm[]
  /** Written in every token's header; undefined for a single key. */
  kid: string | undefined
}

export interface Signing {
  readonly defaultAlgorithm: Algorithm
  /** @throws ConfigError for an algorithm this key does not sign with; TypeError for a `kid` in `headers` when the key writes its own. */
  signerFor: (algorithm: Algorithm, headers: Record<string, unknown> | undefined) => Sign
}

// Custom headers are fixed when a fast-jwt signer is built, so a signer is
// kept for each distinct header set; a few sets is the norm, and the bound
// keeps a caller that varies them from growing memory.
const MAX_HEADER_SIGNERS = 64

export function createSigning ({ key, algorithms, kid }: SigningKey): Signing {
  const signers = new Map<Algorithm, Sign>()
  for (const algorithm of algorithms) signers.set(algorithm, createSigner({ key, algorithm, kid }))
  const headerSigners = new Map<string, Sign>()

  return {
    defaultAlgorithm: algorithms[0],
    signerFor (algorithm, headers) {
      const sign = signers.get(algorithm)
      if (sign === undefined) {
        throw new ConfigError(kid === undefined
          ? `algorithm ${String(algorithm)} is not one of decodeAlgorithms`
          : `algorithm ${String(algorithm)} is not the signing key's (${algorithms[0]}, kid "${kid}")`)
      }
      if (headers === undefined) return sign
      if (kid !== undefined && 'kid' in headers) {
        throw new TypeError('headers cannot set "kid": tokens carry the kid of the key that signs them')
      }
      const json = JSON.stringify(headers)
      const cacheKey = algorithm + json
      let headerSign = headerSigners.get(cacheKey)
      if (headerSign === undefined) {
        if (headerSigners.size >= MAX_HEADER_SIGNERS) headerSigners.delete(headerSigners.keys().next().value as string)
        // fast-jwt keeps the header object it is given: hand it a copy made from
        // the cache key, so that a caller mutating its own object later cannot
        // change the header of tokens signed for another header set.
        const header = { ...JSON.parse(json) as Record<string, unknown>, alg: algorithm }
        headerSign = createSigner({ key, algorithm, kid, header })
        headerSigners.set(cacheKey, headerSign)
      }
      return headerSign
    }
  }
}
