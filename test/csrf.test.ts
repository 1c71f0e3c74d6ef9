// Double-submit CSRF for tokens read from cookies: each failure, the methods
// checked, custom header names, the refresh CSRF header, the order of checks.
import t from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import fastifyJwtAuth, { CSRFError, type FastifyJwtAuthOptions } from '../index'
import { checkCsrfMatch } from '../lib/csrf'

const SECRET = 'a-csrf-test-secret-that-is-long-enough!!'
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
type Method = typeof METHODS[number]

async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['cookies'], ...options })
  const whoami = async (request: import('fastify').FastifyRequest) => ({ subject: request.authJwt.getJwtSubject() })
  app.route({ method: [...METHODS, 'OPTIONS'], url: '/protected', preHandler: app.jwtRequired, handler: whoami })
  app.route({ method: METHODS as unknown as Method[], url: '/optional', preHandler: app.jwtOptional, handler: whoami })
  app.route({ method: METHODS as unknown as Method[], url: '/fresh', preHandler: app.freshJwtRequired, handler: whoami })
  app.route({ method: METHODS as unknown as Method[], url: '/refresh', preHandler: app.jwtRefreshTokenRequired, handler: whoami })
  t.teardown(() => app.close())
  return app
}

function csrfOf (token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).csrf
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

function assertCsrfError (t: tap.Test, response: LightMyRequestResponse, code: 'FST_JWT_AUTH_CSRF_MISSING' | 'FST_JWT_AUTH_CSRF_MISMATCH', token?: string): void {
  t.equal(response.statusCode, 401)
  t.same(response.json(), {
    statusCode: 401,
    code,
    error: 'Unauthorized',
    message: code === 'FST_JWT_AUTH_CSRF_MISSING' ? 'Missing CSRF Token' : 'CSRF double submit tokens do not match'
  })
  t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"')
  if (token !== undefined) t.notMatch(response.body, token)
}

t.test('state-changing methods need the CSRF header', async t => {
  const app = await build()
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const csrf = csrfOf(access)

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    t.test(method, async t => {
      const ok = await send(app, { method, access, headers: { 'x-csrf-token': csrf } })
      t.equal(ok.statusCode, 200)
      t.same(ok.json(), { subject: 'alice' })

      assertCsrfError(t, await send(app, { method, access }), 'FST_JWT_AUTH_CSRF_MISSING', access)
      assertCsrfError(t, await send(app, { method, access, headers: { 'x-csrf-token': '' } }), 'FST_JWT_AUTH_CSRF_MISSING')
      assertCsrfError(t, await send(app, { method, access, headers: { 'x-csrf-token': csrf.slice(0, -1) + (csrf.endsWith('a') ? 'b' : 'a') } }),
        'FST_JWT_AUTH_CSRF_MISMATCH', access)
      assertCsrfError(t, await send(app, { method, access, headers: { 'x-csrf-token': `${csrf}0` } }), 'FST_JWT_AUTH_CSRF_MISMATCH')
    })
  }

  t.test('the CSRF cookie of another token does not match', async t => {
    const other = csrfOf(app.authJwt.createAccessToken({ subject: 'alice' }))
    assertCsrfError(t, await send(app, { access, headers: { 'x-csrf-token': other } }), 'FST_JWT_AUTH_CSRF_MISMATCH')
  })

  t.test('the header name is matched case-insensitively', async t => {
    t.equal((await send(app, { access, headers: { 'X-CSRF-TOKEN': csrf } })).statusCode, 200)
  })

  t.test('a CSRF value with multibyte characters is a mismatch, not a crash', async t => {
    // Same length in characters, longer in bytes: timingSafeEqual would throw on it.
    const response = await send(app, { access, headers: { 'x-csrf-token': 'é'.repeat(csrf.length) } })
    assertCsrfError(t, response, 'FST_JWT_AUTH_CSRF_MISMATCH')
  })

  t.test('jwtOptional: a cookie without its CSRF header is refused, not ignored', async t => {
    assertCsrfError(t, await send(app, { url: '/optional', access }), 'FST_JWT_AUTH_CSRF_MISSING')
    t.same((await send(app, { url: '/optional' })).json(), { subject: null }, 'no cookie: anonymous')
    t.same((await send(app, { url: '/optional', access, headers: { 'x-csrf-token': csrf } })).json(), { subject: 'alice' })
  })

  t.test('freshJwtRequired checks CSRF too', async t => {
    const fresh = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
    assertCsrfError(t, await send(app, { url: '/fresh', access: fresh }), 'FST_JWT_AUTH_CSRF_MISSING')
    t.equal((await send(app, { url: '/fresh', access: fresh, headers: { 'x-csrf-token': csrfOf(fresh) } })).statusCode, 200)
  })
})

