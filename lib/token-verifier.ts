// Verifies a token's signature and claims. Stricter than fast-jwt's defaults:
// each extra rule closes a known hole (huge tokens parsed before the signature
// is checked, infinite or mistyped dates, iat in the future, aud/iss required
// only when present). Verified claims are cached by the exact token string.
import { createVerifier, TokenError } from 'fast-jwt'
import { ClaimsCache } from './claims-cache'
import type { AuthJwtConfig } from './config'
import { expiredTokenError, invalidTokenError, type JWTDecodeError } from './errors'
import type { AuthJwtClaims } from './options'

/** Longer tokens are refused before anything is decoded. */
export const MAX_TOKEN_LENGTH = 16 * 1024

// About 5 MB of typical tokens; enough for every active user of a large app.
const CLAIMS_CACHE_SIZE = 10_000

export type VerifyToken = (token: string) => AuthJwtClaims

export function createTokenVerifier (config: AuthJwtConfig): VerifyToken {
  const leeway = config.decodeLeeway * 1000
  const requiredClaims = ['sub']
  if (config.decodeAudience !== undefined) requiredClaims.push('aud')
  if (config.decodeIssuer !== undefined) requiredClaims.push('iss')

  const verifySignature = createVerifier({
    key: config.keys.verifyingKey,
    algorithms: config.decodeAlgorithms,
    clockTolerance: leeway,
    allowedAud: config.decodeAudience,
    allowedIss: config.decodeIssuer,
    requiredClaims,
    cache: false
  })
  const cache = new ClaimsCache<AuthJwtClaims>(CLAIMS_CACHE_SIZE)

  return function verifyToken (token: string): AuthJwtClaims {
    if (token.length > MAX_TOKEN_LENGTH) throw invalidTokenError('Token is too large')
    const now = Date.now()
    let claims = cache.get(token)
    if (claims === undefined) {
      try {
        claims = verifySignature(token) as AuthJwtClaims
      } catch (error) {
        throw translateError(error)
      }
      checkClaimTypes(claims)
      if (claims.iat !== undefined && claims.iat * 1000 > now + leeway) {
        throw invalidTokenError('The token is not yet valid (iat)')
      }
      claims = deepFreeze(claims)
      cache.set(token, claims)
    }
    // Again on a cache hit: a token cached while valid expires in the cache too.
    if (claims.exp !== undefined && now >= claims.exp * 1000 + leeway) throw expiredTokenError()
    if (claims.nbf !== undefined && now < claims.nbf * 1000 - leeway) {
      throw invalidTokenError('The token is not yet valid (nbf)')
    }
    return claims
  }
}

const DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const

function checkClaimTypes (claims: AuthJwtClaims): void {
  for (const name of DATE_CLAIMS) {
    const value = claims[name]
    // JSON can encode 1e999, which parses to Infinity: a token that never expires.
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) {
      throw invalidTokenError(`Invalid "${name}" claim`)
    }
  }
  const { sub, type, jti, fresh, csrf } = claims
  if (!((typeof sub === 'string' && sub !== '') || (typeof sub === 'number' && Number.isFinite(sub)))) {
    throw invalidTokenError('Invalid "sub" claim')
  }
  if (type !== undefined && type !== 'access' && type !== 'refresh') throw invalidTokenError('Invalid "type" claim')
  if (jti !== undefined && (typeof jti !== 'string' || jti === '')) throw invalidTokenError('Invalid "jti" claim')
  if (fresh !== undefined && typeof fresh !== 'boolean' && !(typeof fresh === 'number' && Number.isFinite(fresh))) {
    throw invalidTokenError('Invalid "fresh" claim')
  }
  if (csrf !== undefined && typeof csrf !== 'string') throw invalidTokenError('Invalid "csrf" claim')
}

// Claims are shared by every request that sends the same token: a handler
// that changed them would change them for the next request.
function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

// fast-jwt's messages quote dates and claim values; ours are fixed strings.
function translateError (error: unknown): JWTDecodeError {
  if (!(error instanceof TokenError)) return invalidTokenError('Invalid token')
  // "The exp claim must be a number.", "None of aud claim values are allowed."
  const claim = /(\w+) claim\b/.exec(error.message)?.[1]
  switch (error.code) {
    case TokenError.codes.expired:
      return expiredTokenError()
    case TokenError.codes.inactive:
      return invalidTokenError('The token is not yet valid (nbf)')
    case TokenError.codes.invalidAlgorithm:
      return invalidTokenError('The specified alg value is not allowed')
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
    case TokenError.codes.verifyError:
      return invalidTokenError('Signature verification failed')
    case TokenError.codes.missingRequiredClaim:
      return invalidTokenError(`Token is missing the "${claim}" claim`)
    case TokenError.codes.invalidClaimType:
    case TokenError.codes.invalidClaimValue:
      if (claim === 'aud') return invalidTokenError('Invalid audience')
      if (claim === 'iss') return invalidTokenError('Invalid issuer')
      return invalidTokenError(`Invalid "${claim}" claim`)
    case TokenError.codes.invalidCritHeader:
      return invalidTokenError('Unsupported critical header')
    default:
      // malformed, a payload that is not a JSON object, and anything fast-jwt adds later
      return invalidTokenError('Malformed token')
  }
}
