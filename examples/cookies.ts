// Tokens in httpOnly cookies for a browser app, with double-submit CSRF
// protection: open http://127.0.0.1:8000 and click through the page.
//
//   npx tsx examples/cookies.ts      (or npm run demo)
//
// The page (examples/public/cookies.html) never sees a token: the JWTs sit in
// httpOnly cookies the browser sends by itself. What the page can read are the
// CSRF cookies, whose values it echoes in the X-CSRF-Token header of every
// POST; a cross-site page can make the browser send the cookies, but cannot
// read them, so it cannot send the header. GET /claims shows the page what
// the server verified, and the access token lives 30 seconds so that its
// expiry and the refresh can be watched.
//
// Sessions: every login starts a family of tokens, and each refresh rotates
// the refresh token (the one presented is used up). The page can replay a
// used refresh token as a thief would (the server kept it for that purpose,
// which an application never does): reuse detected, the whole login session
// is revoked. "Log out everywhere" revokes every token of the user at once.
//
// The same flow with curl (a cookie jar, and the CSRF value read from it):
//   curl -s -c jar -X POST localhost:8000/login -H 'content-type: application/json' \
//        -d '{"username":"test","password":"test"}'
//   curl -s -b jar localhost:8000/claims
//   curl -s -b jar -X POST localhost:8000/protected \
//        -H "X-CSRF-Token: $(awk '$6 == "csrf_access_token" { print $7 }' jar)"
//   curl -s -b jar -X POST localhost:8000/protected     # no header: 401 FST_JWT_AUTH_CSRF_MISSING
//   curl -s -b jar -X POST localhost:8000/logout-everywhere \
//        -H "X-CSRF-Token: $(awk '$6 == "csrf_access_token" { print $7 }' jar)"
//   curl -s -b jar localhost:8000/claims                # 401 FST_JWT_AUTH_TOKEN_REVOKED
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

const PAGE = readFileSync(join(__dirname, 'public', 'cookies.html'), 'utf8')
const PAGE_POLICY = contentSecurityPolicy(PAGE)

// Short enough to watch the access token expire and be refreshed; an
// application would keep the default of 15 minutes or so.
const DEMO_ACCESS_TOKEN_SECONDS = 30
// A used refresh token sent again within this many seconds of its use still
// gets a pair (two tabs refreshing at once); later, it revokes its session.
// Short, so that the page's replay can show both; the default is 30.
const DEMO_REUSE_GRACE_SECONDS = 5
// A request whose access cookie has less than this left gets a new one: a
// page in use never meets an expired token, an idle one does.
// (The page names both numbers: change them together.)
const DEMO_RENEW_WITHIN_SECONDS = 10
// How many sessions' replaced refresh tokens the demo keeps for the replay.
const DEMO_REPLAYS_KEPT = 1000