t.test('GET is not CSRF-checked by default, even when a wrong CSRF header is sent', async t => {
  const app = await build()
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal((await send(app, { method: 'GET', access })).statusCode, 200)
  const withHeader = await send(app, { method: 'GET', access, headers: { 'x-csrf-token': 'whatever' } })
  t.equal(withHeader.statusCode, 200, 'the header is ignored on a method that is not checked')
  t.same(withHeader.json(), { subject: 'alice' })
})

t.test('OPTIONS is authenticated by cookie, without the CSRF header by default', async t => {
  const app = await build()
  const garbage = await send(app, { method: 'OPTIONS', access: 'garbage' })
  t.equal(garbage.statusCode, 401, 'a garbage cookie is refused on OPTIONS')
  t.equal(garbage.json().code, 'FST_JWT_AUTH_TOKEN_INVALID', 'the cookie was verified')
  const none = await send(app, { method: 'OPTIONS' })
  t.equal(none.statusCode, 401, 'OPTIONS without a cookie is refused')
  t.equal(none.json().code, 'FST_JWT_AUTH_MISSING_TOKEN', 'refused for the missing token')
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const ok = await send(app, { method: 'OPTIONS', access })
  t.equal(ok.statusCode, 200, 'a valid cookie passes: OPTIONS is not among the default csrfMethods')
  t.same(ok.json(), { subject: 'alice' }, 'the handler sees the verified subject')
})

