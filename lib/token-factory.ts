// Creates access and refresh tokens with the key source's signing key (its
// fast-jwt signers are built once per key); the claims are computed here, so
// that every token carries the same set of claims (sub, iat, nbf, jti, exp,
// type, fresh, csrf, iss, aud, and fam for a session) whatever the key.
import { randomUUID } from 'node:crypto'
import type { AuthJwtConfig } from './config'
import { ConfigError } from './errors'
import type { KeySource } from './keys/key-source'
import { isSubject, type Algorithm, type AuthJwtUserClaims, type TokenType } from './options'
import { RESERVED_CLAIMS } from './reserved-claims'
import { scopeClaimValue } from './scopes'
import { newJti } from './token-identity'

/** What `createRefreshToken` (and `createAccessToken`) take. */
export interface CreateTokenOptions {
  /** The token's `sub`: a non-empty string or a number within ±2^53; it keeps its type through a round trip. */
  subject: string | number
  /** Must be one of `decodeAlgorithms` (with a key set: the signing key's); defaults to `algorithm` (the signing key's). */
  algorithm?: Algorithm
  /** Extra JWT header fields. `alg` cannot be set, nor `kid` with a key set (the signing key's is written). */
  headers?: Record<string, unknown>
  /** Seconds until the token expires, or `false` for no `exp`; defaults to the token type's lifetime option. */
  expiresTime?: number | false
  /** The token's `aud`; defaults to `decodeAudience`. */
  audience?: string | string[]
  /**
   * Your own claims (type them by augmenting `AuthJwtUserClaims`); the
   * reserved ones are refused, and with `claimsSchema` claims that do not
   * match it (TypeError).
   */
  userClaims?: Partial<AuthJwtUserClaims> & Record<string, unknown>
  /**
   * Scopes written to the `scopeClaim` claim as a space-separated string, for
   * `jwtScopesRequired`. On a refresh token they carry over to the tokens a
   * rotation issues. No wildcards: each scope is compared exactly.
   */
  scopes?: readonly string[]
}

/** What `createAccessToken` takes. */
export interface CreateAccessTokenOptions extends CreateTokenOptions {
  /**
   * `true`, `false` (the default), or a number of seconds during which the
   * token is fresh (written as the epoch second it stops being fresh).
   */
  fresh?: boolean | number
  /**
   * The `fam` of the refresh token issued with it (`decodeToken(refreshToken).fam`):
   * the access token then belongs to that login session, and is revoked with
   * it when a reuse of one of its refresh tokens is detected.
   */
  family?: string
}

/** A token issued in place of another one (a rotation, a renewal): its family, jti and times are set. */
export interface SessionPlacement {
  /** The family the token belongs to; none when undefined (an access token renewed outside any family). */
  family: string | undefined
  /** The jti the token must carry (the successor's, chosen by the store); a new one when absent. */
  jti?: string
  /** The family's end (epoch seconds): no token of it lives longer; undefined: no end. */
  expiresAt: number | undefined
  /**
   * When it is issued (epoch ms), taken before the checks that let it be
   * issued: a "log out everywhere" that lands meanwhile cuts it off too.
   */
  issuedAtMs: number
}

export interface TokenFactory {
  createAccessToken: (options: CreateAccessTokenOptions) => string
  /** Starts a new family (`fam`) with every refresh token. */
  createRefreshToken: (options: CreateTokenOptions) => string
  /** A token issued in place of another one: a rotation's pair, a renewed access cookie. */
  createSessionToken: (type: TokenType, options: CreateTokenOptions, session: SessionPlacement) => string
}

