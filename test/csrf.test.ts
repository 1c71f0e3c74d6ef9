// Double-submit CSRF for tokens read from cookies: each failure, the methods
// checked, custom header names, the refresh CSRF header, the order of checks.
import t, { type Test } from 'tap'
import type { FastifyInstance, FastifyRequest, LightMyRequestResponse } from 'fastify'
import { CSRFError, type FastifyJwtAuthOptions } from '../index'
import { checkCsrfMatch } from '../lib/csrf'
import { buildApp } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { csrfOf, peek } from './helpers/forge'

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
type Method = typeof METHODS[number]

/** Tokens in cookies only, and a route per guard answering every method. */
async function build (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, { tokenLocation: ['cookies'], ...options })
  const whoami = async (request: FastifyRequest) => ({ subject: request.authJwt.getJwtSubject() })
  app.route({ method: [...METHODS, 'OPTIONS'], url: '/protected', preHandler: app.jwtRequired, handler: whoami })
  app.route({ method: METHODS as unknown as Method[], url: '/optional', preHandler: app.jwtOptional, handler: whoami })
  app.route({ method: METHODS as unknown as Method[], url: '/fresh', preHandler: app.freshJwtRequired, handler: whoami })
  app.route({ method: METHODS as unknown as Method[], url: '/refresh', preHandler: app.jwtRefreshTokenRequired, handler: whoami })
  return app
}

interface Call {
  method?: Method | 'OPTIONS'
  url?: string
  access?: string
  refresh?: string
  headers?: Record<string, string>
}

function send (app: FastifyInstance, { method = 'POST', url = '/protected', access, refresh, headers = {} }: Call): Promise<LightMyRequestResponse> {
  const cookies = []
  if (access !== undefined) cookies.push(`access_token_cookie=${access}`)
  if (refresh !== undefined) cookies.push(`refresh_token_cookie=${refresh}`)
  return app.inject({ method, url, headers: { ...headers, cookie: cookies.join('; ') } })
}

/** The CSRF error `code`, with its message, and the token (when given) not echoed. */
function assertCsrfError (t: Test, response: LightMyRequestResponse, code: 'FST_JWT_AUTH_CSRF_MISSING' | 'FST_JWT_AUTH_CSRF_MISMATCH', what: string, token?: string): void {
  const message = code === 'FST_JWT_AUTH_CSRF_MISSING' ? 'Missing CSRF Token' : 'CSRF double submit tokens do not match'
  expectAuthError(t, response, code, { message, what })
  if (token !== undefined) t.notMatch(response.body, token, `${what}: the token is not echoed`)
}

t.test('state-changing methods need the CSRF header', async t => {
  const app = await build(t)
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const csrf = csrfOf(access)

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    t.test(method, async t => {
      const ok = await send(app, { method, access, headers: { 'x-csrf-token': csrf } })
      t.equal(ok.statusCode, 200, 'the cookie with its CSRF header passes')
      t.same(ok.json(), { subject: 'alice' }, 'the handler sees the verified subject')

      assertCsrfError(t, await send(app, { method, access }), 'FST_JWT_AUTH_CSRF_MISSING', 'no header', access)
      assertCsrfError(t, await send(app, { method, access, headers: { 'x-csrf-token': '' } }), 'FST_JWT_AUTH_CSRF_MISSING', 'an empty header')
      const lastCharChanged = csrf.slice(0, -1) + (csrf.endsWith('a') ? 'b' : 'a')
      assertCsrfError(t, await send(app, { method, access, headers: { 'x-csrf-token': lastCharChanged } }),
        'FST_JWT_AUTH_CSRF_MISMATCH', 'the last character changed', access)
      assertCsrfError(t, await send(app, { method, access, headers: { 'x-csrf-token': `${csrf}0` } }), 'FST_JWT_AUTH_CSRF_MISMATCH',
        'a character added')
    })
  }

  t.test('the CSRF cookie of another token does not match', async t => {
    const other = csrfOf(app.authJwt.createAccessToken({ subject: 'alice' }))
    assertCsrfError(t, await send(app, { access, headers: { 'x-csrf-token': other } }), 'FST_JWT_AUTH_CSRF_MISMATCH', 'another token\'s value')
  })

  t.test('the header name is matched case-insensitively', async t => {
    t.equal((await send(app, { access, headers: { 'X-CSRF-TOKEN': csrf } })).statusCode, 200, 'X-CSRF-TOKEN passes')
  })

  t.test('a CSRF value with multibyte characters is a mismatch, not a crash', async t => {
    // Same length in characters, longer in bytes: timingSafeEqual would throw on it.
    const response = await send(app, { access, headers: { 'x-csrf-token': 'é'.repeat(csrf.length) } })
    assertCsrfError(t, response, 'FST_JWT_AUTH_CSRF_MISMATCH', 'multibyte characters')
  })

  t.test('jwtOptional: a cookie without its CSRF header is refused, not ignored', async t => {
    assertCsrfError(t, await send(app, { url: '/optional', access }), 'FST_JWT_AUTH_CSRF_MISSING', 'a cookie without the header')
    t.same((await send(app, { url: '/optional' })).json(), { subject: null }, 'no cookie: anonymous')
    t.same((await send(app, { url: '/optional', access, headers: { 'x-csrf-token': csrf } })).json(), { subject: 'alice' },
      'the cookie with its header is read')
  })

  t.test('freshJwtRequired checks CSRF too', async t => {
    const fresh = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
    assertCsrfError(t, await send(app, { url: '/fresh', access: fresh }), 'FST_JWT_AUTH_CSRF_MISSING', 'a fresh cookie without the header')
    t.equal((await send(app, { url: '/fresh', access: fresh, headers: { 'x-csrf-token': csrfOf(fresh) } })).statusCode, 200,
      'a fresh cookie with its header passes')
  })
})

