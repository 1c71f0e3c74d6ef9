// Serves the instance's public keys (`jwksRoute`), for other services and
// identity-aware proxies to verify its tokens without its secret.
import type { FastifyInstance } from 'fastify'
import type { AuthJwt } from '../instance-api'

/** Where `jwksRoute: true` serves the set: the path RFC 8615 clients look at. */
export const DEFAULT_JWKS_PATH = '/.well-known/jwks.json'

// Clients may keep the set this long. Short enough that a key added ahead of
// a rotation reaches them well before it signs (rotations wait longer than
// this between steps); clients also refetch on a kid they do not know.
export const JWKS_MAX_AGE_SECONDS = 300

export function addJwksRoute (fastify: FastifyInstance, route: true | string, api: AuthJwt): void {
  fastify.get(route === true ? DEFAULT_JWKS_PATH : route, async (_request, reply) => {
    reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
    return api.jwks()
  })
}
