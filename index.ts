// fastify-jwt-auth: the plugin. Builds everything once at registration (the
// configuration, fast-jwt signers and verifier, the token finder) and adds the
// decorators; routes without a guard pay nothing.
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { resolveConfig } from './lib/config'
import { createCookieHelpers } from './lib/cookies'
import { createDenylistCheck } from './lib/denylist/check'
import { createDeadlineWatch, DENYLIST_TICK_MS } from './lib/denylist/deadlines'
import { createStoreCall } from './lib/denylist/store-call'
import { readEnvironment } from './lib/environment'
import { kGuards, type InstanceGuards } from './lib/exported-guards'
import { createAuthenticate, createGuard, createScopeGuard, runChecks } from './lib/guards'
import { createInstanceApi } from './lib/instance-api'
import { addJwksRoute } from './lib/keys/jwks-route'
import { createKeySource } from './lib/keys/key-setup'
import type { FastifyJwtAuthOptions } from './lib/options'
import { addOpenApiSecurity } from './lib/openapi'
import { RequestAuthJwt, type RequestAuthJwtParts } from './lib/request-auth-jwt'
import { createImplicitRefresh } from './lib/sessions/implicit-refresh'
import { createRefreshRotation } from './lib/sessions/refresh-rotation'
import {
  kClaims, kCurrentUser, kRequestAuthJwt, kRevokedHere, kToken, kTokenLocation, kUserFoundBy, kUserToken, type RequestState
} from './lib/request-state'
import { scopeRequirement, type ScopesRequiredOptions } from './lib/scopes'
import { createTokenFactory } from './lib/token-factory'
import { createIssueClock } from './lib/token-identity'
import { createTokenFinder } from './lib/token-locations'
import { createTokenVerifier } from './lib/token-verifier'
import { createUserLookup } from './lib/user-lookup'

async function fastifyJwtAuthPlugin (fastify: FastifyInstance, options: FastifyJwtAuthOptions): Promise<void> {
  const config = resolveConfig(options, await readEnvironment(fastify, options))

  if (config.tokenLocation.includes('cookies') && !fastify.hasRequestDecorator('cookies')) {
    await fastify.register(fastifyCookie)
  }

  const keySource = createKeySource(config.keySetup, config, fastify.log)
  const verifyToken = createTokenVerifier(config, keySource)
  // One timer bounds every call this instance waits for: denylist lookups,
  // revocations and user lookups.
  const withDenylistDeadline = createDeadlineWatch(DENYLIST_TICK_MS)
  const { findToken, missingTokenError } = createTokenFinder(config)
  const checkDenylist = createDenylistCheck(config, withDenylistDeadline)
  const lookUpUser = config.userLookup === undefined
    ? undefined
    : createUserLookup(config.userLookup, config.userLookupTimeout, withDenylistDeadline)
  const authenticate = createAuthenticate({
    findToken, missingTokenError, verifyToken, checkDenylist, scopeClaim: config.scopeClaim, lookUpUser
  })
  const callStore = createStoreCall(withDenylistDeadline, config.denylistTimeout * 1000)
  // Shared by the instance's token creation and its "log out everywhere".
  const issueClock = createIssueClock()
  const factory = createTokenFactory(config, keySource, issueClock.now)
  const api = createInstanceApi(config, factory, verifyToken, callStore, keySource, issueClock)
  const parts: RequestAuthJwtParts = {
    api,
    authenticate,
    cookies: createCookieHelpers(config, api.decodeToken),
    rotate: createRefreshRotation(config, { factory, callStore, checkDenylist, issueClock })
  }
  if ('refresh' in keySource) {
    // The issuer's keys are in hand before the first request, when it answers;
    // when it does not, the guards fetch them later and the app still starts.
    fastify.addHook('onReady', keySource.refresh)
  }
  // Before any route is declared: the guarded routes of this instance and
  // its children get their `security` in the @fastify/swagger document.
  addOpenApiSecurity(fastify, config)
  if (config.jwksRoute !== false) addJwksRoute(fastify, config.jwksRoute, api)
  if (config.implicitRefreshThreshold !== false) {
    fastify.addHook('onSend', createImplicitRefresh({ ...config, implicitRefreshThreshold: config.implicitRefreshThreshold },
      factory, parts.cookies, checkDenylist, issueClock))
  }

  const guards = Object.freeze<InstanceGuards>({
    access: createGuard(authenticate, 'access'),
    optional: createGuard(authenticate, 'optional'),
    refresh: createGuard(authenticate, 'refresh'),
    fresh: createGuard(authenticate, 'fresh'),
    withScopes: (request, scopes, done) => runChecks(authenticate, request, 'access', scopes, done)
  })

  fastify.decorate('authJwt', api)
  fastify.decorate('jwtRequired', guards.access)
  fastify.decorate('jwtOptional', guards.optional)
  fastify.decorate('jwtRefreshTokenRequired', guards.refresh)
  fastify.decorate('freshJwtRequired', guards.fresh)
  fastify.decorate('jwtScopesRequired', (scopes: readonly string[], options?: ScopesRequiredOptions) =>
    createScopeGuard(authenticate, scopeRequirement(scopes, options)))
  // For the exported guards, which look the plugin up on the route's instance.
  fastify.decorate(kGuards, guards)

  fastify.decorateRequest(kClaims, null)
  fastify.decorateRequest(kToken, null)
  fastify.decorateRequest(kTokenLocation, null)
  fastify.decorateRequest(kRevokedHere, false)
  fastify.decorateRequest(kRequestAuthJwt, null)
  fastify.decorateRequest(kCurrentUser, null)
  fastify.decorateRequest(kUserToken, null)
  fastify.decorateRequest(kUserFoundBy, null)
  fastify.decorateRequest('authJwt', {
    getter (this: FastifyRequest) {
      const state = this as FastifyRequest & RequestState
      let helper = state[kRequestAuthJwt] as RequestAuthJwt | null
      if (helper === null) {
        helper = new RequestAuthJwt(this, parts)
        state[kRequestAuthJwt] = helper
      }
      return helper
    }
  })
}

