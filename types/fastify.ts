// Declaration merging: what the plugin adds to Fastify's types.
import type { preHandlerHookHandler } from 'fastify'
import type { AuthJwt } from '../lib/instance-api'
import type { RequestAuthJwt } from '../lib/request-auth-jwt'
import type { ScopesRequiredOptions } from '../lib/scopes'

/**
 * The decorators the plugin adds to the Fastify instance. The guards among
 * them exist once the plugin has loaded (`await app.register(…)`); read
 * earlier they are undefined, which Fastify takes as no preHandler. The
 * guards exported by the package (`import { jwtRequired } from
 * 'fastify-jwt-auth'`) work either way. Every guard checks every method,
 * OPTIONS included.
 */
export interface AuthJwtInstanceDecorators {
  /** preHandler: a valid, unrevoked access token. */
  jwtRequired: preHandlerHookHandler
  /** preHandler: no token runs the handler anonymously; a present token must be valid. */
  jwtOptional: preHandlerHookHandler
  /** preHandler: a valid, unrevoked refresh token. */
  jwtRefreshTokenRequired: preHandlerHookHandler
  /** preHandler: an access token that is fresh now. */
  freshJwtRequired: preHandlerHookHandler
  /**
   * A preHandler: `jwtRequired`'s checks, then the scopes of the token's
   * `scopeClaim` (all of them, or one with `{ any: true }`); otherwise 403
   * `FST_JWT_AUTH_INSUFFICIENT_SCOPE`.
   */
  jwtScopesRequired: (scopes: readonly string[], options?: ScopesRequiredOptions) => preHandlerHookHandler
  authJwt: AuthJwt
}

declare module 'fastify' {
  interface FastifyInstance extends AuthJwtInstanceDecorators {}
  interface FastifyRequest {
    authJwt: RequestAuthJwt
  }
}
