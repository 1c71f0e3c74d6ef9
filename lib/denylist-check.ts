// Runs the denylist hook for a token. Fails closed: a hook that throws,
// rejects, answers something other than a boolean, or does not answer in
// time fails the request with DenylistError; nothing gets in.
import type { FastifyRequest } from 'fastify'
import type { AuthJwtConfig } from './config'
import { DenylistError, invalidTokenError, RevokedTokenError } from './errors'
import type { AuthJwtClaims, TokenType } from './options'

/**
 * Throws, or returns a promise, when the token is refused; undefined when it
 * passed without waiting (type not checked, or a hook that answered at once).
 */
export type CheckDenylist = (claims: AuthJwtClaims, type: TokenType, request: FastifyRequest) => Promise<void> | undefined

export function createDenylistCheck (config: AuthJwtConfig): CheckDenylist {
  const checkedTypes = new Set(config.denylistEnabled ? config.denylistTokenChecks : [])
  const store = config.denylistStore
  const tokenInDenylist = config.tokenInDenylist ?? ((claims: AuthJwtClaims) => store.has(claims.jti as string))
  const timeout = config.denylistTimeout * 1000

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
    // A synchronous answer needs no timer: the fast path of an in-process hook.
    if (typeof answer === 'boolean') {
      verdict(answer)
      return undefined
    }
    return withTimeout(Promise.resolve(answer), timeout).then(verdict, error => { throw hookFailed(error) })
  }
}

function verdict (revoked: unknown): void {
  if (revoked === false) return
  if (revoked === true) throw new RevokedTokenError()
  throw new DenylistError('The denylist check answered neither true nor false')
}

function hookFailed (error: unknown): DenylistError {
  return error instanceof DenylistError ? error : new DenylistError('The denylist check failed', { cause: error })
}

function withTimeout<T> (promise: Promise<T>, milliseconds: number): Promise<T> {
  return new Promise((resolve, reject) => {
    // Not unref'd: it is cleared as soon as the hook answers, so it holds the
    // process for at most the timeout, and a hung hook must still get its 500
    // when nothing else keeps the process alive (app.inject, a script).
    const timer = setTimeout(() => {
      reject(new DenylistError(`The denylist check did not answer within ${milliseconds / 1000} s`))
    }, milliseconds)
    promise.then(
      value => { clearTimeout(timer); resolve(value) },
      error => { clearTimeout(timer); reject(error) }
    )
  })
}
