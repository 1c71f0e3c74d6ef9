// `fastify.authJwt`: what an application can do with tokens outside a request.
import { createDecoder } from 'fast-jwt'
import type { AuthJwtConfig } from './config'
import type { DenylistStore } from './denylist/store'
import type { StoreCall } from './denylist/store-call'
import { ConfigError, invalidTokenError } from './errors'
import type { JwkSet } from './keys/jwk'
import type { KeyOption, KeySetSource } from './keys/key-set'
import type { KeySource } from './keys/key-source'
import { isSubject, type AuthJwtClaims } from './options'
import type { IssueClock } from './token-identity'
import type { CreateAccessTokenOptions, CreateTokenOptions, TokenFactory } from './token-factory'
import {
  isVerifiedClaims,
  MAX_TOKEN_LENGTH,
  verifyWhenKeyLoaded,
  verifyWithKeysInHand,
  type VerifyToken
} from './token-verifier'

/** `fastify.authJwt`: tokens outside a request (a login route, a job, a test). */
export interface AuthJwt {
  /**
   * Signs a new access token with `sub`, `iat`, `nbf`, `jti`, `exp`, `type: 'access'`, `fresh` and, where
   * configured, `csrf`, `iss` and `aud`.
   * @throws TypeError for a bad subject, a reserved claim in `userClaims`, or other bad arguments.
   * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) on a verify-only instance, or for an algorithm outside
   *   `decodeAlgorithms`.
   * @example
   * const token = app.authJwt.createAccessToken({ subject: user.id, fresh: true, userClaims: { role: 'admin' } })
   */
  createAccessToken: (options: CreateAccessTokenOptions) => string
  /**
   * Signs a new refresh token (`type: 'refresh'`, no `fresh`), living `refreshTokenExpires` by default.
   * @throws TypeError and ConfigError as `createAccessToken`.
   */
  createRefreshToken: (options: CreateTokenOptions) => string
  /**
   * Verifies the signature and the claims (not the type, not the denylist) and returns the claims, frozen.
   * With `jwksUrl`, only keys already fetched verify (the guards wait for a missing one; this cannot).
   * @throws JWTDecodeError: `FST_JWT_AUTH_TOKEN_EXPIRED`, or `FST_JWT_AUTH_TOKEN_INVALID` for anything else.
   */
  decodeToken: (encoded: string) => AuthJwtClaims
  /**
   * Puts the token's `jti` on the denylist until the token expires (`exp` + `decodeLeeway`; forever without
   * `exp`). Takes the encoded token (verified first) or verified claims.
   * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) when `denylistEnabled` is off or `denylistTokenChecks` does not
   *   check the token's type: such a revocation would change nothing.
   * @throws DenylistError (`FST_JWT_AUTH_DENYLIST_FAILED`) when the store fails, is full or does not answer
   *   within `denylistTimeout`.
   * @throws TypeError for claims without `jti` or with a bad `sub`/`iat`; JWTDecodeError for a bad token.
   * @example
   * await app.authJwt.revokeToken(refreshToken)
   */
  revokeToken: (claimsOrEncoded: AuthJwtClaims | string) => Promise<void>
  /**
   * Logs `subject` out everywhere: every token of that subject issued before
   * the call is refused (401 `FST_JWT_AUTH_TOKEN_REVOKED`) by every instance
   * sharing the store; a token issued after it, even within the same second,
   * passes. One entry per subject, kept until the longest token lifetime has
   * passed. Tokens created with a longer `expiresTime` outlive it.
   * @throws ConfigError as `revokeToken`; DenylistError when the store fails; TypeError for a bad subject.
   * @example
   * await app.authJwt.revokeAllTokens(user.id) // after a password change
   */
  revokeAllTokens: (subject: string | number) => Promise<void>
  /**
   * The `jti` of a token, after verifying it; null when it has none.
   * @throws JWTDecodeError as `decodeToken`.
   */
  getJti: (encoded: string) => string | null
  /**
   * The token's header (`alg`, `typ`, `kid`, …), without verifying anything: never trust it for a decision.
   * @throws JWTDecodeError (`FST_JWT_AUTH_TOKEN_INVALID`) when it is not a JWT.
   */
  getUnverifiedJwtHeaders: (encoded: string) => Record<string, unknown>
  /**
   * Replaces the key set of an instance registered with `keys`, checked first
   * like the option: a refused set throws and leaves the current one in force.
   * Tokens verified with a key that is no longer in the set are verified again
   * (and refused) from then on.
   * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) for a bad set, or on an instance registered without `keys`.
   * @example
   * app.authJwt.setKeys([{ kid: '2027-01', algorithm: 'ES256', privateKey: newPem }, ...oldKeysVerifyingOnly])
   */
  setKeys: (keys: KeyOption[]) => void
  /**
   * The public keys as a JWKS document: every asymmetric key with its `kid`, `alg` and `use: 'sig'`; never an
   * HS* secret or a private part. A new copy on every call.
   */
  jwks: () => JwkSet
}

