// The cookie helpers of request.authJwt: Set-Cookie attributes for every
// cookie option, the unset helpers, misuse errors, and the registration of
// @fastify/cookie.
import t from 'tap'
import fastifyCookie, { type FastifyCookieOptions } from '@fastify/cookie'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import fastifyJwtAuth, { ConfigError, type FastifyJwtAuthOptions } from '../index'
import { forge } from './helpers/forge'

const SECRET = 'a-cookie-test-secret-that-is-long-enough!'

type Helper = 'setAccessCookies' | 'setRefreshCookies' | 'unsetJwtCookies' | 'unsetAccessCookies' | 'unsetRefreshCookies'

// POST /call { helper, args } calls request.authJwt[helper](reply, ...args);
// a thrown error is answered as 418 { name, code, message } so that the test
// sees exactly what the helper threw.
async function build (options: FastifyJwtAuthOptions = {}, before?: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  if (before !== undefined) await before(app)
  await app.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['cookies'], ...options })
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
  t.teardown(() => app.close())
  return app
}

function call (app: FastifyInstance, helper: Helper, ...args: unknown[]): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/call', payload: { helper, args } })
}

/** The Set-Cookie header lines, by cookie name. */
function setCookies (response: LightMyRequestResponse): Record<string, string> {
  const header = response.headers['set-cookie']
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header]
  return Object.fromEntries(lines.map(line => [line.slice(0, line.indexOf('=')), line]))
}

/** The attributes of a Set-Cookie line, names lowercased, flags as true. */
function attributes (line: string): Record<string, string | true> {
  const [, ...parts] = line.split(';').map(part => part.trim())
  return Object.fromEntries(parts.map(part => {
    const eq = part.indexOf('=')
    return eq === -1 ? [part.toLowerCase(), true] : [part.slice(0, eq).toLowerCase(), part.slice(eq + 1)]
  }))
}

function valueOf (line: string): string {
  return line.slice(line.indexOf('=') + 1, line.indexOf(';'))
}

function claimsOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
}

t.test('default options: httpOnly session JWT cookies at "/", readable CSRF cookies, SameSite=Lax', async t => {
  const app = await build()
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const setAccess = setCookies(await call(app, 'setAccessCookies', access))
  t.same(Object.keys(setAccess).sort(), ['access_token_cookie', 'csrf_access_token'])
  t.equal(valueOf(setAccess.access_token_cookie), access)
  t.same(attributes(setAccess.access_token_cookie), { path: '/', httponly: true, samesite: 'Lax' },
    'no Max-Age (session cookie), no Domain, no Secure')
  t.equal(valueOf(setAccess.csrf_access_token), claimsOf(access).csrf, 'the CSRF cookie holds the csrf claim')
  t.same(attributes(setAccess.csrf_access_token), { path: '/', samesite: 'Lax' }, 'the CSRF cookie is not httpOnly')

  const setRefresh = setCookies(await call(app, 'setRefreshCookies', refresh))
  t.same(Object.keys(setRefresh).sort(), ['csrf_refresh_token', 'refresh_token_cookie'])
  t.equal(valueOf(setRefresh.refresh_token_cookie), refresh)
  t.same(attributes(setRefresh.refresh_token_cookie), { path: '/', httponly: true, samesite: 'Lax' })
  t.equal(valueOf(setRefresh.csrf_refresh_token), claimsOf(refresh).csrf)
  t.same(attributes(setRefresh.csrf_refresh_token), { path: '/', samesite: 'Lax' })
  t.not(claimsOf(access).csrf, claimsOf(refresh).csrf, 'each token has its own CSRF value')

  const cookie = `access_token_cookie=${access}`
  t.equal((await app.inject({ url: '/protected', headers: { cookie } })).json().subject, 'alice',
    'the cookie set is the one the guard reads')
})

