// `request.authJwt`: the guards' checks callable inside a handler, what the
// checks verified, and the cookie helpers. Created on first use only.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CookieHelpers } from './cookies'
import { MissingTokenError } from './errors'
import type { Authenticate } from './guards'
import type { AuthJwt } from './instance-api'
import type { AuthJwtClaims, AuthJwtUser } from './options'
import { kClaims, kCurrentUser, kRevokedHere, kToken, type RequestState } from './request-state'
import type { RefreshTokensOptions, RotateRefreshToken, TokenPair } from './sessions/refresh-rotation'
import type { CreateAccessTokenOptions, CreateTokenOptions } from './token-factory'

export interface RequestAuthJwtParts {
  api: AuthJwt
  authenticate: Authenticate
  cookies: CookieHelpers
  rotate: RotateRefreshToken
}

/** What `request.authJwt.refreshTokens` takes. */
export interface RequestRefreshTokensOptions extends RefreshTokensOptions {
  /** Also sets the new pair's cookies (and CSRF cookies) on this reply; needs `cookies` in `tokenLocation`. */
  reply?: FastifyReply
}

/**
 * `request.authJwt`: the guards' checks callable inside a handler, what they
 * verified, token creation, the cookie helpers and revocation of the current
 * token. Created on first use, so routes that do not touch it pay nothing.
 */
export class RequestAuthJwt {
  readonly #request: FastifyRequest & RequestState
  readonly #parts: RequestAuthJwtParts

  constructor (request: FastifyRequest, parts: RequestAuthJwtParts) {
    this.#request = request as FastifyRequest & RequestState
    this.#parts = parts
  }

  /** Same as `fastify.authJwt.createAccessToken`. */
  createAccessToken (options: CreateAccessTokenOptions): string {
    return this.#parts.api.createAccessToken(options)
  }

  /** Same as `fastify.authJwt.createRefreshToken`. */
  createRefreshToken (options: CreateTokenOptions): string {
    return this.#parts.api.createRefreshToken(options)
  }

  /**
   * The `jwtRequired` guard's checks, for a handler that decides by itself: a
   * valid, unrevoked access token. Rejects with the guard's error (401, 400,
   * or 500 when the denylist fails).
   * @example
   * app.post('/documents', async (request, reply) => {
   *   const document = request.body as { public?: boolean }
   *   if (document.public !== true) await request.authJwt.jwtRequired()
   *   return { owner: request.authJwt.getJwtSubject() }
   * })
   */
  async jwtRequired (): Promise<void> {
    await this.#parts.authenticate(this.#request, 'access')
  }

  /** No token is fine; a present one must be a valid, unrevoked access token. */
  async jwtOptional (): Promise<void> {
    await this.#parts.authenticate(this.#request, 'optional')
  }

  /** A valid, unrevoked refresh token. */
  async jwtRefreshTokenRequired (): Promise<void> {
    await this.#parts.authenticate(this.#request, 'refresh')
  }

  /** An access token that is fresh now. */
  async freshJwtRequired (): Promise<void> {
    await this.#parts.authenticate(this.#request, 'fresh')
  }

  /** The subject of the verified token; null until a check has passed. */
  getJwtSubject (): string | number | null {
    return this.#request[kClaims]?.sub ?? null
  }

  /** The claims of the verified token; null until a check has passed. */
  getRawJwt (): AuthJwtClaims | null {
    return this.#request[kClaims]
  }

  /**
   * What `userLookup` found for the verified token (type it by augmenting
   * `AuthJwtUser`); null without `userLookup`, or until a check has passed
   * with a token.
   */
  get currentUser (): AuthJwtUser | null {
    return this.#request[kCurrentUser]
  }

  /** The `jti` of the given token, after verifying it; null when it has none. Throws as `decodeToken`. */
  getJti (encoded: string): string | null {
    return this.#parts.api.getJti(encoded)
  }

  /** The header of the given token, or of the request's verified token. */
  getUnverifiedJwtHeaders (encoded?: string): Record<string, unknown> {
    return this.#parts.api.getUnverifiedJwtHeaders(encoded ?? this.#currentToken())
  }