/** The demo app; `options` override the demo's own settings (the tests shorten the lifetime, say). */
export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    tokenLocation: ['cookies'],
    accessTokenExpires: DEMO_ACCESS_TOKEN_SECONDS,
    // The refresh token travels to /refresh only; its CSRF cookie stays at
    // "/" (the default) so that the page can read it.
    refreshCookiePath: '/refresh',
    // Rotation, reuse detection and "log out everywhere" keep their state in
    // the denylist store (here the default one, in memory).
    denylistEnabled: true,
    refreshReuseGrace: DEMO_REUSE_GRACE_SECONDS,
    implicitRefreshThreshold: DEMO_RENEW_WITHIN_SECONDS,
    ...options
  })
  const refreshCookie = options.refreshCookieKey ?? 'refresh_token_cookie'

  // For the replay step only: the refresh token each session (family) had
  // before its last rotation, as a thief who copied it would hold it.
  const replaced = new Map<string, string>()
  function keepReplaced (family: string, token: string): void {
    replaced.delete(family)
    replaced.set(family, token)
    if (replaced.size > DEMO_REPLAYS_KEPT) replaced.delete(replaced.keys().next().value as string)
  }

  app.get('/', async (_request, reply) => reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_POLICY)
    .send(PAGE))

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const subject = request.body.username
    // The refresh token starts the session's family; the access token joins
    // it, so that a detected reuse revokes it too.
    const refreshToken = request.authJwt.createRefreshToken({ subject })
    const family = app.authJwt.decodeToken(refreshToken).fam
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject, fresh: true, family }))
    request.authJwt.setRefreshCookies(reply, refreshToken)
    return { login: true }
  })

  // The refresh cookie (and the X-CSRF-Token header holding the value of the
  // csrf_refresh_token cookie) buys a new pair: both cookies are replaced,
  // and the refresh token presented is used up. Presented again after the
  // grace window, it revokes the session: 401 FST_JWT_AUTH_TOKEN_REUSED.
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async (request, reply) => {
    await request.authJwt.refreshTokens({ reply })
    const family = request.authJwt.getRawJwt()?.fam
    const presented = request.cookies[refreshCookie]
    if (family !== undefined && presented !== undefined) keepReplaced(family, presented)
    return { refresh: true }
  })

  // Plays the thief: sends this session's used refresh token to /refresh,
  // with its CSRF value, as whoever copied the cookies would, and answers
  // what the thief got (without its cookies, which are not this browser's).
  app.post('/demo/replay-old-refresh', { preHandler: app.jwtRequired }, async (request, reply) => {
    const family = request.authJwt.getRawJwt()?.fam
    const stolen = family === undefined ? undefined : replaced.get(family)
    if (stolen === undefined) {
      return reply.code(409).send({
        statusCode: 409,
        error: 'Conflict',
        message: 'This session has no used refresh token yet: press Refresh first.'
      })
    }
    const { csrf } = app.authJwt.decodeToken(stolen)
    const thief = await app.inject({
      method: 'POST',
      url: '/refresh',
      cookies: { [refreshCookie]: stolen },
      headers: csrf === undefined ? {} : { 'x-csrf-token': csrf }
    })
    return reply.code(thief.statusCode).send(thief.json())
  })

  // Every token of the user issued before now is refused, in every browser.
  // The cookies stay, so that the page can show them refused; an
  // application would clear them as /logout does.
  app.post('/logout-everywhere', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeAllTokens()
    return { logout_everywhere: true }
  })

  // POST is CSRF-checked: the X-CSRF-Token header must hold the value of the
  // csrf_access_token cookie. GET is not (it must not change anything).
  app.post('/protected', { preHandler: app.jwtRequired }, async request => {
    return { logged_in_as: request.authJwt.getJwtSubject() }
  })
  app.get('/protected', { preHandler: app.jwtRequired }, async request => {
    return { logged_in_as: request.authJwt.getJwtSubject() }
  })

  // The claims the plugin verified, which the page cannot read from the
  // httpOnly cookie, and the server's time (seconds, like exp), from which
  // the page counts down to the expiry whatever its own clock says.
  app.get('/claims', { preHandler: app.jwtRequired }, async request => {
    return { claims: request.authJwt.getRawJwt(), now: Date.now() / 1000 }
  })

  // Unguarded: logging out must work even with an expired token. It clears
  // this browser's cookies; the tokens stay valid until they expire.
  app.post('/logout', async (request, reply) => {
    request.authJwt.unsetJwtCookies(reply)
    return { logout: true }
  })

  return app
}

// The page's script and style are inline: the policy allows exactly those
// (by hash) and loads nothing from anywhere, so an injected script would
// not run and the page cannot depend on another server.
function contentSecurityPolicy (page: string): string {
  const hashes = (tag: string): string => [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
    .map(([, body]) => `'sha256-${createHash('sha256').update(body as string).digest('base64')}'`)
    .join(' ')
  return [
    "default-src 'none'",
    `script-src ${hashes('script')}`,
    `style-src ${hashes('style')}`,
    'img-src data:',
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