t.test('every cookie option shows in the Set-Cookie attributes', async t => {
  const app = await build({
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
  t.same(Object.keys(setAccess).sort(), ['a_csrf', 'a_jwt'])
  t.same(attributes(setAccess.a_jwt), { ...shared, path: '/api', httponly: true })
  t.same(attributes(setAccess.a_csrf), { ...shared, path: '/app' })

  const setRefresh = setCookies(await call(app, 'setRefreshCookies', refresh))
  t.same(Object.keys(setRefresh).sort(), ['r_csrf', 'r_jwt'])
  t.same(attributes(setRefresh.r_jwt), { ...shared, path: '/auth/refresh', httponly: true })
  t.same(attributes(setRefresh.r_csrf), { ...shared, path: '/app/r' })

  t.test('the maxAge argument overrides cookieMaxAge, on both cookies', async t => {
    const set = setCookies(await call(app, 'setAccessCookies', access, 30))
    t.equal(attributes(set.a_jwt)['max-age'], '30')
    t.equal(attributes(set.a_csrf)['max-age'], '30')
    const refreshSet = setCookies(await call(app, 'setRefreshCookies', refresh, 86400))
    t.equal(attributes(refreshSet.r_jwt)['max-age'], '86400')
    t.equal(attributes(refreshSet.r_csrf)['max-age'], '86400')
  })

  t.test('unset helpers expire the cookies with the same names, paths and domain', async t => {
    const expired = { 'max-age': '0', expires: 'Thu, 01 Jan 1970 00:00:00 GMT', domain: 'example.com', secure: true, samesite: 'Strict' }
    const all = setCookies(await call(app, 'unsetJwtCookies'))
    t.same(Object.keys(all).sort(), ['a_csrf', 'a_jwt', 'r_csrf', 'r_jwt'])
    for (const line of Object.values(all)) t.equal(valueOf(line), '', 'an empty value')
    t.same(attributes(all.a_jwt), { ...expired, path: '/api', httponly: true })
    t.same(attributes(all.a_csrf), { ...expired, path: '/app' })
    t.same(attributes(all.r_jwt), { ...expired, path: '/auth/refresh', httponly: true })
    t.same(attributes(all.r_csrf), { ...expired, path: '/app/r' })

    t.same(Object.keys(setCookies(await call(app, 'unsetAccessCookies'))).sort(), ['a_csrf', 'a_jwt'])
    t.same(Object.keys(setCookies(await call(app, 'unsetRefreshCookies'))).sort(), ['r_csrf', 'r_jwt'])
  })
})

t.test('SameSite none and lax spellings', async t => {
  const none = await build({ cookieSamesite: 'none', cookieSecure: true })
  const set = setCookies(await call(none, 'setAccessCookies', none.authJwt.createAccessToken({ subject: 1 })))
  t.equal(attributes(set.access_token_cookie).samesite, 'None')
  t.equal(attributes(set.access_token_cookie).secure, true)

  const lax = await build({ cookieSamesite: 'Lax' as 'lax' })
  const laxSet = setCookies(await call(lax, 'setAccessCookies', lax.authJwt.createAccessToken({ subject: 1 })))
  t.equal(attributes(laxSet.access_token_cookie).samesite, 'Lax')
})

t.test('cookieMaxAge 0 and maxAge 0 are written as given', async t => {
  const app = await build({ cookieMaxAge: 0 })
  const set = setCookies(await call(app, 'setAccessCookies', app.authJwt.createAccessToken({ subject: 'alice' })))
  t.equal(attributes(set.access_token_cookie)['max-age'], '0')
})

t.test('cookieCsrfProtect false: no csrf claim and no CSRF cookies, set or unset', async t => {
  const app = await build({ cookieCsrfProtect: false })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  t.notOk('csrf' in claimsOf(access))
  t.same(Object.keys(setCookies(await call(app, 'setAccessCookies', access))), ['access_token_cookie'])
  t.same(Object.keys(setCookies(await call(app, 'setRefreshCookies', refresh))), ['refresh_token_cookie'])
  t.same(Object.keys(setCookies(await call(app, 'unsetJwtCookies'))).sort(), ['access_token_cookie', 'refresh_token_cookie'])
})

t.test('a token without a csrf claim (another issuer) gets no CSRF cookie', async t => {
  const app = await build()
  // Signed with the same secret, no type (so an access token) and no csrf claim.
  const foreign = forge({ payload: { sub: 'alice', iat: Math.floor(Date.now() / 1000) }, secret: SECRET })
  const set = setCookies(await call(app, 'setAccessCookies', foreign))
  t.same(Object.keys(set), ['access_token_cookie'])
})

t.test('misuse is a clear error', async t => {
  const app = await build()
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.test('a refresh token in the access cookie, and the reverse: TypeError', async t => {
    const wrongAccess = await call(app, 'setAccessCookies', refresh)
    t.equal(wrongAccess.statusCode, 418)
    t.match(wrongAccess.json(), { name: 'TypeError', message: 'setAccessCookies needs an access token' })
    const wrongRefresh = await call(app, 'setRefreshCookies', access)
    t.match(wrongRefresh.json(), { name: 'TypeError', message: 'setRefreshCookies needs a refresh token' })
    t.notOk(wrongAccess.headers['set-cookie'], 'nothing is set')
  })

  t.test('a bad maxAge: TypeError', async t => {
    for (const maxAge of [-1, 1.5, '60', Number.MAX_VALUE, null]) {
      const response = await call(app, 'setAccessCookies', access, maxAge)
      t.match(response.json(), { name: 'TypeError', message: 'maxAge must be a non-negative whole number of seconds' },
        String(maxAge))
      t.notOk(response.headers['set-cookie'])
    }
  })

  t.test('a token that is not a string: TypeError', async t => {
    for (const token of [undefined, 42, { token: access }]) {
      t.match((await call(app, 'setAccessCookies', token)).json(), { name: 'TypeError', message: 'token must be an encoded JWT string' })
    }
  })

  t.test('an invalid token is verified before it is set, and never echoed', async t => {
    const response = await call(app, 'setAccessCookies', `${access}x`)
    t.match(response.json(), { name: 'JWTDecodeError', code: 'FST_JWT_AUTH_TOKEN_INVALID' })
    t.notMatch(response.body, access)
  })
})

t.test('a cookie helper while cookies is not a location: FST_JWT_AUTH_CONFIG', async t => {
  const app = await build({ tokenLocation: ['headers', 'query'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  for (const helper of ['setAccessCookies', 'setRefreshCookies', 'unsetJwtCookies', 'unsetAccessCookies', 'unsetRefreshCookies'] as const) {
    const response = await call(app, helper, access)
    t.same(response.json(), {
      name: 'ConfigError',
      code: 'FST_JWT_AUTH_CONFIG',
      message: `${helper} needs "cookies" in tokenLocation`,
      isConfigError: true
    }, helper)
    t.notOk(response.headers['set-cookie'])
  }
})

t.test('@fastify/cookie', async t => {
  t.test('is registered by the plugin when cookies is a location', async t => {
    const app = await build()
    await app.ready()
    t.ok(app.hasDecorator('parseCookie'))
    t.ok(app.hasRequestDecorator('cookies'))
    t.ok(app.hasReplyDecorator('setCookie'))
  })

  t.test('is not registered when cookies is not a location', async t => {
    const app = await build({ tokenLocation: ['headers'] })
    await app.ready()
    t.notOk(app.hasRequestDecorator('cookies'))
  })

  t.test('is not registered twice when the app registered it first', async t => {
    // The app's own registration keeps its options: a cookie decoder that counts calls.
    let decoded = 0
    const decode = (value: string): string => { decoded++; return decodeURIComponent(value) }
    const app = await build({}, async app => {
      // @fastify/cookie passes parseOptions to the parser, but types them as serialize options.
      await app.register(fastifyCookie, { parseOptions: { decode } as unknown as FastifyCookieOptions['parseOptions'] })
    })
    await app.ready()
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const response = await app.inject({ url: '/protected', headers: { cookie: `access_token_cookie=${access}` } })
    t.equal(response.json().subject, 'alice')
    t.equal(decoded, 1, 'the Cookie header was parsed once, with the app\'s options')
  })

  t.test('registered with hook: false, the cookies are still read', async t => {
    const app = await build({}, async app => { await app.register(fastifyCookie, { hook: false }) })
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const found = await app.inject({ url: '/protected', headers: { cookie: `other=1; access_token_cookie=${access}` } })
    t.equal(found.json().subject, 'alice')
    const missing = await app.inject({ url: '/protected' })
    t.equal(missing.json().message, 'Missing cookie access_token_cookie')
    // And the helpers still work.
    t.ok(setCookies(await call(app, 'setAccessCookies', access)).access_token_cookie)
  })
})