/**
 * The plugin. Registers the guards (`jwtRequired`, `jwtOptional`,
 * `jwtRefreshTokenRequired`, `freshJwtRequired`), `fastify.authJwt` and
 * `request.authJwt` on the instance it is registered on, which
 * `fastify-plugin` makes the parent's. Await the registration before reading
 * the decorators, or use the guards exported by the package.
 * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) from `register`/`ready` for a bad,
 *   unknown or `undefined` option, naming it.
 * @example
 * import Fastify from 'fastify'
 * import fastifyJwtAuth, { jwtRequired } from 'fastify-jwt-auth'
 *
 * const app = Fastify()
 * await app.register(fastifyJwtAuth, { secretKey: process.env.JWT_SECRET as string })
 * app.get('/me', { preHandler: jwtRequired }, async request => ({ sub: request.authJwt.getJwtSubject() }))
 */
const fastifyJwtAuth: FastifyPluginAsync<FastifyJwtAuthOptions> = fp(fastifyJwtAuthPlugin, {
  fastify: '5.x',
  name: 'fastify-jwt-auth'
})

export default fastifyJwtAuth
export { fastifyJwtAuth }
export {
  AccessTokenRequired,
  AuthJwtError,
  ConfigError,
  CSRFError,
  DenylistError,
  FreshTokenRequired,
  InsufficientScopeError,
  JwksError,
  InvalidHeaderError,
  JWTDecodeError,
  MissingTokenError,
  RefreshTokenRequired,
  RevokedTokenError,
  TokenReusedError,
  UserLookupError,
  UserNotFoundError
} from './lib/errors'
export type { AuthJwtErrorCode } from './lib/errors'
export { createMemoryDenylist, createRedisDenylist } from './lib/denylist'
export { tokenIdentity } from './lib/token-identity'
export { freshJwtRequired, jwtOptional, jwtRefreshTokenRequired, jwtRequired, jwtScopesRequired } from './lib/exported-guards'
export type { ScopesRequiredOptions } from './lib/scopes'
export type {
  DenylistStore,
  MemoryDenylistOptions,
  RedisDenylistOptions,
  RedisLike,
  RefreshTokenUse,
  RefreshTokenUseResult,
  TokenIdentity
} from './lib/denylist'
export type { RefreshTokensOptions, TokenPair } from './lib/sessions/refresh-rotation'
export type { AuthJwt } from './lib/instance-api'
export type { RequestAuthJwt } from './lib/request-auth-jwt'
export type { CreateAccessTokenOptions, CreateTokenOptions } from './lib/token-factory'
export type { JwkSet, PublicJwk } from './lib/keys/jwk'
export type { KeyOption } from './lib/keys/key-set'
export type {
  Algorithm,
  AuthJwtClaims,
  AuthJwtUser,
  AuthJwtUserClaims,
  FastifyJwtAuthOptions,
  JwtClaims,
  SameSite,
  TokenInDenylist,
  TokenLocation,
  TokenType,
  UserLookup
} from './lib/options'
export type { AuthJwtInstanceDecorators } from './types/fastify'

// CommonJS: `require('fastify-jwt-auth')` is the plugin itself, with the named
// exports (and `default`) on it, as Fastify's own plugins do.
module.exports = Object.assign(fastifyJwtAuth, module.exports)
