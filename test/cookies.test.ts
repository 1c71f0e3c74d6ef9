// The cookie helpers of request.authJwt: Set-Cookie attributes for every
// cookie option, the unset helpers, misuse errors, and the registration of
// @fastify/cookie.
import t, { type Test } from 'tap'
import fastifyCookie, { type FastifyCookieOptions } from '@fastify/cookie'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { ConfigError, type FastifyJwtAuthOptions } from '../index'
import { buildApp, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { csrfOf, forge, peek } from './helpers/forge'
import { cookieAttributes, cookieValue, setCookies } from './helpers/set-cookie'

type Helper = 'setAccessCookies' | 'setRefreshCookies' | 'unsetJwtCookies' | 'unsetAccessCookies' | 'unsetRefreshCookies'

// POST /call { helper, args } calls request.authJwt[helper](reply, ...args);
// a thrown error is answered as 418 { name, code, message } so that the test
// sees exactly what the helper threw. Cookies are the only token location
// unless a test says otherwise.
async function build (t: Test, options: FastifyJwtAuthOptions = {}, before?: (app: FastifyInstance) => unknown): Promise<FastifyInstance> {
  const app = await buildApp(t, { tokenLocation: ['cookies'], ...options }, { before })
  app.post<{ Body: { helper: Helper, args?: unknown[] } }>('/call', async (request, reply) => {
    const { helper, args = [] } = request.body
    try {
      (request.authJwt[helper] as (...args: unknown[]) => void)(reply, ...args)
    } catch (error) {
      const { name, message, code } = error as Error & { code?: string }
      return reply.code(418).send({ name, code, message, isConfigError: error instanceof ConfigError })
    }
    return { ok: true }
  })
  app.get('/protected', { preHandler: app.jwtRequired }, async request => ({ subject: request.authJwt.getJwtSubject() }))
  return app
}

function call (app: FastifyInstance, helper: Helper, ...args: unknown[]): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/call', payload: { helper, args } })
}

t.test('default options: httpOnly session JWT cookies at "/", readable CSRF cookies, SameSite=Lax', async t => {
  const app = await build(t)
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const setAccess = setCookies(await call(app, 'setAccessCookies', access))
  t.same(Object.keys(setAccess).sort(), ['access_token_cookie', 'csrf_access_token'], 'setAccessCookies sets the access cookie and its CSRF cookie')
  t.equal(cookieValue(setAccess.access_token_cookie), access, 'the access cookie holds the token')
  t.same(cookieAttributes(setAccess.access_token_cookie), { path: '/', httponly: true, samesite: 'Lax' },
    'no Max-Age (session cookie), no Domain, no Secure')
  t.equal(cookieValue(setAccess.csrf_access_token), csrfOf(access), 'the CSRF cookie holds the csrf claim')
  t.same(cookieAttributes(setAccess.csrf_access_token), { path: '/', samesite: 'Lax' }, 'the CSRF cookie is not httpOnly')

  const setRefresh = setCookies(await call(app, 'setRefreshCookies', refresh))
  t.same(Object.keys(setRefresh).sort(), ['csrf_refresh_token', 'refresh_token_cookie'],
    'setRefreshCookies sets the refresh cookie and its CSRF cookie')
  t.equal(cookieValue(setRefresh.refresh_token_cookie), refresh, 'the refresh cookie holds the token')
  t.same(cookieAttributes(setRefresh.refresh_token_cookie), { path: '/', httponly: true, samesite: 'Lax' },
    'the refresh cookie: httpOnly session cookie at "/"')
  t.equal(cookieValue(setRefresh.csrf_refresh_token), csrfOf(refresh), 'the refresh CSRF cookie holds the csrf claim')
  t.same(cookieAttributes(setRefresh.csrf_refresh_token), { path: '/', samesite: 'Lax' }, 'the refresh CSRF cookie is not httpOnly')
  t.not(csrfOf(access), csrfOf(refresh), 'each token has its own CSRF value')

  const cookie = `access_token_cookie=${access}`
  t.equal((await app.inject({ url: '/protected', headers: { cookie } })).json().subject, 'alice',
    'the cookie set is the one the guard reads')
})

