// Every failure the plugin reports is one of these classes. Fastify's default
// error handler answers them as { statusCode, code, error, message } and sends
// `headers` along (WWW-Authenticate on 401s, RFC 6750). Messages are fixed
// strings: none of them ever contains a token, a secret or a key.
import { isScopeToken } from './scope-token'

/** Every `code` the plugin's errors carry; each maps to one status (see the classes). */
export type AuthJwtErrorCode =
  | 'FST_JWT_AUTH_MISSING_TOKEN'
  | 'FST_JWT_AUTH_BAD_HEADER'
  | 'FST_JWT_AUTH_TOKEN_EXPIRED'
  | 'FST_JWT_AUTH_TOKEN_INVALID'
  | 'FST_JWT_AUTH_TOKEN_REVOKED'
  | 'FST_JWT_AUTH_ACCESS_REQUIRED'
  | 'FST_JWT_AUTH_REFRESH_REQUIRED'
  | 'FST_JWT_AUTH_FRESH_REQUIRED'
  | 'FST_JWT_AUTH_CSRF_MISSING'
  | 'FST_JWT_AUTH_CSRF_MISMATCH'
  | 'FST_JWT_AUTH_DENYLIST_FAILED'
  | 'FST_JWT_AUTH_CONFIG'
  | 'FST_JWT_AUTH_JWKS_FAILED'
  | 'FST_JWT_AUTH_TOKEN_REUSED'
  | 'FST_JWT_AUTH_INSUFFICIENT_SCOPE'
  | 'FST_JWT_AUTH_USER_NOT_FOUND'
  | 'FST_JWT_AUTH_USER_LOOKUP_FAILED'

// RFC 6750 §3: no token presented → a bare challenge; a token presented but
// refused → error="invalid_token", so clients know to refresh or log in again.
const CHALLENGE_NO_TOKEN = Object.freeze({ 'www-authenticate': 'Bearer' })
const CHALLENGE_BAD_TOKEN = Object.freeze({ 'www-authenticate': 'Bearer error="invalid_token"' })

/**
 * The base of every error the plugin throws: `code`, `statusCode`, and on
 * 401s `headers` with the `WWW-Authenticate` challenge. Test for it in an
 * error handler, and send `headers` along to keep the challenge.
 * @example
 * app.setErrorHandler((error, request, reply) => {
 *   if (error instanceof AuthJwtError) {
 *     return reply.code(error.statusCode).headers(error.headers ?? {}).send({ message: error.message })
 *   }
 *   throw error
 * })
 */
export class AuthJwtError extends Error {
  readonly code: AuthJwtErrorCode
  readonly statusCode: number
  readonly headers?: Readonly<Record<string, string>>

  constructor (code: AuthJwtErrorCode, statusCode: number, message: string, options?: ErrorOptions,
    headers?: Readonly<Record<string, string>>) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.statusCode = statusCode
    if (headers !== undefined) {
      this.headers = headers
    } else if (statusCode === 401) {
      this.headers = code === 'FST_JWT_AUTH_MISSING_TOKEN' ? CHALLENGE_NO_TOKEN : CHALLENGE_BAD_TOKEN
    }
  }
}

/** 401 `FST_JWT_AUTH_MISSING_TOKEN`: no location held a token. The message names each location's reason. */
export class MissingTokenError extends AuthJwtError {
  constructor (message: string) {
    super('FST_JWT_AUTH_MISSING_TOKEN', 401, message)
  }
}

/**
 * 400 `FST_JWT_AUTH_BAD_HEADER`: the token header is not `<type> <JWT>`, or
 * the header or a JWT/CSRF cookie was sent more than once.
 */
export class InvalidHeaderError extends AuthJwtError {
  constructor (message: string) {
    super('FST_JWT_AUTH_BAD_HEADER', 400, message)
  }
}

/** 401 `FST_JWT_AUTH_TOKEN_EXPIRED`, or `FST_JWT_AUTH_TOKEN_INVALID` for every other reason a token fails verification. */
export class JWTDecodeError extends AuthJwtError {
  constructor (code: 'FST_JWT_AUTH_TOKEN_EXPIRED' | 'FST_JWT_AUTH_TOKEN_INVALID', message: string) {
    super(code, 401, message)
  }
}

/** 401 `FST_JWT_AUTH_TOKEN_REVOKED`: the denylist holds the token. */
export class RevokedTokenError extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_TOKEN_REVOKED', 401, 'Token has been revoked')
  }
}

/**
 * 401 `FST_JWT_AUTH_TOKEN_REUSED`: a refresh token used before came back after
 * the grace window; its whole family is revoked, as one of its holders stole it.
 */
