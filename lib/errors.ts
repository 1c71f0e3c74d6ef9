// Every failure the plugin reports is one of these classes. Fastify's default
// error handler answers them as { statusCode, code, error, message } and sends
// `headers` along (WWW-Authenticate on 401s, RFC 6750). Messages are fixed
// strings: none of them ever contains a token, a secret or a key.

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

// RFC 6750 §3: no token presented → a bare challenge; a token presented but
// refused → error="invalid_token", so clients know to refresh or log in again.
const CHALLENGE_NO_TOKEN = Object.freeze({ 'www-authenticate': 'Bearer' })
const CHALLENGE_BAD_TOKEN = Object.freeze({ 'www-authenticate': 'Bearer error="invalid_token"' })

export class AuthJwtError extends Error {
  readonly code: AuthJwtErrorCode
  readonly statusCode: number
  readonly headers?: Readonly<Record<string, string>>

  constructor (code: AuthJwtErrorCode, statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.statusCode = statusCode
    if (statusCode === 401) {
      this.headers = code === 'FST_JWT_AUTH_MISSING_TOKEN' ? CHALLENGE_NO_TOKEN : CHALLENGE_BAD_TOKEN
    }
  }
}

/** No location held a token. The message names each location's reason. */
export class MissingTokenError extends AuthJwtError {
  constructor (message: string) {
    super('FST_JWT_AUTH_MISSING_TOKEN', 401, message)
  }
}

/** The Authorization header is there but is not `<type> <JWT>`. */
export class InvalidHeaderError extends AuthJwtError {
  constructor (message: string) {
    super('FST_JWT_AUTH_BAD_HEADER', 400, message)
  }
}

/** The token could not be verified: expired, or invalid for any other reason. */
export class JWTDecodeError extends AuthJwtError {
  constructor (code: 'FST_JWT_AUTH_TOKEN_EXPIRED' | 'FST_JWT_AUTH_TOKEN_INVALID', message: string) {
    super(code, 401, message)
  }
}

export class RevokedTokenError extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_TOKEN_REVOKED', 401, 'Token has been revoked')
  }
}

export class AccessTokenRequired extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_ACCESS_REQUIRED', 401, 'Only access tokens are allowed')
  }
}

export class RefreshTokenRequired extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_REFRESH_REQUIRED', 401, 'Only refresh tokens are allowed')
  }
}

export class FreshTokenRequired extends AuthJwtError {
  constructor () {
    super('FST_JWT_AUTH_FRESH_REQUIRED', 401, 'Fresh token required')
  }
}

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

/** A bad setting, or an operation the configuration does not allow. */
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
