// The guards the package exports, for use in place of the instance
// decorators. `app.jwtRequired` read before the plugin has loaded (a
// registration without `await`) is undefined, and Fastify takes an undefined
// preHandler as no preHandler: the route is open. These exist from the
// import on and find the plugin when a request arrives.
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify'
import { ConfigError } from './errors'
import { describeGuard } from './guard-registry'
import type { Requirement } from './guards'
import { scopeRequirement, type ScopeRequirement, type ScopesRequiredOptions } from './scopes'

/**
 * Where the plugin leaves its guards on the instance it is registered on.
 * A symbol private to this module: an application cannot define it, as it
 * could define a public name (on purpose or by accident).
 */
export const kGuards = Symbol('fastify-jwt-auth.guards')

/** The plugin's own guards, the same functions as its decorators, and its scope check. */
export interface InstanceGuards extends Readonly<Record<Requirement, preHandlerHookHandler>> {
  /** `jwtRequired`'s checks, then the scopes; calls `done` as a hook does. */
  readonly withScopes: (request: FastifyRequest, scopes: ScopeRequirement, done: (error?: Error) => void) => void
}

interface WithGuards {
  [kGuards]?: InstanceGuards
}

// `request.server` is the route's encapsulation context: it holds the
// guards of the plugin registered on it or inherited from a parent.
function guardsOf (request: FastifyRequest): InstanceGuards | undefined {
  return (request.server as FastifyInstance & WithGuards)[kGuards]
}

function createExportedGuard (requirement: Requirement): preHandlerHookHandler {
  return describeGuard<preHandlerHookHandler>(function guard (request, reply, done) {
    const guards = guardsOf(request)
    if (guards === undefined) return done(notRegisteredError())
    return guards[requirement].call(this, request, reply, done)
  }, { requirement })
}

// Fails closed: a guard without its plugin must never let a request through.
function notRegisteredError (): ConfigError {
  return new ConfigError('fastify-jwt-auth is not registered for this route: ' +
    'register it with `await app.register(fastifyJwtAuth, options)` on the instance that declares the route or on one of its parents')
}

/**
 * preHandler: a valid, unrevoked access token. Usable before or after the
 * plugin is registered; a 500 `FST_JWT_AUTH_CONFIG` where it is not.
 * @example
 * app.get('/account', { preHandler: jwtRequired }, handler)
 * app.delete('/account', { preHandler: [jwtRequired, freshJwtRequired] }, handler)
 */
export const jwtRequired: preHandlerHookHandler = createExportedGuard('access')
/** preHandler: no token runs the handler anonymously; a present token must be valid. */
export const jwtOptional: preHandlerHookHandler = createExportedGuard('optional')
/** preHandler: a valid, unrevoked refresh token. */
export const jwtRefreshTokenRequired: preHandlerHookHandler = createExportedGuard('refresh')
/** preHandler: an access token that is fresh now. */
export const freshJwtRequired: preHandlerHookHandler = createExportedGuard('fresh')

/**
 * A preHandler: `jwtRequired`'s checks, then the scopes of the token's
 * `scopeClaim`: all of `scopes`, or one of them with `{ any: true }`.
 * Missing scopes: 403 `FST_JWT_AUTH_INSUFFICIENT_SCOPE`. Usable before or
 * after the plugin is registered, like the other exported guards.
 * @throws TypeError for an empty list, or a scope with a space, `"` or `\`.
 * @example
 * app.delete('/posts/:id', { preHandler: jwtScopesRequired(['posts:write']) }, handler)
 */
export function jwtScopesRequired (scopes: readonly string[], options?: ScopesRequiredOptions): preHandlerHookHandler {
  const required = scopeRequirement(scopes, options)
  return describeGuard<preHandlerHookHandler>(function scopeGuard (request, _reply, done) {
    const guards = guardsOf(request)
    if (guards === undefined) return done(notRegisteredError())
    guards.withScopes(request, required, done)
  }, { requirement: 'access', scopes: required.scopes, anyScope: required.any })
}