export class TokenReusedError extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_TOKEN_REUSED', 401, 'Refresh token has already been used')
  }
}

/** 401 `FST_JWT_AUTH_ACCESS_REQUIRED`: a refresh token where an access token is needed. */
export class AccessTokenRequired extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_ACCESS_REQUIRED', 401, 'Only access tokens are allowed')
  }
}

/** 401 `FST_JWT_AUTH_REFRESH_REQUIRED`: an access token where a refresh token is needed. */
export class RefreshTokenRequired extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_REFRESH_REQUIRED', 401, 'Only refresh tokens are allowed')
  }
}

/** 401 `FST_JWT_AUTH_FRESH_REQUIRED`: the access token is not fresh (any more). */
export class FreshTokenRequired extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_FRESH_REQUIRED', 401, 'Fresh token required')
  }
}

/** 401 `FST_JWT_AUTH_CSRF_MISSING` or `FST_JWT_AUTH_CSRF_MISMATCH`: the double-submit check of a cookie token failed. */
export class CSRFError extends AuthJwtError {
  constructor (code: 'FST_JWT_AUTH_CSRF_MISSING' | 'FST_JWT_AUTH_CSRF_MISMATCH') {
    super(code, 401, code === 'FST_JWT_AUTH_CSRF_MISSING'
      ? 'Missing CSRF Token'
      : 'CSRF double submit tokens do not match')
  }
}

/**
 * The denylist hook or store failed. Answered as a 500 so that nobody gets in
 * while the denylist cannot answer; the cause is kept for the logs only.
 */
export class DenylistError extends AuthJwtError {
  constructor (message: string, options?: ErrorOptions) {
    super('FST_JWT_AUTH_DENYLIST_FAILED', 500, message, options)
  }
}

/**
 * 500 `FST_JWT_AUTH_JWKS_FAILED`: the remote JWKS (`jwksUrl`) could not be
 * fetched and no key in hand fits the token, so nobody gets in; the cause is
 * kept for the logs only.
 */
export class JwksError extends AuthJwtError {
  constructor (message: string, options?: ErrorOptions) {
    super('FST_JWT_AUTH_JWKS_FAILED', 500, message, options)
  }
}

/**
 * 403 `FST_JWT_AUTH_INSUFFICIENT_SCOPE`: a valid token without the scopes the
 * route requires. The challenge names them (RFC 6750 §3.1), so that a client
 * knows which scopes to ask its authorization server for.
 */
export class InsufficientScopeError extends AuthJwtError {
  /** The scopes the route requires: all of them, or one when `any` was asked for. */
  readonly requiredScopes: readonly string[]

  constructor (requiredScopes: readonly string[]) {
    // Only scope tokens reach the header: none holds a quote, a backslash or
    // a space, so none can break out of the quoted string. The guards pass
    // checked scopes; an application constructing the error may not.
    const scopes = Array.isArray(requiredScopes) ? requiredScopes.filter(isScopeToken) : []
    super('FST_JWT_AUTH_INSUFFICIENT_SCOPE', 403, 'Insufficient scope', undefined,
      Object.freeze({ 'www-authenticate': `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"` }))
    this.requiredScopes = Object.freeze(scopes)
  }
}

/** 401 `FST_JWT_AUTH_USER_NOT_FOUND`: `userLookup` found no user for a valid token (deleted, disabled). */
export class UserNotFoundError extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_USER_NOT_FOUND', 401, 'User not found')
  }
}

/**
 * 500 `FST_JWT_AUTH_USER_LOOKUP_FAILED`: `userLookup` threw, rejected or did
 * not answer in time, so nobody gets in; the cause is kept for the logs only.
 */
export class UserLookupError extends AuthJwtError {
  constructor (message: string, options?: ErrorOptions) {
    super('FST_JWT_AUTH_USER_LOOKUP_FAILED', 500, message, options)
  }
}

/**
 * `FST_JWT_AUTH_CONFIG`: a bad setting (registration fails with it), or an
 * operation the configuration does not allow; answered as a 500 if it ever
 * reaches a request.
 */
export class ConfigError extends AuthJwtError {
  constructor (message: string) {
    super('FST_JWT_AUTH_CONFIG', 500, message)
  }
}

export function expiredTokenError (): JWTDecodeError {
  return new JWTDecodeError('FST_JWT_AUTH_TOKEN_EXPIRED', 'Signature has expired')
}

export function invalidTokenError (message: string): JWTDecodeError {
  return new JWTDecodeError('FST_JWT_AUTH_TOKEN_INVALID', message)
}