t.test('every cookie option shows in the Set-Cookie attributes', async t => {
  const app = await build(t, {
    accessCookieKey: 'a_jwt',
    refreshCookieKey: 'r_jwt',
    accessCsrfCookieKey: 'a_csrf',
    refreshCsrfCookieKey: 'r_csrf',
    accessCookiePath: '/api',
    refreshCookiePath: '/auth/refresh',
    accessCsrfCookiePath: '/app',
    refreshCsrfCookiePath: '/app/r',
    cookieMaxAge: 600,
    cookieDomain: 'example.com',
    cookieSecure: true,
    cookieSamesite: 'strict'
  })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  const shared = { 'max-age': '600', domain: 'example.com', secure: true, samesite: 'Strict' }

  const setAccess = setCookies(await call(app, 'setAccessCookies', access))
  t.same(Object.keys(setAccess).sort(), ['a_csrf', 'a_jwt'], 'the access cookies under their configured names')
  t.same(cookieAttributes(setAccess.a_jwt), { ...shared, path: '/api', httponly: true }, 'the access cookie\'s attributes')
  t.same(cookieAttributes(setAccess.a_csrf), { ...shared, path: '/app' }, 'the access CSRF cookie\'s attributes')

  const setRefresh = setCookies(await call(app, 'setRefreshCookies', refresh))
  t.same(Object.keys(setRefresh).sort(), ['r_csrf', 'r_jwt'], 'the refresh cookies under their configured names')
  t.same(cookieAttributes(setRefresh.r_jwt), { ...shared, path: '/auth/refresh', httponly: true }, 'the refresh cookie\'s attributes')
  t.same(cookieAttributes(setRefresh.r_csrf), { ...shared, path: '/app/r' }, 'the refresh CSRF cookie\'s attributes')

  t.test('the maxAge argument overrides cookieMaxAge, on both cookies', async t => {
    const set = setCookies(await call(app, 'setAccessCookies', access, 30))
    t.equal(cookieAttributes(set.a_jwt)['max-age'], '30', 'the access cookie')
    t.equal(cookieAttributes(set.a_csrf)['max-age'], '30', 'the access CSRF cookie')
    const refreshSet = setCookies(await call(app, 'setRefreshCookies', refresh, 86400))
    t.equal(cookieAttributes(refreshSet.r_jwt)['max-age'], '86400', 'the refresh cookie')
    t.equal(cookieAttributes(refreshSet.r_csrf)['max-age'], '86400', 'the refresh CSRF cookie')
  })

  t.test('unset helpers expire the cookies with the same names, paths and domain', async t => {
    const expired = { 'max-age': '0', expires: 'Thu, 01 Jan 1970 00:00:00 GMT', domain: 'example.com', secure: true, samesite: 'Strict' }
    const all = setCookies(await call(app, 'unsetJwtCookies'))
    t.same(Object.keys(all).sort(), ['a_csrf', 'a_jwt', 'r_csrf', 'r_jwt'], 'unsetJwtCookies clears all four')
    for (const [name, line] of Object.entries(all)) t.equal(cookieValue(line), '', `${name}: an empty value`)
    t.same(cookieAttributes(all.a_jwt), { ...expired, path: '/api', httponly: true }, 'the access cookie expires at its path')
    t.same(cookieAttributes(all.a_csrf), { ...expired, path: '/app' }, 'the access CSRF cookie expires at its path')
    t.same(cookieAttributes(all.r_jwt), { ...expired, path: '/auth/refresh', httponly: true }, 'the refresh cookie expires at its path')
    t.same(cookieAttributes(all.r_csrf), { ...expired, path: '/app/r' }, 'the refresh CSRF cookie expires at its path')

    t.same(Object.keys(setCookies(await call(app, 'unsetAccessCookies'))).sort(), ['a_csrf', 'a_jwt'],
      'unsetAccessCookies clears the access cookies only')
    t.same(Object.keys(setCookies(await call(app, 'unsetRefreshCookies'))).sort(), ['r_csrf', 'r_jwt'],
      'unsetRefreshCookies clears the refresh cookies only')
  })
})

