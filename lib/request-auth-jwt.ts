// `request.authJwt`: the guards' checks callable inside a handler, what the
// checks verified, and the cookie helpers. Created on first use only.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CookieHelpers } from './cookies'
import { MissingTokenError } from './errors'
import type { Authenticate } from './guards'
import type { AuthJwt } from './instance-api'
import type { AuthJwtClaims } from './options'
import { kClaims, kToken, type RequestState } from './request-state'
import type { CreateAccessTokenOptions, CreateTokenOptions } from './token-factory'

export interface RequestAuthJwtParts {
  api: AuthJwt
  authenticate: Authenticate
  cookies: CookieHelpers
}

export class RequestAuthJwt {
  readonly #request: FastifyRequest & RequestState
  readonly #parts: RequestAuthJwtParts

  constructor (request: FastifyRequest, parts: RequestAuthJwtParts) {
    this.#request = request as FastifyRequest & RequestState
    this.#parts = parts
  }

  createAccessToken (options: CreateAccessTokenOptions): string {
    return this.#parts.api.createAccessToken(options)
  }

  createRefreshToken (options: CreateTokenOptions): string {
    return this.#parts.api.createRefreshToken(options)
  }

  /** A valid, unrevoked access token. */
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

  getJti (encoded: string): string | null {
    return this.#parts.api.getJti(encoded)
  }

  /** The header of the given token, or of the request's verified token. */
  getUnverifiedJwtHeaders (encoded?: string): Record<string, unknown> {
    return this.#parts.api.getUnverifiedJwtHeaders(encoded ?? this.#currentToken())
  }

  setAccessCookies (reply: FastifyReply, token: string, maxAge?: number): void {
    this.#parts.cookies.setTokenCookies(reply, 'access', token, maxAge)
  }

  setRefreshCookies (reply: FastifyReply, token: string, maxAge?: number): void {
    this.#parts.cookies.setTokenCookies(reply, 'refresh', token, maxAge)
  }

  unsetJwtCookies (reply: FastifyReply): void {
    this.#parts.cookies.unsetTokenCookies(reply, 'access', 'unsetJwtCookies')
    this.#parts.cookies.unsetTokenCookies(reply, 'refresh', 'unsetJwtCookies')
  }

  unsetAccessCookies (reply: FastifyReply): void {
    this.#parts.cookies.unsetTokenCookies(reply, 'access')
  }

  unsetRefreshCookies (reply: FastifyReply): void {
    this.#parts.cookies.unsetTokenCookies(reply, 'refresh')
  }

  /** Revokes the given token, or the request's verified token. */
  async revokeToken (claimsOrEncoded?: AuthJwtClaims | string): Promise<void> {
    await this.#parts.api.revokeToken(claimsOrEncoded ?? this.#request[kClaims] ?? this.#currentToken())
  }

  #currentToken (): string {
    const token = this.#request[kToken]
    if (token === null) throw new MissingTokenError('No verified token on this request')
    return token
  }
}