t.test('GET is not CSRF-checked by default, even when a wrong CSRF header is sent', async t => {
  const app = await build(t)
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal((await send(app, { method: 'GET', access })).statusCode, 200, 'a GET without the header passes')
  const withHeader = await send(app, { method: 'GET', access, headers: { 'x-csrf-token': 'whatever' } })
  t.equal(withHeader.statusCode, 200, 'the header is ignored on a method that is not checked')
  t.same(withHeader.json(), { subject: 'alice' }, 'the handler sees the verified subject')
})

t.test('OPTIONS is authenticated by cookie, without the CSRF header by default', async t => {
  const app = await build(t)
  expectAuthError(t, await send(app, { method: 'OPTIONS', access: 'garbage' }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { what: 'a garbage cookie is refused on OPTIONS: the cookie was verified' })
  expectAuthError(t, await send(app, { method: 'OPTIONS' }), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'OPTIONS without a cookie is refused' })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const ok = await send(app, { method: 'OPTIONS', access })
  t.equal(ok.statusCode, 200, 'a valid cookie passes: OPTIONS is not among the default csrfMethods')
  t.same(ok.json(), { subject: 'alice' }, 'the handler sees the verified subject')
})

t.test('custom csrfMethods', async t => {
  const app = await build(t, { csrfMethods: ['get', 'PUT'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  assertCsrfError(t, await send(app, { method: 'GET', access }), 'FST_JWT_AUTH_CSRF_MISSING', 'GET, given in lowercase, is checked')
  assertCsrfError(t, await send(app, { method: 'PUT', access }), 'FST_JWT_AUTH_CSRF_MISSING', 'PUT is checked')
  t.equal((await send(app, { method: 'GET', access, headers: { 'x-csrf-token': csrfOf(access) } })).statusCode, 200,
    'a GET with the header passes')
  for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
    t.equal((await send(app, { method, access })).statusCode, 200, `${method} is no longer checked`)
  }
})

t.test('an empty csrfMethods checks nothing', async t => {
  const app = await build(t, { csrfMethods: [] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal((await send(app, { method: 'DELETE', access })).statusCode, 200, 'a DELETE without the header passes')
})

t.test('cookieCsrfProtect false: no check, whatever the method or header', async t => {
  const app = await build(t, { cookieCsrfProtect: false })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  for (const method of METHODS) {
    t.equal((await send(app, { method, access })).statusCode, 200, `${method} without the header passes`)
  }
  t.equal((await send(app, { access, headers: { 'x-csrf-token': 'anything' } })).statusCode, 200, 'a wrong header is not checked')
})

t.test('a CSRF header with a token that has no csrf claim is a mismatch', async t => {
  const app = await build(t)
  // Same secret, no cookies location: its tokens carry no csrf claim.
  const headersOnly = await build(t, { tokenLocation: ['headers'] })
  const access = headersOnly.authJwt.createAccessToken({ subject: 'alice' })
  t.notOk('csrf' in peek(access).payload, 'the token has no csrf claim')
  assertCsrfError(t, await send(app, { access, headers: { 'x-csrf-token': 'something' } }), 'FST_JWT_AUTH_CSRF_MISMATCH', 'with a header')
  assertCsrfError(t, await send(app, { access }), 'FST_JWT_AUTH_CSRF_MISSING', 'without a header')
  t.equal((await send(app, { method: 'GET', access })).statusCode, 200, 'GET is not checked')
})

t.test('custom CSRF header names', async t => {
  const app = await build(t, { accessCsrfHeaderName: 'X-Access-Csrf', refreshCsrfHeaderName: 'X-Refresh-Csrf' })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.equal((await send(app, { access, headers: { 'x-access-csrf': csrfOf(access) } })).statusCode, 200, 'the access header passes')
  assertCsrfError(t, await send(app, { access, headers: { 'x-csrf-token': csrfOf(access) } }), 'FST_JWT_AUTH_CSRF_MISSING',
    'the default header is not read')
  assertCsrfError(t, await send(app, { access, headers: { 'x-refresh-csrf': csrfOf(access) } }), 'FST_JWT_AUTH_CSRF_MISSING',
    'the refresh header is not read for an access token')

  t.equal((await send(app, { url: '/refresh', refresh, headers: { 'x-refresh-csrf': csrfOf(refresh) } })).statusCode, 200,
    'the refresh header passes')
  assertCsrfError(t, await send(app, { url: '/refresh', refresh, headers: { 'x-access-csrf': csrfOf(refresh) } }), 'FST_JWT_AUTH_CSRF_MISSING',
    'the access header is not read for a refresh token')
  assertCsrfError(t, await send(app, { url: '/refresh', refresh, headers: { 'x-refresh-csrf': csrfOf(access) } }), 'FST_JWT_AUTH_CSRF_MISMATCH',
    'the access token\'s value in the refresh header')
})

t.test('the refresh guard reads the refresh cookie and the refresh CSRF value', async t => {
  const app = await build(t)
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const ok = await send(app, { url: '/refresh', access, refresh, headers: { 'x-csrf-token': csrfOf(refresh) } })
  t.equal(ok.statusCode, 200, 'the refresh cookie with its CSRF value passes')
  t.same(ok.json(), { subject: 'alice' }, 'the handler sees the verified subject')
  assertCsrfError(t, await send(app, { url: '/refresh', refresh }), 'FST_JWT_AUTH_CSRF_MISSING', 'no header')
  assertCsrfError(t, await send(app, { url: '/refresh', access, refresh, headers: { 'x-csrf-token': csrfOf(access) } }),
    'FST_JWT_AUTH_CSRF_MISMATCH', 'the access token\'s value', refresh)

  const onlyAccess = await send(app, { url: '/refresh', access, headers: { 'x-csrf-token': csrfOf(access) } })
  expectAuthError(t, onlyAccess, 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing cookie refresh_token_cookie', what: 'the access cookie is not read' })
  const swapped = await send(app, { url: '/refresh', refresh: access, headers: { 'x-csrf-token': csrfOf(access) } })
  expectAuthError(t, swapped, 'FST_JWT_AUTH_REFRESH_REQUIRED', { what: 'an access token in the refresh cookie' })
})

t.test('the order of checks: CSRF present → verify → type → freshness → CSRF match', async t => {
  const app = await build(t)

  t.test('a missing header is reported before the token is even verified', async t => {
    assertCsrfError(t, await send(app, { access: 'not-a-jwt' }), 'FST_JWT_AUTH_CSRF_MISSING', 'a garbage cookie without the header')
  })

  t.test('verification comes before the CSRF match', async t => {
    expectAuthError(t, await send(app, { access: 'not-a-jwt', headers: { 'x-csrf-token': 'x' } }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { what: 'a garbage cookie with a wrong header' })
    const expired = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: 0 })
    expectAuthError(t, await send(app, { access: expired, headers: { 'x-csrf-token': 'wrong' } }), 'FST_JWT_AUTH_TOKEN_EXPIRED',
      { what: 'an expired cookie with a wrong header' })
  })

  t.test('the token type comes before the CSRF match', async t => {
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
    expectAuthError(t, await send(app, { access: refresh, headers: { 'x-csrf-token': 'wrong' } }), 'FST_JWT_AUTH_ACCESS_REQUIRED',
      { what: 'a refresh token in the access cookie with a wrong header' })
  })

  t.test('freshness comes before the CSRF match', async t => {
    const stale = app.authJwt.createAccessToken({ subject: 'alice', fresh: false })
    expectAuthError(t, await send(app, { url: '/fresh', access: stale, headers: { 'x-csrf-token': 'wrong' } }), 'FST_JWT_AUTH_FRESH_REQUIRED',
      { what: 'a stale cookie with a wrong header' })
  })
})

t.test('a request that cannot be CSRF-checked when the route reads request.authJwt in the handler', async t => {
  const app = await buildApp(t, { tokenLocation: ['cookies'] })
  app.post('/inline', async request => {
    await request.authJwt.jwtRequired()
    return { subject: request.authJwt.getJwtSubject() }
  })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const cookie = `access_token_cookie=${access}`
  assertCsrfError(t, await app.inject({ method: 'POST', url: '/inline', headers: { cookie } }), 'FST_JWT_AUTH_CSRF_MISSING',
    'the in-handler check without the header')
  t.same((await app.inject({ method: 'POST', url: '/inline', headers: { cookie, 'x-csrf-token': csrfOf(access) } })).json(),
    { subject: 'alice' }, 'the in-handler check with the header passes')
})

t.test('checkCsrfMatch compares whole values', async t => {
  t.doesNotThrow(() => checkCsrfMatch('abc', 'abc'), 'equal values match')
  for (const [sent, claim] of [['abc', 'abd'], ['abc', 'abcd'], ['abcd', 'abc'], ['abc', undefined], ['ééé', 'abc']] as const) {
    t.throws(() => checkCsrfMatch(sent, claim), new CSRFError('FST_JWT_AUTH_CSRF_MISMATCH'), `${sent} vs ${String(claim)}: a mismatch`)
  }
})