t.test('custom csrfMethods', async t => {
  const app = await build({ csrfMethods: ['get', 'PUT'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  assertCsrfError(t, await send(app, { method: 'GET', access }), 'FST_JWT_AUTH_CSRF_MISSING')
  assertCsrfError(t, await send(app, { method: 'PUT', access }), 'FST_JWT_AUTH_CSRF_MISSING')
  t.equal((await send(app, { method: 'GET', access, headers: { 'x-csrf-token': csrfOf(access) } })).statusCode, 200)
  for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
    t.equal((await send(app, { method, access })).statusCode, 200, `${method} is no longer checked`)
  }
})

t.test('an empty csrfMethods checks nothing', async t => {
  const app = await build({ csrfMethods: [] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal((await send(app, { method: 'DELETE', access })).statusCode, 200)
})

t.test('cookieCsrfProtect false: no check, whatever the method or header', async t => {
  const app = await build({ cookieCsrfProtect: false })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  for (const method of METHODS) {
    t.equal((await send(app, { method, access })).statusCode, 200, method)
  }
  t.equal((await send(app, { access, headers: { 'x-csrf-token': 'anything' } })).statusCode, 200)
})

t.test('a CSRF header with a token that has no csrf claim is a mismatch', async t => {
  const app = await build()
  // Same secret, no cookies location: its tokens carry no csrf claim.
  const headersOnly = await build({ tokenLocation: ['headers'] })
  const access = headersOnly.authJwt.createAccessToken({ subject: 'alice' })
  t.notOk('csrf' in JSON.parse(Buffer.from(access.split('.')[1], 'base64url').toString('utf8')))
  assertCsrfError(t, await send(app, { access, headers: { 'x-csrf-token': 'something' } }), 'FST_JWT_AUTH_CSRF_MISMATCH')
  assertCsrfError(t, await send(app, { access }), 'FST_JWT_AUTH_CSRF_MISSING')
  t.equal((await send(app, { method: 'GET', access })).statusCode, 200, 'GET is not checked')
})

t.test('custom CSRF header names', async t => {
  const app = await build({ accessCsrfHeaderName: 'X-Access-Csrf', refreshCsrfHeaderName: 'X-Refresh-Csrf' })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.equal((await send(app, { access, headers: { 'x-access-csrf': csrfOf(access) } })).statusCode, 200)
  assertCsrfError(t, await send(app, { access, headers: { 'x-csrf-token': csrfOf(access) } }), 'FST_JWT_AUTH_CSRF_MISSING')
  assertCsrfError(t, await send(app, { access, headers: { 'x-refresh-csrf': csrfOf(access) } }), 'FST_JWT_AUTH_CSRF_MISSING')

  t.equal((await send(app, { url: '/refresh', refresh, headers: { 'x-refresh-csrf': csrfOf(refresh) } })).statusCode, 200)
  assertCsrfError(t, await send(app, { url: '/refresh', refresh, headers: { 'x-access-csrf': csrfOf(refresh) } }), 'FST_JWT_AUTH_CSRF_MISSING')
  assertCsrfError(t, await send(app, { url: '/refresh', refresh, headers: { 'x-refresh-csrf': csrfOf(access) } }), 'FST_JWT_AUTH_CSRF_MISMATCH')
})

t.test('the refresh guard reads the refresh cookie and the refresh CSRF value', async t => {
  const app = await build()
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const ok = await send(app, { url: '/refresh', access, refresh, headers: { 'x-csrf-token': csrfOf(refresh) } })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { subject: 'alice' })
  assertCsrfError(t, await send(app, { url: '/refresh', refresh }), 'FST_JWT_AUTH_CSRF_MISSING')
  assertCsrfError(t, await send(app, { url: '/refresh', access, refresh, headers: { 'x-csrf-token': csrfOf(access) } }),
    'FST_JWT_AUTH_CSRF_MISMATCH', refresh)

  const onlyAccess = await send(app, { url: '/refresh', access, headers: { 'x-csrf-token': csrfOf(access) } })
  t.equal(onlyAccess.json().message, 'Missing cookie refresh_token_cookie', 'the access cookie is not read')
  const swapped = await send(app, { url: '/refresh', refresh: access, headers: { 'x-csrf-token': csrfOf(access) } })
  t.equal(swapped.json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED', 'an access token in the refresh cookie')
})

t.test('the order of checks: CSRF present → verify → type → freshness → CSRF match', async t => {
  const app = await build()

  t.test('a missing header is reported before the token is even verified', async t => {
    assertCsrfError(t, await send(app, { access: 'not-a-jwt' }), 'FST_JWT_AUTH_CSRF_MISSING')
  })

  t.test('verification comes before the CSRF match', async t => {
    const invalid = await send(app, { access: 'not-a-jwt', headers: { 'x-csrf-token': 'x' } })
    t.equal(invalid.json().code, 'FST_JWT_AUTH_TOKEN_INVALID')
    const expired = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: 0 })
    const response = await send(app, { access: expired, headers: { 'x-csrf-token': 'wrong' } })
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_EXPIRED')
  })

  t.test('the token type comes before the CSRF match', async t => {
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
    const response = await send(app, { access: refresh, headers: { 'x-csrf-token': 'wrong' } })
    t.equal(response.json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })

  t.test('freshness comes before the CSRF match', async t => {
    const stale = app.authJwt.createAccessToken({ subject: 'alice', fresh: false })
    const response = await send(app, { url: '/fresh', access: stale, headers: { 'x-csrf-token': 'wrong' } })
    t.equal(response.json().code, 'FST_JWT_AUTH_FRESH_REQUIRED')
  })
})

t.test('a request that cannot be CSRF-checked when the route reads request.authJwt in the handler', async t => {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['cookies'] })
  app.post('/inline', async request => {
    await request.authJwt.jwtRequired()
    return { subject: request.authJwt.getJwtSubject() }
  })
  t.teardown(() => app.close())
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const cookie = `access_token_cookie=${access}`
  t.equal((await app.inject({ method: 'POST', url: '/inline', headers: { cookie } })).json().code, 'FST_JWT_AUTH_CSRF_MISSING')
  t.same((await app.inject({ method: 'POST', url: '/inline', headers: { cookie, 'x-csrf-token': csrfOf(access) } })).json(),
    { subject: 'alice' })
})

t.test('checkCsrfMatch compares whole values', async t => {
  t.doesNotThrow(() => checkCsrfMatch('abc', 'abc'))
  for (const [sent, claim] of [['abc', 'abd'], ['abc', 'abcd'], ['abcd', 'abc'], ['abc', undefined], ['ééé', 'abc']] as const) {
    let thrown: unknown
    try {
      checkCsrfMatch(sent, claim)
    } catch (error) {
      thrown = error
    }
    t.ok(thrown instanceof CSRFError, `${sent} vs ${String(claim)}`)
    t.equal((thrown as CSRFError).code, 'FST_JWT_AUTH_CSRF_MISMATCH')
  }
})
