// The answers a guarded route gives when its guard refuses the request: 401
// for the token, 403 for the scopes, both in Fastify's error shape, which one
// shared schema describes.
import type { Requirement } from '../guards'
import type { JsonObject } from './json-object'
import type { RouteGuard } from './route-guard'
import type { DocumentVersion } from './security-schemes'

export const ERROR_SCHEMA_NAME = 'AuthJwtError'

export function errorSchema (): JsonObject {
  return {
    type: 'object',
    description: 'An authentication or authorization error',
    required: ['statusCode', 'code', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 401 },
      code: { type: 'string', example: 'FST_JWT_AUTH_MISSING_TOKEN' },
      error: { type: 'string', example: 'Unauthorized' },
      message: { type: 'string', example: 'Missing Authorization Header' }
    }
  }
}

const UNAUTHORIZED: Record<Requirement, string> = {
  access: 'Missing, invalid, expired or revoked access token',
  fresh: 'Missing, invalid, expired or revoked access token, or one that is not fresh',
  refresh: 'Missing, invalid, expired or revoked refresh token',
  // A request without a token gets through: only a bad one is refused.
  optional: 'Invalid, expired or revoked token (a request without one is accepted)'
}

// Every answer of the plugin's guards carries its RFC 6750 challenge.
const CHALLENGES: Record<string, string> = {
  401: 'The Bearer challenge, with error="invalid_token" when a token was refused',
  403: 'The Bearer challenge with error="insufficient_scope" and the scopes required'
}

/** The description of each error status the route answers with. */
export function errorDescriptions (guard: RouteGuard, csrfChecked: boolean): Record<string, string> {
  const descriptions: Record<string, string> = {
    401: UNAUTHORIZED[guard.requirement] + (csrfChecked ? '; or, with the cookie, a missing or wrong CSRF header' : '')
  }
  const scopes = [
    ...(guard.allScopes.length === 0 ? [] : [`all of ${guard.allScopes.join(', ')}`]),
    ...guard.anyScopes.map(scopes => `one of ${scopes.join(', ')}`)
  ]
  if (scopes.length > 0) descriptions[403] = `The token lacks the scopes this route requires: ${scopes.join(' and ')}`
  return descriptions
}

/** The response object for `status` (401 or 403), its body a reference to the shared error schema. */
export function errorResponse (version: DocumentVersion, status: string, description: string): JsonObject {
  const challenge = CHALLENGES[status]
  if (version === 'openapi3') {
    return {
      description,
      headers: { 'WWW-Authenticate': { description: challenge, schema: { type: 'string' } } },
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` } } }
    }
  }
  return {
    description,
    headers: { 'WWW-Authenticate': { type: 'string', description: challenge } },
    schema: { $ref: `#/definitions/${ERROR_SCHEMA_NAME}` }
  }
}
