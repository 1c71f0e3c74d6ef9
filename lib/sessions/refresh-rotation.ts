// Refresh-token rotation with reuse detection (RFC 9700 §4.14.2): every
// refresh token is good for one use; its use gives a new pair of the same
// family (`fam`, the login session), and a used one that comes back after the
// grace window means two parties hold it, so the whole family is revoked.
// The store decides, atomically for every instance that shares it.
import type { FastifyRequest } from 'fastify'
import type { AuthJwtConfig } from '../config'
import type { CheckDenylist } from '../denylist/check'
import type { DenylistStore, RefreshTokenUseResult } from '../denylist/store'
import type { StoreCall } from '../denylist/store-call'
import { ConfigError, DenylistError, RefreshTokenRequired, RevokedTokenError, TokenReusedError } from '../errors'
import type { AuthJwtClaims, AuthJwtUserClaims } from '../options'
import { applicationClaimsOf } from '../reserved-claims'
import type { TokenFactory } from '../token-factory'
import { newJti, type IssueClock } from '../token-identity'

/** A rotation's new tokens. */
export interface TokenPair {
  /** A new access token of the family (not fresh). */
  accessToken: string
  /** The refresh token that replaces the one presented, with the family's original `exp`. */
  refreshToken: string
}

/** What `refreshTokens` may change in the new pair. */
export interface RefreshTokensOptions {
  /**
   * The user claims of the new tokens; by default, those of the presented
   * refresh token (say, a role that has changed since the login).
   */
  userClaims?: Partial<AuthJwtUserClaims> & Record<string, unknown>
  /**
   * The scopes of the new tokens (`scopeClaim`); by default, those of the
   * presented refresh token, also when `userClaims` is given.
   */
  scopes?: readonly string[]
}

export type RotateRefreshToken = (claims: AuthJwtClaims | null, request: FastifyRequest, options?: RefreshTokensOptions) =>
Promise<TokenPair>

interface RotationParts {
  factory: TokenFactory
  callStore: StoreCall
  checkDenylist: CheckDenylist
  issueClock: IssueClock
}

export function createRefreshRotation (config: AuthJwtConfig, parts: RotationParts): RotateRefreshToken {
  const { factory, callStore, checkDenylist, issueClock } = parts
  const graceMs = config.refreshReuseGrace * 1000
  const checked = new Set(config.denylistEnabled ? config.denylistTokenChecks : [])
  // An access token of the family may outlive the family's last refresh
  // token by its own lifetime: the family's revocation must last that long.
  const accessLifetime = config.accessTokenExpires

  function rotationStore (): DenylistStore {
    // A used refresh token must be refused when it comes back, and a revoked
    // family (access and refresh tokens) must be refused everywhere: all of
    // them denylist checks.
    if (!checked.has('access') || !checked.has('refresh')) {
      throw new ConfigError('refreshTokens needs denylistEnabled: true, with access and refresh in denylistTokenChecks')
    }
    if (config.denylistStore === undefined) {
      throw new ConfigError('refreshTokens needs a denylistStore: the store detects a reused refresh token')
    }
    return config.denylistStore
  }

  // The new pair's own claims: the presented token's, or those given. The
  // scopes carry over unless new ones are given: new user claims (a changed
  // role) must not silently take away what the login granted.
  function newUserClaims (claims: AuthJwtClaims, options: RefreshTokensOptions): Record<string, unknown> {
    const carried = applicationClaimsOf(claims)
    const scopeClaim = config.scopeClaim
    if (options.scopes !== undefined) {
      if (options.userClaims !== undefined) return options.userClaims
      delete carried[scopeClaim]
      return carried
    }
    if (options.userClaims === undefined) return carried
    if (Object.hasOwn(options.userClaims, scopeClaim) || !Object.hasOwn(carried, scopeClaim)) return options.userClaims
    return { ...options.userClaims, [scopeClaim]: carried[scopeClaim] }
  }

  return async function rotate (claims, request, given = {}) {
    // Own options only, as for token creation: nothing inherited from a polluted prototype.
    const options: RefreshTokensOptions = Object.assign(Object.create(null), given)
    const store = rotationStore()
    if (claims === null) throw new RefreshTokenRequired()
    if ((claims.type ?? 'access') !== 'refresh') throw new RefreshTokenRequired()
    // Refresh tokens are checked against the denylist (above), which lets
    // none without jti through the guard.
    const jti = claims.jti as string
    // A refresh token from before families existed starts one, named by its jti.
    const family = claims.fam ?? jti
    // Taken first: a "log out everywhere" that lands during the rotation cuts the new pair off too.
    const issuedAtMs = issueClock.now()
    const tokenOptions = {
      subject: claims.sub,
      audience: claims.aud,
      userClaims: newUserClaims(claims, options),
      scopes: options.scopes
    }
    const session = { family, expiresAt: claims.exp, issuedAtMs }
    // Signed before the store marks the token used: options that cannot make
    // a token fail now, while the client may still retry with the same token.
    const accessToken = factory.createSessionToken('access', tokenOptions, session)
    const result = await callStore(() => store.useRefreshToken({
      subject: claims.sub,
      issuedAtMs,
      family,
      jti,
      successorJti: newJti(issuedAtMs),
      graceMs,
      expiresAt: claims.exp === undefined || accessLifetime === false
        ? null
        : claims.exp + accessLifetime + config.decodeLeeway
    }))
    const successorJti = successorOf(result)
    // Revoked since the guard let it in (a logout, a "log out everywhere"):
    // no pair. Throws, or rejects, with the guard's error.
    await checkDenylist(claims, 'refresh', request)
    return {
      accessToken,
      refreshToken: factory.createSessionToken('refresh', tokenOptions, { ...session, jti: successorJti })
    }
  }
}

/** The successor's jti when the store allows the rotation; the error to answer otherwise. */
function successorOf (result: RefreshTokenUseResult): string {
  switch (result?.outcome) {
    case 'rotated':
    case 'grace':
      if (typeof result.successorJti === 'string' && result.successorJti !== '') return result.successorJti
      break
    case 'reused':
      throw new TokenReusedError()
    case 'revoked':
      throw new RevokedTokenError()
  }
  // A custom store's answer that says neither: refuse rather than mint.
  throw new DenylistError('The denylist store answered useRefreshToken with something else than an outcome')
}
