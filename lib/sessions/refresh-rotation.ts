// Refresh-token rotation with reuse detection (RFC 9700 §4.14.2): every
// refresh token is good for one use; its use gives a new pair of the same
// family (`fam`, the login session), and a used one that comes back after the
// grace window means two parties hold it, so the whole family is revoked.
// The store decides, atomically for every instance that shares it.
import type { AuthJwtConfig } from '../config'
import type { DenylistStore, RefreshTokenUseResult } from '../denylist/store'
import type { StoreCall } from '../denylist/store-call'
import { ConfigError, DenylistError, RefreshTokenRequired, RevokedTokenError, TokenReusedError } from '../errors'
import type { AuthJwtClaims, AuthJwtUserClaims } from '../options'
import { applicationClaimsOf, type TokenFactory } from '../token-factory'
import { newJti } from '../token-identity'

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
}

export type RotateRefreshToken = (claims: AuthJwtClaims | null, options?: RefreshTokensOptions) => Promise<TokenPair>

export function createRefreshRotation (config: AuthJwtConfig, factory: TokenFactory, callStore: StoreCall): RotateRefreshToken {
  const graceMs = config.refreshReuseGrace * 1000

  function rotationStore (): DenylistStore {
    // A used refresh token must be refused when it comes back, and a revoked
    // family must be refused everywhere: both are denylist checks.
    if (!config.denylistEnabled || !config.denylistTokenChecks.includes('refresh')) {
      throw new ConfigError('refreshTokens needs denylistEnabled: true, with refresh in denylistTokenChecks')
    }
    if (config.denylistStore === undefined) {
      throw new ConfigError('refreshTokens needs a denylistStore: the store detects a reused refresh token')
    }
    return config.denylistStore
  }

  return async function rotate (claims, options = {}) {
    const store = rotationStore()
    if (claims === null) throw new RefreshTokenRequired()
    if ((claims.type ?? 'access') !== 'refresh') throw new RefreshTokenRequired()
    // Refresh tokens are checked against the denylist (above), which lets
    // none without jti through the guard.
    const jti = claims.jti as string
    // A refresh token from before families existed starts one, named by its jti.
    const family = claims.fam ?? jti
    const result = await callStore(() => store.useRefreshToken({
      family,
      jti,
      successorJti: newJti(Date.now()),
      graceMs,
      // The family's state must outlive its last token: its exp, plus the leeway.
      expiresAt: claims.exp === undefined ? null : claims.exp + config.decodeLeeway
    }))
    const successorJti = successorOf(result)

    const tokenOptions = {
      subject: claims.sub,
      audience: claims.aud,
      userClaims: options.userClaims ?? applicationClaimsOf(claims)
    }
    const session = { family, expiresAt: claims.exp }
    return {
      accessToken: factory.createSessionToken('access', tokenOptions, session),
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
