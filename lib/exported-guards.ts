// The guards the package exports, for use in place of the instance
// decorators. `app.jwtRequired` read before the plugin has loaded (a
// registration without `await`) is undefined, and Fastify takes an undefined
// preHandler as no preHandler: the route is open. These exist from the
// import on and find the plugin when a request arrives.
import type { FastifyInstance, preHandlerHookHandler } from 'fastify'
import { ConfigError } from './errors'
import type { Requirement } from './guards'

/**
 * Where the plugin leaves its guards on the instance it is registered on.
 * A symbol private to this module: an application cannot define it, as it
 * could define a public name (on purpose or by accident).
 */
export const kGuards = Symbol('fastify-jwt-auth.guards')

/** The plugin's own guards, the same functions as its decorators. */
export type InstanceGuards = Readonly<Record<Requirement, preHandlerHookHandler>>

interface WithGuards {
  [kGuards]?: InstanceGuards
}

function createExportedGuard (requirement: Requirement): preHandlerHookHandler {
  return function guard (request, reply, done) {
    // `request.server` is the route's encapsulation context: it holds the
    // guards of the plugin registered on it or inherited from a parent.
    const guards = (request.server as FastifyInstance & WithGuards)[kGuards]
    if (guards === undefined) return done(notRegisteredError())
    return guards[requirement].call(this, request, reply, done)
  }
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
