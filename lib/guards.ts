// The checks every guard runs, cheapest and most telling first: find the token → CSRF
// present → verify → token type → freshness → CSRF match → denylist.
// Synchronous unless the denylist (or a remote key still to be fetched) has
// to be awaited: a guarded route without a denylist allocates no promise.
import type { FastifyRequest, preHandlerHookHandler } from 'fastify'
import { checkCsrfMatch } from './csrf'
import type { CheckDenylist } from './denylist/check'
import { AccessTokenRequired, FreshTokenRequired, RefreshTokenRequired } from './errors'
import type { AuthJwtClaims, TokenType } from './options'
import { kClaims, kToken, kTokenLocation, type RequestState } from './request-state'
import type { FindToken, FoundToken } from './token-locations'
import type { MissingTokenError } from './errors'
import { verifyWhenKeyLoaded, type VerifyToken } from './token-verifier'

/** What a guard asks of the request's token. */
export type Requirement = 'access' | 'optional' | 'refresh' | 'fresh'

/** Throws or rejects when the request does not meet the requirement. */
export type Authenticate = (request: FastifyRequest, requirement: Requirement) => Promise<void> | undefined

interface AuthenticateParts {
  findToken: FindToken
  missingTokenError: (type: TokenType) => MissingTokenError
  verifyToken: VerifyToken
  checkDenylist: CheckDenylist
}

export function createAuthenticate (parts: AuthenticateParts): Authenticate {
  const { findToken, missingTokenError, verifyToken, checkDenylist } = parts

  function check (request: FastifyRequest, requirement: Requirement, found: FoundToken, claims: AuthJwtClaims,
    type: TokenType): Promise<void> | undefined {
    checkType(claims, type)
    if (requirement === 'fresh' && !isFresh(claims)) throw new FreshTokenRequired()
    if (found.csrf !== undefined) checkCsrfMatch(found.csrf, claims.csrf)
    const pending = checkDenylist(claims, type, request)
    if (pending === undefined) {
      keep(request, claims, found)
      return undefined
    }
    return pending.then(() => keep(request, claims, found))
  }

  return function authenticate (request, requirement) {
    const type: TokenType = requirement === 'refresh' ? 'refresh' : 'access'
    const found = findToken(request, type)
    if (found === undefined) {
      if (requirement === 'optional') return undefined
      throw missingTokenError(type)
    }
    const claims = verifyWhenKeyLoaded(verifyToken, found.token)
    // A promise only while a remote key set fetches the token's key.
    if (claims instanceof Promise) return claims.then(loaded => check(request, requirement, found, loaded, type))
    return check(request, requirement, found, claims, type)
  }
}

function checkType (claims: AuthJwtClaims, type: TokenType): void {
  // A token without `type` (from another issuer) counts as an access token.
  const actual = claims.type ?? 'access'
  if (actual !== type) throw type === 'access' ? new AccessTokenRequired() : new RefreshTokenRequired()
}

function isFresh (claims: AuthJwtClaims): boolean {
  const fresh = claims.fresh
  return fresh === true || (typeof fresh === 'number' && Date.now() / 1000 <= fresh)
}

function keep (request: FastifyRequest, claims: AuthJwtClaims, found: FoundToken): void {
  const state = request as unknown as RequestState
  state[kClaims] = claims
  state[kToken] = found.token
  state[kTokenLocation] = found.location
}

/**
 * A preHandler running the checks, whatever the method. OPTIONS is checked
 * too: a route that answers it (`app.all`, or a method list naming it) runs
 * its handler for it. CORS preflights never get this far when
 * `@fastify/cors` answers them, in its onRequest hook.
 */
export function createGuard (authenticate: Authenticate, requirement: Requirement): preHandlerHookHandler {
  return function guard (request, _reply, done) {
    let pending: Promise<void> | undefined
    try {
      pending = authenticate(request, requirement)
    } catch (error) {
      return done(error as Error)
    }
    if (pending === undefined) return done()
    pending.then(() => done(), done)
  }
}