t.test('SameSite none and lax spellings', async t => {
  const none = await build(t, { cookieSamesite: 'none', cookieSecure: true })
  const set = setCookies(await call(none, 'setAccessCookies', none.authJwt.createAccessToken({ subject: 1 })))
  t.equal(cookieAttributes(set.access_token_cookie).samesite, 'None', 'cookieSamesite none: SameSite=None')
  t.equal(cookieAttributes(set.access_token_cookie).secure, true, 'SameSite=None comes with Secure')

  const lax = await build(t, { cookieSamesite: 'Lax' as 'lax' })
  const laxSet = setCookies(await call(lax, 'setAccessCookies', lax.authJwt.createAccessToken({ subject: 1 })))
  t.equal(cookieAttributes(laxSet.access_token_cookie).samesite, 'Lax', 'cookieSamesite "Lax": SameSite=Lax')
})

t.test('cookieMaxAge 0 and maxAge 0 are written as given', async t => {
  const app = await build(t, { cookieMaxAge: 0 })
  const set = setCookies(await call(app, 'setAccessCookies', app.authJwt.createAccessToken({ subject: 'alice' })))
  t.equal(cookieAttributes(set.access_token_cookie)['max-age'], '0', 'Max-Age=0')
})

t.test('cookieCsrfProtect false: no csrf claim and no CSRF cookies, set or unset', async t => {
  const app = await build(t, { cookieCsrfProtect: false })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  t.notOk('csrf' in peek(access).payload, 'the token has no csrf claim')
  t.same(Object.keys(setCookies(await call(app, 'setAccessCookies', access))), ['access_token_cookie'], 'setAccessCookies: the JWT cookie only')
  t.same(Object.keys(setCookies(await call(app, 'setRefreshCookies', refresh))), ['refresh_token_cookie'],
    'setRefreshCookies: the JWT cookie only')
  t.same(Object.keys(setCookies(await call(app, 'unsetJwtCookies'))).sort(), ['access_token_cookie', 'refresh_token_cookie'],
    'unsetJwtCookies: the JWT cookies only')
})

t.test('a token without a csrf claim (another issuer) gets no CSRF cookie', async t => {
  const app = await build(t)
  // Signed with the same secret, no type (so an access token) and no csrf claim.
  const foreign = forge({ payload: { sub: 'alice', iat: Math.floor(Date.now() / 1000) }, secret: SECRET })
  const set = setCookies(await call(app, 'setAccessCookies', foreign))
  t.same(Object.keys(set), ['access_token_cookie'], 'the JWT cookie only')
})