  /**
   * Sets the access token's httpOnly cookie and, with CSRF protection, its
   * CSRF cookie. The token is verified first: a refresh token is refused
   * (TypeError). `maxAge` (seconds) overrides `cookieMaxAge`.
   * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) when `cookies` is not a token location.
   */
  setAccessCookies (reply: FastifyReply, token: string, maxAge?: number): void {
    this.#parts.cookies.setTokenCookies(reply, 'access', token, maxAge)
  }

  /** As `setAccessCookies`, for a refresh token. */
  setRefreshCookies (reply: FastifyReply, token: string, maxAge?: number): void {
    this.#parts.cookies.setTokenCookies(reply, 'refresh', token, maxAge)
  }

  /** Clears every JWT and CSRF cookie. Throws ConfigError when `cookies` is not a token location. */
  unsetJwtCookies (reply: FastifyReply): void {
    this.#parts.cookies.unsetTokenCookies(reply, 'access', 'unsetJwtCookies')
    this.#parts.cookies.unsetTokenCookies(reply, 'refresh', 'unsetJwtCookies')
  }

  /** Clears the access token's cookie and its CSRF cookie. */
  unsetAccessCookies (reply: FastifyReply): void {
    this.#parts.cookies.unsetTokenCookies(reply, 'access')
  }

  /** Clears the refresh token's cookie and its CSRF cookie. */
  unsetRefreshCookies (reply: FastifyReply): void {
    this.#parts.cookies.unsetTokenCookies(reply, 'refresh')
  }

  /**
   * Revokes the given token, or this request's verified token (a logout).
   * Throws as `fastify.authJwt.revokeToken`, and MissingTokenError when no
   * check has passed on this request and no token is given.
   * @example
   * app.post('/logout', { preHandler: jwtRequired }, async request => {
   *   await request.authJwt.revokeToken()
   *   return { ok: true }
   * })
   */
  async revokeToken (claimsOrEncoded?: AuthJwtClaims | string): Promise<void> {
    // Before the call: a revocation that fails may still have been stored.
    this.#request[kRevokedHere] = true
    await this.#parts.api.revokeToken(claimsOrEncoded ?? this.#request[kClaims] ?? this.#currentToken())
  }

  /**
   * Rotates the refresh token this request presented (after
   * `jwtRefreshTokenRequired`): marks it used and returns a new access token
   * (not fresh) and a new refresh token of the same family, which keeps the
   * family's original `exp`. A refresh token used before and presented again
   * after `refreshReuseGrace` seconds revokes its whole family and is refused
   * (401 `FST_JWT_AUTH_TOKEN_REUSED`); within the grace window it gets a pair
   * again, so two tabs refreshing at once stay logged in.
   * @throws ConfigError without the denylist (`denylistEnabled`, refresh tokens checked) or a store;
   *   RefreshTokenRequired when this request did not pass a refresh token check; DenylistError when the store fails.
   * @example
   * app.post('/refresh', { preHandler: jwtRefreshTokenRequired }, async (request, reply) => {
   *   const { accessToken } = await request.authJwt.refreshTokens({ reply })
   *   return { accessToken }
   * })
   */
  async refreshTokens (options: RequestRefreshTokensOptions = {}): Promise<TokenPair> {
    const { reply, ...rest } = options
    // Checked before the token is used up: a client may retry then.
    if (reply !== undefined) this.#parts.cookies.assertEnabled('refreshTokens({ reply })')
    const pair = await this.#parts.rotate(this.#request[kClaims], this.#request, rest)
    if (reply !== undefined) {
      this.#parts.cookies.setTokenCookies(reply, 'access', pair.accessToken)
      this.#parts.cookies.setTokenCookies(reply, 'refresh', pair.refreshToken)
    }
    return pair
  }

  /**
   * Logs the current subject out everywhere: `fastify.authJwt.revokeAllTokens`
   * for the subject of this request's verified token.
   * @throws MissingTokenError when no check has passed on this request; otherwise as `revokeAllTokens`.
   */
  async revokeAllTokens (): Promise<void> {
    const claims = this.#request[kClaims]
    if (claims === null) throw new MissingTokenError('No verified token on this request')
    this.#request[kRevokedHere] = true
    await this.#parts.api.revokeAllTokens(claims.sub)
  }

  #currentToken (): string {
    const token = this.#request[kToken]
    if (token === null) throw new MissingTokenError('No verified token on this request')
    return token
  }
}
