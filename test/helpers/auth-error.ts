// One assertion for an answer that must be one of the plugin's errors: the
// status, the code, Fastify's body shape, and the RFC 6750 challenge a 401
// carries (bare when no token was presented, error="invalid_token" otherwise).
import type { Test } from 'tap'
import type { AuthJwtErrorCode } from '../../index'

interface Response {
  statusCode: number
  headers: Record<string, unknown>
  json: () => unknown
}

const STATUS: Record<AuthJwtErrorCode, number> = {
  FST_JWT_AUTH_MISSING_TOKEN: 401,
  FST_JWT_AUTH_BAD_HEADER: 400,
  FST_JWT_AUTH_TOKEN_EXPIRED: 401,
  FST_JWT_AUTH_TOKEN_INVALID: 401,
  FST_JWT_AUTH_TOKEN_REVOKED: 401,
  FST_JWT_AUTH_ACCESS_REQUIRED: 401,
  FST_JWT_AUTH_REFRESH_REQUIRED: 401,
  FST_JWT_AUTH_FRESH_REQUIRED: 401,
  FST_JWT_AUTH_CSRF_MISSING: 401,
  FST_JWT_AUTH_CSRF_MISMATCH: 401,
  FST_JWT_AUTH_DENYLIST_FAILED: 500,
  FST_JWT_AUTH_CONFIG: 500,
  FST_JWT_AUTH_JWKS_FAILED: 500,
  FST_JWT_AUTH_TOKEN_REUSED: 401,
  FST_JWT_AUTH_INSUFFICIENT_SCOPE: 403,
  FST_JWT_AUTH_USER_NOT_FOUND: 401,
  FST_JWT_AUTH_USER_LOOKUP_FAILED: 500
}

const ERROR_NAMES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error'
}

/**
 * Asserts that `response` is the plugin's `code` error, in Fastify's shape
 * `{ statusCode, code, error, message }`, with the challenge a 401 needs.
 * `message`, when given, must match the message exactly (string) or by
 * pattern. `what` prefixes every assertion's label.
 */
export function expectAuthError (
  t: Test,
  response: Response,
  code: AuthJwtErrorCode,
  { message, what = code, challenge: expectedChallenge }: {
    message?: string | RegExp
    what?: string
    /** The WWW-Authenticate a 403 carries (a 401's is known from its code). */
    challenge?: string
  } = {}
): void {
  const status = STATUS[code]
  t.equal(response.statusCode, status, `${what}: status ${status}`)
  const body = response.json() as Record<string, unknown>
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], `${what}: Fastify's error body shape`)
  t.equal(body.statusCode, status, `${what}: statusCode in the body`)
  t.equal(body.code, code, `${what}: code ${code}`)
  t.equal(body.error, ERROR_NAMES[status], `${what}: error name`)
  if (typeof message === 'string') t.equal(body.message, message, `${what}: message`)
  if (message instanceof RegExp) t.match(body.message, message, `${what}: message`)
  const challenge = status !== 401
    ? expectedChallenge
    : code === 'FST_JWT_AUTH_MISSING_TOKEN' ? 'Bearer' : 'Bearer error="invalid_token"'
  t.equal(response.headers['www-authenticate'], challenge, `${what}: WWW-Authenticate ${challenge ?? 'absent'}`)
}
