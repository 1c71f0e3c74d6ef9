// Public keys as JSON Web Keys (RFC 7517), for the JWKS this instance
// publishes. Only the public members are ever written: the export of a
// public KeyObject has no private part to leak.
import { createHash, type KeyObject } from 'node:crypto'
import type { Algorithm } from '../options'

/** A public signing key as published: its key members, `kid`, `alg` and `use: 'sig'`. */
export interface PublicJwk {
  kty: string
  kid: string
  alg: Algorithm
  use: 'sig'
  [member: string]: string
}

/** The document a JWKS endpoint serves. */
export interface JwkSet {
  keys: PublicJwk[]
}

/** `publicKey` as a JWK naming its `kid` and `alg`. */
export function publicJwk (publicKey: KeyObject, kid: string, alg: Algorithm): PublicJwk {
  const members = publicKey.export({ format: 'jwk' }) as Record<string, string>
  return { ...members, kid, alg, use: 'sig' } as PublicJwk
}

// RFC 7638 §3.2: the members a thumbprint hashes, for each key type, in
// lexicographic order.
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x']
}

/**
 * The RFC 7638 thumbprint of a public key (SHA-256, base64url): a `kid`
 * that names the key without anyone choosing one, used for a single key.
 */
export function jwkThumbprint (publicKey: KeyObject): string {
  const members = publicKey.export({ format: 'jwk' }) as Record<string, string>
  const required = THUMBPRINT_MEMBERS[members.kty]
  const canonical = JSON.stringify(Object.fromEntries(required.map(name => [name, members[name]])))
  return createHash('sha256').update(canonical).digest('base64url')
}
