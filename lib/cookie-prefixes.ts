// Cookie name prefixes that browsers enforce (matched case-insensitively):
// a `__Secure-` cookie is kept only when it is Secure, and a `__Host-` cookie
// only when it is Secure, at Path=/ and without Domain, which also stops a
// sibling subdomain from planting a cookie of that name. Options that break a
// prefix's rules would have every browser drop the cookie: registration fails.
import type { AuthJwtConfig } from './config'
import { ConfigError } from './errors'

type CookieNameOption = 'accessCookieKey' | 'refreshCookieKey' | 'accessCsrfCookieKey' | 'refreshCsrfCookieKey'
type CookiePathOption = 'accessCookiePath' | 'refreshCookiePath' | 'accessCsrfCookiePath' | 'refreshCsrfCookiePath'

const COOKIES: ReadonlyArray<{ name: CookieNameOption, path: CookiePathOption, isCsrf: boolean }> = [
  { name: 'accessCookieKey', path: 'accessCookiePath', isCsrf: false },
  { name: 'refreshCookieKey', path: 'refreshCookiePath', isCsrf: false },
  { name: 'accessCsrfCookieKey', path: 'accessCsrfCookiePath', isCsrf: true },
  { name: 'refreshCsrfCookieKey', path: 'refreshCsrfCookiePath', isCsrf: true }
]

/** Throws a ConfigError when a cookie the plugin sets has a prefix whose rules the options break. */
export function checkCookiePrefixes (config: AuthJwtConfig): void {
  if (!config.tokenLocation.includes('cookies')) return
  for (const cookie of COOKIES) {
    // Without CSRF protection the CSRF cookies are never set.
    if (cookie.isCsrf && !config.cookieCsrfProtect) continue
    const name = config[cookie.name]
    const start = name.slice(0, 9).toLowerCase()
    const isHost = start.startsWith('__host-')
    if (!isHost && start !== '__secure-') continue
    const which = `${cookie.name} "${name}"`
    const prefix = isHost ? '__Host-' : '__Secure-'
    if (!config.cookieSecure) {
      throw new ConfigError(`${which}: a ${prefix} cookie needs cookieSecure: true, or browsers drop it`)
    }
    if (!isHost) continue
    if (config[cookie.path] !== '/') {
      throw new ConfigError(`${which}: a __Host- cookie needs ${cookie.path} "/", or browsers drop it`)
    }
    if (config.cookieDomain !== undefined) {
      throw new ConfigError(`${which}: a __Host- cookie needs no cookieDomain, or browsers drop it`)
    }
  }
}