export function createTokenFactory (config: AuthJwtConfig, keySource: KeySource, issueTime: () => number): TokenFactory {
  const withCsrf = config.cookieCsrfProtect && config.tokenLocation.includes('cookies')

  function createToken (type: TokenType, options: CreateAccessTokenOptions, lifetime: number | false,
    session?: SessionPlacement): string {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('Token options must be an object with a subject')
    }
    // Own options only: an option inherited from a polluted Object.prototype
    // (scopes, headers, an audience) must not end up in the token.
    const own: CreateAccessTokenOptions = Object.assign(Object.create(null), options)
    const { subject, algorithm, headers, expiresTime = lifetime, audience, userClaims, scopes } = own
    const family = session !== undefined ? session.family : type === 'refresh' ? randomUUID() : own.family
    if (family !== undefined && (typeof family !== 'string' || family === '')) {
      throw new TypeError('family must be the fam of a refresh token: a non-empty string')
    }
    checkSubject(subject)
    checkHeaders(headers)
    checkExpiresTime(expiresTime)
    checkAudience(audience)
    const signing = keySource.signing()
    if (signing === undefined) {
      throw new ConfigError('This instance only verifies tokens: set secretKey or privateKey (or keys with a key that ' +
        'can sign) to create them')
    }
    const sign = signing.signerFor(algorithm ?? signing.defaultAlgorithm, headers)

    const nowMs = session?.issuedAtMs ?? issueTime()
    const now = Math.floor(nowMs / 1000)
    const claims = ownClaimsOf(userClaims, scopes)
    claims.sub = subject
    claims.iat = now
    claims.nbf = now
    // Time-ordered: a "log out everywhere" cut-off compares it to the millisecond.
    claims.jti = session?.jti ?? newJti(nowMs)
    const exp = expiresTime === false ? undefined : now + expiresTime
    // A session's tokens never outlive it: rotation does not extend a login.
    const end = session?.expiresAt
    if (exp !== undefined || end !== undefined) claims.exp = Math.min(exp ?? Infinity, end ?? Infinity)
    claims.type = type
    if (family !== undefined) claims.fam = family
    if (type === 'access') claims.fresh = freshClaim(own.fresh, now)
    if (withCsrf) claims.csrf = randomUUID()
    if (config.encodeIssuer !== undefined) claims.iss = config.encodeIssuer
    const aud = audience ?? config.decodeAudience
    if (aud !== undefined) claims.aud = aud
    return sign(claims)
  }

  // The application's claims of the new token: userClaims and the scopes,
  // checked against the claims schema as they will be written.
  function ownClaimsOf (userClaims: unknown, scopes: unknown): Record<string, unknown> {
    const claims: Record<string, unknown> = { ...checkedUserClaims(userClaims) }
    if (scopes !== undefined) {
      if (Object.hasOwn(claims, config.scopeClaim)) {
        throw new TypeError(`scopes and userClaims.${config.scopeClaim} both set the scope claim: give one of them`)
      }
      const value = scopeClaimValue(scopes)
      if (value !== undefined) claims[config.scopeClaim] = value
    }
    if (config.claimsMismatch !== undefined) {
      // Checked as they will be signed, and read back when verified: a Date
      // becomes a string, an undefined member disappears.
      const mismatch = config.claimsMismatch(JSON.parse(JSON.stringify(claims)) as Record<string, unknown>)
      if (mismatch !== undefined) throw new TypeError(`userClaims do not match claimsSchema at ${mismatch}`)
    }
    return claims
  }

  return {
    createAccessToken: options => createToken('access', options, config.accessTokenExpires),
    createRefreshToken: options => createToken('refresh', options, config.refreshTokenExpires),
    createSessionToken: (type, options, session) =>
      createToken(type, options, type === 'access' ? config.accessTokenExpires : config.refreshTokenExpires, session)
  }
}

function checkSubject (subject: unknown): void {
  if (!isSubject(subject)) throw new TypeError('subject must be a non-empty string or a finite number within ±2^53')
}

function checkHeaders (headers: unknown): void {
  if (headers === undefined) return
  if (!isPlainObject(headers)) throw new TypeError('headers must be a plain object')
  if ('alg' in headers) throw new TypeError('headers cannot set "alg": choose the algorithm option instead')
  refuseToJson(headers, 'headers')
}

function checkExpiresTime (expiresTime: unknown): void {
  if (expiresTime !== false && !(Number.isSafeInteger(expiresTime) && (expiresTime as number) >= 0)) {
    throw new TypeError('expiresTime must be a non-negative whole number of seconds, or false')
  }
}

function checkAudience (audience: unknown): void {
  if (audience === undefined) return
  const values = Array.isArray(audience) ? audience : [audience]
  if (values.length === 0 || values.some(value => typeof value !== 'string' || value === '')) {
    throw new TypeError('audience must be a non-empty string or a non-empty list of them')
  }
}

function checkedUserClaims (userClaims: unknown): Record<string, unknown> {
  if (userClaims === undefined) return {}
  if (!isPlainObject(userClaims)) throw new TypeError('userClaims must be a plain object')
  refuseToJson(userClaims, 'userClaims')
  for (const name of Object.keys(userClaims)) {
    if (RESERVED_CLAIMS.has(name)) throw new TypeError(`userClaims cannot set the reserved claim "${name}"`)
  }
  return userClaims
}

function freshClaim (fresh: unknown, now: number): boolean | number {
  if (fresh === undefined || typeof fresh === 'boolean') return fresh === true
  if (Number.isSafeInteger(fresh) && (fresh as number) >= 0) return now + (fresh as number)
  throw new TypeError('fresh must be true, false or a non-negative whole number of seconds')
}

// JSON.stringify would call it and write whatever it returns in place of the
// whole header or payload, reserved claims included.
function refuseToJson (object: Record<string, unknown>, name: string): void {
  if ('toJSON' in object) throw new TypeError(`${name} cannot have a toJSON member: it would replace the whole token part`)
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
