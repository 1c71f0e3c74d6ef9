// `userLookup`: the user behind a verified token, found once per request and
// kept for `request.authJwt.currentUser`. It runs last, once every other
// check has passed, so a revoked or under-scoped token never costs a
// database call. It fails closed like the denylist: a throw, a rejection or
// no answer in time is a 500 and nobody gets in; a lookup that finds nobody
// (a deleted or disabled account) refuses the token with a 401.
import type { FastifyRequest } from 'fastify'
import type { WithDeadline } from './denylist/deadlines'
import { UserLookupError, UserNotFoundError } from './errors'
import type { AuthJwtClaims, AuthJwtUser, UserLookup } from './options'
import { kCurrentUser, kUserFoundBy, kUserToken, type RequestState } from './request-state'

/** Looks the user up unless it was found for this token already; a promise only when the lookup is async. */
export type LookUpUser = (claims: AuthJwtClaims, token: string, request: FastifyRequest) => Promise<void> | undefined

export function createUserLookup (userLookup: UserLookup, timeoutSeconds: number, withDeadline: WithDeadline): LookUpUser {
  const timeout = timeoutSeconds * 1000
  // A fixed text: the 500 reaches clients, and the limit is the server's business.
  const timeoutError = () => new UserLookupError('The user lookup did not answer in time')

  return function lookUpUser (claims, token, request) {
    const state = request as FastifyRequest & RequestState
    // Two guards on one route, or a guard and a check in the handler, check
    // the same token: one lookup serves both. Not a guard of another
    // instance of the plugin, whose lookup may well refuse that user.
    if (state[kUserToken] === token && state[kUserFoundBy] === lookUpUser) return undefined
    let pending: Promise<FoundUser>
    try {
      const answer = userLookup(claims, request)
      // Inside the try: reading `then` may throw (a proxy, a getter), and
      // what it throws must be logged, never sent.
      if (!isThenable(answer)) {
        keepUser(state, token, answer, lookUpUser)
        return undefined
      }
      pending = Promise.resolve(answer)
    } catch (error) {
      throw lookupFailed(error)
    }
    return withDeadline(pending, timeout, timeoutError)
      .then(user => keepUser(state, token, user, lookUpUser), error => { throw lookupFailed(error) })
  }
}

type FoundUser = AuthJwtUser | null | undefined | false

function isThenable (value: FoundUser | Promise<FoundUser>): value is Promise<FoundUser> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

// Fails closed on anything but a user object: `false` (from `account &&
// account.enabled && account`) means nobody, like null; 0, '' or a string
// is no user the plugin can vouch for.
function keepUser (state: RequestState, token: string, user: FoundUser, foundBy: LookUpUser): void {
  if (user === null || user === undefined || user === false) throw new UserNotFoundError()
  if (typeof user !== 'object' && typeof user !== 'function') {
    throw new UserLookupError('The user lookup answered neither a user object nor null')
  }
  state[kCurrentUser] = user
  state[kUserToken] = token
  state[kUserFoundBy] = foundBy
}

function lookupFailed (error: unknown): Error {
  // Our own refusal passes through; a timeout is already a UserLookupError.
  if (error instanceof UserNotFoundError || error instanceof UserLookupError) return error
  return new UserLookupError('The user lookup failed', { cause: error })
}