const decodeComplete = createDecoder({ complete: true })

export function createInstanceApi (
  config: AuthJwtConfig,
  factory: TokenFactory,
  verifyToken: VerifyToken,
  callStore: StoreCall,
  keySource: KeySource,
  issueClock: IssueClock
): AuthJwt {
  const checkedTypes = new Set<unknown>(config.denylistTokenChecks)

  /** The store revocations go to; throws when they would change nothing. */
  function writableStore (operation: string, everyType = false): DenylistStore {
    if (!config.denylistEnabled) {
      // Revoking into a denylist nobody checks would only look like a logout.
      throw new ConfigError(`${operation} needs denylistEnabled: true`)
    }
    if (everyType && !(checkedTypes.has('access') && checkedTypes.has('refresh'))) {
      // Tokens of an unchecked type would go on working, and a refresh token mint new ones.
      throw new ConfigError(`${operation} needs both access and refresh in denylistTokenChecks`)
    }
    if (config.denylistStore === undefined) {
      // tokenInDenylist replaces the store lookup: a revocation written to a store would never be read.
      throw new ConfigError(`${operation} needs a denylistStore when tokenInDenylist is set: the hook alone decides`)
    }
    return config.denylistStore
  }

  // A cut-off is kept until every token it covers has expired: the longest
  // lifetime, plus the leeway; for ever when a lifetime has no end.
  function cutoffExpiresAt (issuedBeforeMs: number): number | null {
    const { accessTokenExpires, refreshTokenExpires } = config
    if (accessTokenExpires === false || refreshTokenExpires === false) return null
    return Math.ceil(issuedBeforeMs / 1000) + Math.max(accessTokenExpires, refreshTokenExpires) + config.decodeLeeway
  }

  function decodeToken (encoded: string): AuthJwtClaims {
    if (typeof encoded !== 'string') throw invalidTokenError('Malformed token')
    return verifyWithKeysInHand(verifyToken, encoded)
  }

  return {
    createAccessToken: factory.createAccessToken,
    createRefreshToken: factory.createRefreshToken,
    decodeToken,

    async revokeToken (claimsOrEncoded) {
      const store = writableStore('revokeToken')
      const claims = typeof claimsOrEncoded === 'string'
        ? await verifyWhenKeyLoaded(verifyToken, claimsOrEncoded)
        : claimsOrEncoded
      if (claims === null || typeof claims !== 'object' || typeof claims.jti !== 'string' || claims.jti === '') {
        throw new TypeError('revokeToken needs a token, or its claims, with a jti')
      }
      // A token without type comes from another issuer and counts as an access token.
      const type = claims.type ?? 'access'
      if (!checkedTypes.has(type)) {
        // Revoking a type the guards never look up would only look like a logout.
        throw new ConfigError(`revokeToken cannot revoke ${describeType(type)}: denylistTokenChecks does not check them`)
      }
      // A store may fold a subject's revocations into one cut-off by sub and
      // iat, so only a verified token's own may reach it: claims built by hand
      // could name another iat, or a sub of another type, and the fold would
      // then lose the revocation. Those are kept by jti alone.
      const identity = isVerifiedClaims(claims) ? { subject: claims.sub, issuedAt: claims.iat } : undefined
      // Kept for as long as the verifier would still accept the token: exp plus the leeway.
      const expiresAt = typeof claims.exp === 'number' ? claims.exp + config.decodeLeeway : null
      await callStore(() => store.add(claims.jti as string, expiresAt, identity))
    },

    async revokeAllTokens (subject) {
      if (!isSubject(subject)) throw new TypeError('subject must be a token\'s sub: a non-empty string or a finite number within ±2^53')
      const store = writableStore('revokeAllTokens', true)
      // Every token issued up to this millisecond is cut off, and this
      // instance issues its next ones after it: a login right after the call,
      // even within the same millisecond, passes.
      const issuedBeforeMs = issueClock.now() + 1
      issueClock.notBefore(issuedBeforeMs)
      await callStore(() => store.revokeSubject(subject, issuedBeforeMs, cutoffExpiresAt(issuedBeforeMs)))
    },

    getJti: encoded => decodeToken(encoded).jti ?? null,

    setKeys (keys) {
      if (!('replace' in keySource)) {
        throw new ConfigError('setKeys needs an instance registered with keys: move secretKey/privateKey into a key ' +
          'set (keys) first')
      }
      (keySource as KeySetSource).replace(keys)
    },

    jwks: () => keySource.jwks(),

    getUnverifiedJwtHeaders (encoded) {
      if (typeof encoded !== 'string' || encoded.length > MAX_TOKEN_LENGTH) throw invalidTokenError('Malformed token')
      try {
        return decodeComplete(encoded).header
      } catch {
        throw invalidTokenError('Malformed token')
      }
    }
  }
}

// Names the type when it is one the plugin issues; claims built by hand may hold anything.
function describeType (type: unknown): string {
  return type === 'access' || type === 'refresh' ? `${type} tokens` : 'tokens of this type'
}
