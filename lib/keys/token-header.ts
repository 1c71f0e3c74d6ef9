// Reads the `kid` and `alg` of a token's header, to choose the key that
// verifies it. Nothing read here is trusted: the chosen key's verifier still
// checks the algorithm and the signature over this very header.
import { invalidTokenError } from '../errors'

export interface KeyHeader {
  /** undefined when the header has none. */
  kid: string | undefined
  alg: unknown
}

export function readKeyHeader (token: string): KeyHeader {
  const end = token.indexOf('.')
  if (end < 1) throw invalidTokenError('Malformed token')
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString())
  } catch {
    throw invalidTokenError('Malformed token')
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw invalidTokenError('Malformed token')
  }
  // Own members only: a kid inherited from a polluted prototype is no kid.
  const kid = Object.hasOwn(header, 'kid') ? (header as { kid: unknown }).kid : undefined
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) throw invalidTokenError('Invalid "kid" header')
  const alg = Object.hasOwn(header, 'alg') ? (header as { alg: unknown }).alg : undefined
  return { kid, alg }
}