t.test('misuse is a clear error', async t => {
  const app = await build(t)
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.test('a refresh token in the access cookie, and the reverse: TypeError', async t => {
    const wrongAccess = await call(app, 'setAccessCookies', refresh)
    t.equal(wrongAccess.statusCode, 418, 'setAccessCookies threw')
    t.match(wrongAccess.json(), { name: 'TypeError', message: 'setAccessCookies needs an access token' }, 'a refresh token in the access cookie')
    const wrongRefresh = await call(app, 'setRefreshCookies', access)
    t.match(wrongRefresh.json(), { name: 'TypeError', message: 'setRefreshCookies needs a refresh token' }, 'an access token in the refresh cookie')
    t.notOk(wrongAccess.headers['set-cookie'], 'nothing is set')
  })

  t.test('a bad maxAge: TypeError', async t => {
    for (const maxAge of [-1, 1.5, '60', Number.MAX_VALUE, null]) {
      const response = await call(app, 'setAccessCookies', access, maxAge)
      t.match(response.json(), { name: 'TypeError', message: 'maxAge must be a non-negative whole number of seconds' },
        `maxAge ${String(maxAge)} is refused`)
      t.notOk(response.headers['set-cookie'], `maxAge ${String(maxAge)}: nothing is set`)
    }
  })

  t.test('a token that is not a string: TypeError', async t => {
    for (const token of [undefined, 42, { token: access }]) {
      t.match((await call(app, 'setAccessCookies', token)).json(), { name: 'TypeError', message: 'token must be an encoded JWT string' },
        `${JSON.stringify(token)?.slice(0, 12)} is refused`)
    }
  })

  t.test('an invalid token is verified before it is set, and never echoed', async t => {
    const response = await call(app, 'setAccessCookies', `${access}x`)
    t.match(response.json(), { name: 'JWTDecodeError', code: 'FST_JWT_AUTH_TOKEN_INVALID' }, 'the verifier\'s error')
    t.notMatch(response.body, access, 'the token is not echoed')
  })
})

t.test('a cookie helper while cookies is not a location: FST_JWT_AUTH_CONFIG', async t => {
  const app = await build(t, { tokenLocation: ['headers', 'query'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  for (const helper of ['setAccessCookies', 'setRefreshCookies', 'unsetJwtCookies', 'unsetAccessCookies', 'unsetRefreshCookies'] as const) {
    const response = await call(app, helper, access)
    t.same(response.json(), {
      name: 'ConfigError',
      code: 'FST_JWT_AUTH_CONFIG',
      message: `${helper} needs "cookies" in tokenLocation`,
      isConfigError: true
    }, `${helper}: a ConfigError naming the helper`)
    t.notOk(response.headers['set-cookie'], `${helper}: nothing is set`)
  }
})

t.test('@fastify/cookie', async t => {
  t.test('is registered by the plugin when cookies is a location', async t => {
    const app = await build(t)
    await app.ready()
    t.ok(app.hasDecorator('parseCookie'), 'fastify.parseCookie')
    t.ok(app.hasRequestDecorator('cookies'), 'request.cookies')
    t.ok(app.hasReplyDecorator('setCookie'), 'reply.setCookie')
  })

  t.test('is not registered when cookies is not a location', async t => {
    const app = await build(t, { tokenLocation: ['headers'] })
    await app.ready()
    t.notOk(app.hasRequestDecorator('cookies'), 'no request.cookies')
  })

  t.test('is not registered twice when the app registered it first', async t => {
    // The app's own registration keeps its options: a cookie decoder that counts calls.
    let decoded = 0
    const decode = (value: string): string => { decoded++; return decodeURIComponent(value) }
    const app = await build(t, {}, async app => {
      // @fastify/cookie passes parseOptions to the parser, but types them as serialize options.
      await app.register(fastifyCookie, { parseOptions: { decode } as unknown as FastifyCookieOptions['parseOptions'] })
    })
    await app.ready()
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const response = await app.inject({ url: '/protected', headers: { cookie: `access_token_cookie=${access}` } })
    t.equal(response.json().subject, 'alice', 'the cookie is read')
    t.equal(decoded, 1, 'the Cookie header was parsed once, with the app\'s options')
  })

  t.test('registered with hook: false, the cookies are still read', async t => {
    const app = await build(t, {}, async app => { await app.register(fastifyCookie, { hook: false }) })
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const found = await app.inject({ url: '/protected', headers: { cookie: `other=1; access_token_cookie=${access}` } })
    t.equal(found.json().subject, 'alice', 'the cookie is found among others')
    expectAuthError(t, await app.inject({ url: '/protected' }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing cookie access_token_cookie', what: 'no cookie' })
    t.ok(setCookies(await call(app, 'setAccessCookies', access)).access_token_cookie, 'the helpers still set cookies')
  })
})
