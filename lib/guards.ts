// The checks every guard runs, cheapest and most telling first: find the token → CSRF
// present → verify → token type → freshness → CSRF match → denylist → scopes
// (scope guards) → user lookup (with `userLookup`).
// Synchronous unless the denylist, the user lookup (or a remote key still to
// be fetched) has to be awaited: a guarded route without them allocates no promise.
import type { FastifyRequest, preHandlerHookHandler } from 'fastify'
import { checkCsrfMatch } from './csrf'
import type { CheckDenylist } from './denylist/check'
import { describeGuard } from './guard-registry'
import { AccessTokenRequired, FreshTokenRequired, RefreshTokenRequired } from './errors'
import type { AuthJwtClaims, TokenType } from './options'
import { kClaims, kToken, kTokenLocation, type RequestState } from './request-state'
import { checkScopes, type ScopeRequirement } from './scopes'
import type { FindToken, FoundToken } from './token-locations'
import type { MissingTokenError } from './errors'
import { verifyWhenKeyLoaded, type VerifyToken } from './token-verifier'
import type { LookUpUser } from './user-lookup'

/** What a guard asks of the request's token. */
export type Requirement = 'access' | 'optional' | 'refresh' | 'fresh'

/**
 * Throws or rejects when the request does not meet the requirement (and, for
 * a scope guard, the scope requirement).
 */
export type Authenticate = (request: FastifyRequest, requirement: Requirement, scopes?: ScopeRequirement) =>
Promise<void> | undefined

interface AuthenticateParts {
  findToken: FindToken
  missingTokenError: (type: TokenType) => MissingTokenError
  verifyToken: VerifyToken
  checkDenylist: CheckDenylist
  scopeClaim: string
  /** undefined without `userLookup`. */
  lookUpUser: LookUpUser | undefined
}

export function createAuthenticate (parts: AuthenticateParts): Authenticate {
  const { findToken, missingTokenError, verifyToken, checkDenylist, scopeClaim, lookUpUser } = parts

  function check (request: FastifyRequest, requirement: Requirement, found: FoundToken, claims: AuthJwtClaims,
    type: TokenType, scopes: ScopeRequirement | undefined): Promise<void> | undefined {
    checkType(claims, type)
    if (requirement === 'fresh' && !isFresh(claims)) throw new FreshTokenRequired()
    if (found.csrf !== undefined) checkCsrfMatch(found.csrf, claims.csrf)
    const pending = checkDenylist(claims, type, request)
    if (pending === undefined) return admit(request, found, claims, scopes)
    return pending.then(() => admit(request, found, claims, scopes))
  }

  // After the token itself: a revoked token is refused as revoked, not as
  // lacking a scope, and the user is looked up for a token that passed everything.
  function admit (request: FastifyRequest, found: FoundToken, claims: AuthJwtClaims,
    scopes: ScopeRequirement | undefined): Promise<void> | undefined {
    if (scopes !== undefined) checkScopes(claims, scopeClaim, scopes)
    const pending = lookUpUser?.(claims, found.token, request)
    if (pending === undefined) {
      keep(request, claims, found)
      return undefined
    }
    return pending.then(() => keep(request, claims, found))
  }

  return function authenticate (request, requirement, scopes) {
    const type: TokenType = requirement === 'refresh' ? 'refresh' : 'access'
    const found = findToken(request, type)
    if (found === undefined) {
      if (requirement === 'optional') return undefined
      throw missingTokenError(type)
    }
    const claims = verifyWhenKeyLoaded(verifyToken, found.token)
    // A promise only while a remote key set fetches the token's key.
    if (claims instanceof Promise) {
      return claims.then(loaded => check(request, requirement, found, loaded, type, scopes))
    }
    return check(request, requirement, found, claims, type, scopes)
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
  return describeGuard<preHandlerHookHandler>(function guard (request, _reply, done) {
    runChecks(authenticate, request, requirement, undefined, done)
  }, { requirement })
}

/** A preHandler: `jwtRequired`'s checks, then the scopes. */
export function createScopeGuard (authenticate: Authenticate, scopes: ScopeRequirement): preHandlerHookHandler {
  return describeGuard<preHandlerHookHandler>(function scopeGuard (request, _reply, done) {
    runChecks(authenticate, request, 'access', scopes, done)
  }, { requirement: 'access', scopes: scopes.scopes, anyScope: scopes.any })
}

/** Runs the checks for a hook: `done` with the error, or with nothing once they passed. */
export function runChecks (authenticate: Authenticate, request: FastifyRequest, requirement: Requirement,
  scopes: ScopeRequirement | undefined, done: (error?: Error) => void): void {
  let pending: Promise<void> | undefined
  try {
    pending = authenticate(request, requirement, scopes)
  } catch (error) {
    return done(error as Error)
  }
  if (pending === undefined) return done()
  pending.then(() => done(), done)
}
