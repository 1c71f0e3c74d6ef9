// Verifies a token's signature and claims. fast-jwt checks the structure, the
// algorithm and the signature; the claims are checked here, where each failure
// is known by name and gets a fixed message (fast-jwt's messages are English
// sentences that quote values, and are never read). Stricter than fast-jwt's
// defaults: each extra rule closes a known hole (huge tokens parsed before the
// signature is checked, infinite or mistyped dates, iat in the future, aud/iss
// required only when present). Verified claims are cached by the exact token
// string, and forgotten whenever a key is removed or replaced.
import { TokenError } from 'fast-jwt'
import { ClaimsCache, freezeClaims } from './claims-cache'
import { SightingFilter } from './sighting-filter'
import { fingerprintOf } from './token-fingerprint'
import type { AuthJwtConfig } from './config'
import { expiredTokenError, invalidTokenError, type JWTDecodeError } from './errors'
import { KeyNotLoaded, type KeySource } from './keys/key-source'
import { applicationClaimsOf } from './reserved-claims'
import { markVerified } from './token-identity'
import { isSubject, type AuthJwtClaims } from './options'

/** Longer tokens are refused before anything is decoded. */
export const MAX_TOKEN_LENGTH = 16 * 1024

// 10,000 typical tokens take about 5 MB of heap and fit both bounds; the
// bytes bound keeps large tokens from taking more than 32 MiB.
const CLAIMS_CACHE_ENTRIES = 10_000
export const CLAIMS_CACHE_BYTES = 32 * 1024 * 1024
// 256 KiB. A reused token is let in when it comes back before another
// token has taken its slot: with 22,700 other new tokens verified in the
// meantime, one time in two (more than twice what the cache holds).
const SIGHTING_SLOTS = 32_768

/**
 * Verifies a token with the keys in hand.
 * @throws JWTDecodeError (401); KeyNotLoaded when its key is still to be fetched (see verifyWhenKeyLoaded).
 */
export type VerifyToken = (token: string) => AuthJwtClaims

export function createTokenVerifier (config: AuthJwtConfig, keySource: KeySource): VerifyToken {
  const leeway = config.decodeLeeway * 1000
  const checkClaims = createClaimsCheck(config)
  const cache = new ClaimsCache<AuthJwtClaims>({
    maxEntries: CLAIMS_CACHE_ENTRIES,
    maxBytes: CLAIMS_CACHE_BYTES,
    maxKeyLength: MAX_TOKEN_LENGTH
  })
  // Only tokens seen before enter the cache: see sighting-filter.ts.
  const sightings = new SightingFilter(SIGHTING_SLOTS)
  // A token verified with a key that is gone must be verified again, and fail.
  keySource.onChange(() => cache.clear())
  const keepFresh = keySource.keepFresh
  // The denylist of this instance reads the time of issue on every request.
  const withIssueTime = config.denylistEnabled

  function checkValidityWindow (claims: AuthJwtClaims, now: number): void {
    if (claims.exp !== undefined && now >= claims.exp * 1000 + leeway) throw expiredTokenError()
    if (claims.nbf !== undefined && now < claims.nbf * 1000 - leeway) {
      throw invalidTokenError('The token is not yet valid (nbf)')
    }
  }

  function verifyToken (token: string): AuthJwtClaims {
    if (token.length > MAX_TOKEN_LENGTH) throw invalidTokenError('Token is too large')
    const now = Date.now()
    keepFresh?.()
    const cached = cache.get(token)
    if (cached !== undefined) {
      // A token cached while valid expires in the cache too.
      checkValidityWindow(cached, now)
      return cached
    }
    // Throws our own errors (an unknown kid), which are not translated.
    const verifySignature = keySource.verifierFor(token)
    let claims: AuthJwtClaims
    try {
      claims = verifySignature(token) as AuthJwtClaims
    } catch (error) {
      throw translateError(error)
    }
    checkClaims(claims, now)
    checkValidityWindow(claims, now)
    markVerified(claims, withIssueTime)
    const bytes = freezeClaims(claims)
    // Seen before: admitted; a token the cache holds never gets this far.
    const fingerprint = fingerprintOf(token)
    if (sightings.has(fingerprint)) cache.set(token, claims, bytes)
    else sightings.record(fingerprint)
    return claims
  }

  return verifyToken
}

/**
 * Verifies `token`, waiting for its key when the key source has still to
 * fetch it (a remote JWKS): synchronous whenever the key is in hand.
 */
export function verifyWhenKeyLoaded (verifyToken: VerifyToken, token: string): AuthJwtClaims | Promise<AuthJwtClaims> {
  try {
    return verifyToken(token)
  } catch (error) {
    if (!(error instanceof KeyNotLoaded)) throw error
    return error.loading.then(() => verifyWithKeysInHand(verifyToken, token))
  }
}

