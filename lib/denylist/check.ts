// Runs the denylist hook for a token. Fails closed: a hook that throws,
// rejects, answers something other than a boolean, or does not answer in
// time fails the request with DenylistError; nothing gets in.
import type { FastifyRequest } from 'fastify'
import type { AuthJwtConfig } from '../config'
import { DenylistError, invalidTokenError, RevokedTokenError } from '../errors'
import type { AuthJwtClaims, TokenType } from '../options'
import type { WithDeadline } from './deadlines'
import { issuedAtMsOf, tokenIdentity } from '../token-identity'
import { kLookupNow, type DenylistStore, type SynchronousLookup } from './store'

/**
 * Throws, or returns a promise, when the token is refused; undefined when it
 * passed without waiting (type not checked, or a hook that answered at once).
 */
export type CheckDenylist = (claims: AuthJwtClaims, type: TokenType, request: FastifyRequest) => Promise<void> | undefined

/** `withDeadline`: the instance's watch, shared with revokeToken. */
export function createDenylistCheck (config: AuthJwtConfig, withDeadline: WithDeadline): CheckDenylist {
  const checkedTypes = new Set(config.denylistEnabled ? config.denylistTokenChecks : [])
  const tokenInDenylist = config.tokenInDenylist ?? defaultHook(config.denylistStore as DenylistStore)
  const timeout = config.denylistTimeout * 1000
  // A fixed text: the 500 reaches clients, and the limit is the server's business.
  const timeoutError = () => new DenylistError('The denylist check did not answer in time')

  return function checkDenylist (claims, type, request) {
    if (!checkedTypes.has(type)) return undefined
    // Without a jti a revoked token could not be told from any other.
    if (claims.jti === undefined) throw invalidTokenError('Token is missing the "jti" claim')
    let answer: boolean | Promise<boolean>
    try {
      answer = tokenInDenylist(claims, request)
    } catch (error) {
      throw hookFailed(error)
    }
    // A synchronous answer needs no promise and no deadline: the fast path of
    // the in-memory store and of in-process hooks.
    if (typeof answer === 'boolean') {
      verdict(answer)
      return undefined
    }
    return withDeadline(Promise.resolve(answer), timeout, timeoutError).then(verdict, error => { throw hookFailed(error) })
  }
}

/**
 * The store lookup; synchronous when the store can answer at once (the memory
 * store). The store gets the token's identity too: it refuses the token when
 * its family was revoked or its subject cut off, and may have folded the
 * subject's revocations into one entry.
 */
function defaultHook (store: DenylistStore): (claims: AuthJwtClaims) => boolean | Promise<boolean> {
  const lookupNow = (store as Partial<SynchronousLookup>)[kLookupNow]
  return lookupNow === undefined
    ? claims => store.has(claims.jti as string, tokenIdentity(claims))
    : claims => lookupNow(claims.jti as string, claims.sub, claims.iat, issuedAtMsOf(claims), claims.fam)
}

function verdict (revoked: unknown): void {
  if (revoked === false) return
  if (revoked === true) throw new RevokedTokenError()
  throw new DenylistError('The denylist check answered neither true nor false')
}

function hookFailed (error: unknown): DenylistError {
  return error instanceof DenylistError ? error : new DenylistError('The denylist check failed', { cause: error })
}
