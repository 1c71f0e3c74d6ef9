// Sets and clears the JWT cookies (httpOnly) and, with CSRF protection, their
// CSRF cookies (readable by the page's scripts, which echo them in a header).
import type { FastifyReply } from 'fastify'
import type { AuthJwtConfig } from './config'
import { ConfigError } from './errors'
import type { TokenType } from './options'
import type { VerifyToken } from './token-verifier'

export interface CookieHelpers {
  /** Throws a ConfigError naming `helper` unless `cookies` is a token location. */
  assertEnabled: (helper: string) => void
  setTokenCookies: (reply: FastifyReply, type: TokenType, token: string, maxAge?: number) => void
  /** `helper`: the public method that was called, for the error message. */
  unsetTokenCookies: (reply: FastifyReply, type: TokenType, helper?: string) => void
}

export function createCookieHelpers (config: AuthJwtConfig, verifyToken: VerifyToken): CookieHelpers {
  const enabled = config.tokenLocation.includes('cookies')
  const names = {
    access: { jwt: config.accessCookieKey, csrf: config.accessCsrfCookieKey },
    refresh: { jwt: config.refreshCookieKey, csrf: config.refreshCsrfCookieKey }
  }
  const paths = {
    access: { jwt: config.accessCookiePath, csrf: config.accessCsrfCookiePath },
    refresh: { jwt: config.refreshCookiePath, csrf: config.refreshCsrfCookiePath }
  }
  const shared = {
    domain: config.cookieDomain,
    secure: config.cookieSecure,
    sameSite: config.cookieSamesite
  }

  function ensureEnabled (helper: string): void {
    if (!enabled) throw new ConfigError(`${helper} needs "cookies" in tokenLocation`)
  }

  return {
    assertEnabled: ensureEnabled,
    setTokenCookies (reply, type, token, maxAge = config.cookieMaxAge) {
      ensureEnabled(type === 'access' ? 'setAccessCookies' : 'setRefreshCookies')
      if (typeof token !== 'string') throw new TypeError('token must be an encoded JWT string')
      if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= 0)) {
        throw new TypeError('maxAge must be a non-negative whole number of seconds')
      }
      // Verified, so that a refresh token never lands in the access cookie and
      // the CSRF cookie holds the value the token was signed with.
      const claims = verifyToken(token)
      if ((claims.type ?? 'access') !== type) {
        throw new TypeError(`set${type === 'access' ? 'Access' : 'Refresh'}Cookies needs ${type === 'access' ? 'an access' : 'a refresh'} token`)
      }
      reply.setCookie(names[type].jwt, token, { ...shared, maxAge, path: paths[type].jwt, httpOnly: true })
      if (config.cookieCsrfProtect && claims.csrf !== undefined) {
        reply.setCookie(names[type].csrf, claims.csrf, { ...shared, maxAge, path: paths[type].csrf, httpOnly: false })
      }
    },

    unsetTokenCookies (reply, type, helper = type === 'access' ? 'unsetAccessCookies' : 'unsetRefreshCookies') {
      ensureEnabled(helper)
      reply.clearCookie(names[type].jwt, { ...shared, path: paths[type].jwt, httpOnly: true })
      if (config.cookieCsrfProtect) {
        reply.clearCookie(names[type].csrf, { ...shared, path: paths[type].csrf, httpOnly: false })
      }
    }
  }
}