/**
 * Verifies `token` with the keys in hand only: a key still to be fetched is
 * looked for in the background, and the token is refused meanwhile as one of
 * an unknown key (for the synchronous `decodeToken`).
 */
export function verifyWithKeysInHand (verifyToken: VerifyToken, token: string): AuthJwtClaims {
  try {
    return verifyToken(token)
  } catch (error) {
    if (!(error instanceof KeyNotLoaded)) throw error
    // Its failure, if any, is the next verification's to report.
    error.loading.catch(() => {})
    throw invalidTokenError('Unknown "kid" header')
  }
}

export { isVerifiedClaims } from './token-identity'

const DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const
const MAX_DATE_SECONDS = 8.64e12

function createClaimsCheck (config: AuthJwtConfig): (claims: AuthJwtClaims, now: number) => void {
  const leeway = config.decodeLeeway * 1000
  const audiences = config.decodeAudience === undefined ? undefined : [config.decodeAudience].flat()
  const issuer = config.decodeIssuer
  const claimsMismatch = config.claimsMismatch

  return function checkClaims (claims, now) {
    requireClaim(claims, 'sub')
    if (audiences !== undefined) requireClaim(claims, 'aud')
    if (issuer !== undefined) requireClaim(claims, 'iss')
    for (const name of DATE_CLAIMS) {
      const value = claims[name]
      // JSON can encode 1e999, which parses to Infinity: a token that never
      // expires; and 1e308 is finite, but not once turned into milliseconds.
      // Dates must lie where a JavaScript Date can: within 8.64e12 s of 1970.
      if (value !== undefined && !(typeof value === 'number' && Math.abs(value) <= MAX_DATE_SECONDS)) {
        throw invalidTokenError(`Invalid "${name}" claim`)
      }
    }
    const { sub, type, jti, fresh, csrf } = claims
    if (!isSubject(sub)) throw invalidTokenError('Invalid "sub" claim')
    if (audiences !== undefined && !isAllowedAudience(claims.aud, audiences)) throw invalidTokenError('Invalid audience')
    if (issuer !== undefined && claims.iss !== issuer) throw invalidTokenError('Invalid issuer')
    if (type !== undefined && type !== 'access' && type !== 'refresh') throw invalidTokenError('Invalid "type" claim')
    if (jti !== undefined && (typeof jti !== 'string' || jti === '')) throw invalidTokenError('Invalid "jti" claim')
    if (fresh !== undefined && typeof fresh !== 'boolean' && !(typeof fresh === 'number' && Number.isFinite(fresh))) {
      throw invalidTokenError('Invalid "fresh" claim')
    }
    if (csrf !== undefined && typeof csrf !== 'string') throw invalidTokenError('Invalid "csrf" claim')
    if (claims.fam !== undefined && (typeof claims.fam !== 'string' || claims.fam === '')) {
      throw invalidTokenError('Invalid "fam" claim')
    }
    if (claims.iat !== undefined && claims.iat * 1000 > now + leeway) {
      throw invalidTokenError('The token is not yet valid (iat)')
    }
    // Once per token: a token from the claims cache was checked when it was verified.
    if (claimsMismatch !== undefined && claimsMismatch(applicationClaimsOf(claims)) !== undefined) {
      throw invalidTokenError('Invalid claims')
    }
  }
}

// An own property: a claim inherited from a polluted Object.prototype is missing.
function requireClaim (claims: AuthJwtClaims, name: 'sub' | 'aud' | 'iss'): void {
  if (!Object.hasOwn(claims, name)) throw invalidTokenError(`Token is missing the "${name}" claim`)
}

// A string or a list of strings, one of which is allowed.
function isAllowedAudience (aud: unknown, allowed: readonly string[]): boolean {
  if (typeof aud === 'string') return allowed.includes(aud)
  return Array.isArray(aud) && aud.every(value => typeof value === 'string') && aud.some(value => allowed.includes(value))
}

/**
 * A fast-jwt failure as our error, chosen by its code alone. Exported for
 * tests only; the package's entry point does not export it.
 */
export function translateError (error: unknown): JWTDecodeError {
  switch (error instanceof TokenError ? error.code : undefined) {
    case TokenError.codes.invalidAlgorithm:
      return invalidTokenError('The specified alg value is not allowed')
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
    case TokenError.codes.verifyError:
      return invalidTokenError('Signature verification failed')
    case TokenError.codes.invalidCritHeader:
      return invalidTokenError('Unsupported critical header')
    default:
      // malformed, a payload that is not a JSON object, and anything fast-jwt adds later
      return invalidTokenError('Malformed token')
  }
}
