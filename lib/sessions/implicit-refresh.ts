// implicitRefreshThreshold: a request authenticated by the access cookie,
// whose token is about to expire, gets a new access cookie (and CSRF cookie)
// on its response, so that a browser tab in use never meets a 401 between
// two requests. Never when the response sets or clears the access cookie
// itself (a login, a refresh, a logout), never after the request revoked a
// token, never for a token the denylist refuses by now, and never for a
// token that came in a header, the query or a JSON body: their clients keep
// the token themselves.
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import type { AuthJwtConfig } from '../config'
import type { CookieHelpers } from '../cookies'
import type { CheckDenylist } from '../denylist/check'
import { kClaims, kRevokedHere, kTokenLocation, type RequestState } from '../request-state'
import { applicationClaimsOf } from '../reserved-claims'
import type { TokenFactory } from '../token-factory'
import type { IssueClock } from '../token-identity'

export function createImplicitRefresh (
  config: AuthJwtConfig & { implicitRefreshThreshold: number },
  factory: TokenFactory,
  cookies: CookieHelpers,
  checkDenylist: CheckDenylist,
  issueClock: IssueClock
): onSendHookHandler {
  const threshold = config.implicitRefreshThreshold
  const cookiePrefix = `${config.accessCookieKey}=`

  function setsAccessCookie (reply: FastifyReply): boolean {
    const header = reply.getHeader('set-cookie')
    const values = Array.isArray(header) ? header : [header]
    return values.some(value => typeof value === 'string' && value.startsWith(cookiePrefix))
  }

  async function renew (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = request as FastifyRequest & RequestState
    const claims = state[kClaims]
    if (claims === null || state[kTokenLocation] !== 'cookies' || state[kRevokedHere]) return
    // A guard that passed left an access token here (a foreign one may have no
    // type), unless it was the refresh token guard.
    if (claims.type === 'refresh' || claims.exp === undefined) return
    if (claims.exp - Date.now() / 1000 > threshold) return
    // The handler's own cookie wins (@fastify/cookie has written it by now:
    // its onSend hook was added before this one).
    if (setsAccessCookie(reply)) return
    // Taken before the check: a "log out everywhere" landing meanwhile cuts the new token off too.
    const issuedAtMs = issueClock.now()
    try {
      // Revoked since the guard let it in (another request, another instance)?
      await checkDenylist(claims, 'access', request)
    } catch {
      return
    }
    const token = factory.createSessionToken('access', {
      subject: claims.sub,
      audience: claims.aud,
      userClaims: applicationClaimsOf(claims)
    }, { family: claims.fam, expiresAt: undefined, issuedAtMs })
    cookies.setTokenCookies(reply, 'access', token)
  }

  return function implicitRefresh (request, reply, payload, done) {
    // A renewal that fails (a key set that cannot sign any more, say) leaves
    // the response as the handler made it: the client refreshes on its 401 later.
    renew(request, reply).then(undefined, error => {
      request.log.warn({ err: error }, 'fastify-jwt-auth: the access cookie could not be renewed')
    }).then(() => done(null, payload))
  }
}
