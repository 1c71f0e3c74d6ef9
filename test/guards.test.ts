// The guards the plugin decorates the instance with: what each lets through,
// the errors it answers, every method checked (OPTIONS included), guards
// combined in an array, and where the decorators are visible.
import t from 'tap'
import Fastify from 'fastify'
import { createSigner } from 'fast-jwt'
import fastifyJwtAuth from '../index'
import { bearer, buildApp, buildGuardedApp, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { fakeClock } from './helpers/clock'

t.test('jwtRequired', async t => {
  const app = await buildGuardedApp(t)
  const access = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin' } })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.test('a valid access token passes and its claims reach the handler', async t => {
    const response = await app.inject({ url: '/required', headers: bearer(access) })
    t.equal(response.statusCode, 200, 'a 200')
    const body = response.json()
    t.equal(body.subject, 'alice', 'the subject')
    t.equal(body.claims.role, 'admin', 'the user claims')
    t.equal(body.claims.type, 'access', 'the token type')
  })

  t.test('no token: 401 with the bare Bearer challenge', async t => {
    expectAuthError(t, await app.inject({ url: '/required' }), 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing Authorization Header' })
  })

  t.test('a refresh token is refused', async t => {
    expectAuthError(t, await app.inject({ url: '/required', headers: bearer(refresh) }), 'FST_JWT_AUTH_ACCESS_REQUIRED',
      { message: 'Only access tokens are allowed' })
  })

  t.test('a garbage token is refused without being echoed', async t => {
    const garbage = 'not.a.jwt-at-all'
    const response = await app.inject({ url: '/required', headers: bearer(garbage) })
    expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID')
    t.notMatch(response.body, garbage, 'the token is not echoed')
  })

  t.test('an expired token is refused with its own code', async t => {
    const expired = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: 0 })
    expectAuthError(t, await app.inject({ url: '/required', headers: bearer(expired) }), 'FST_JWT_AUTH_TOKEN_EXPIRED',
      { message: 'Signature has expired' })
  })

  t.test('a token from another secret is refused', async t => {
    const other = await buildGuardedApp(t, { secretKey: 'another-secret-that-is-long-enough-for-hs256' })
    const foreign = other.authJwt.createAccessToken({ subject: 'alice' })
    expectAuthError(t, await app.inject({ url: '/required', headers: bearer(foreign) }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { message: 'Signature verification failed' })
  })

  t.test('routes without a guard do not see a token', async t => {
    const response = await app.inject({ url: '/open', headers: bearer(access) })
    t.same(response.json(), { subject: null, claims: null }, 'no subject, no claims')
  })
})

t.test('jwtOptional', async t => {
  const app = await buildGuardedApp(t)

  t.test('no token: the handler runs anonymously', async t => {
    const response = await app.inject({ url: '/optional' })
    t.equal(response.statusCode, 200, 'a 200')
    t.same(response.json(), { subject: null, claims: null }, 'no subject, no claims')
  })

  t.test('a valid access token is read', async t => {
    const token = app.authJwt.createAccessToken({ subject: 7 })
    const response = await app.inject({ url: '/optional', headers: bearer(token) })
    t.equal(response.json().subject, 7, 'a numeric subject stays a number')
  })

  t.test('a present but bad token is refused', async t => {
    for (const [what, token, code] of [
      ['garbage', 'garbage', 'FST_JWT_AUTH_TOKEN_INVALID'],
      ['expired', app.authJwt.createAccessToken({ subject: 'a', expiresTime: 0 }), 'FST_JWT_AUTH_TOKEN_EXPIRED'],
      ['a refresh token', app.authJwt.createRefreshToken({ subject: 'a' }), 'FST_JWT_AUTH_ACCESS_REQUIRED']
    ] as const) {
      expectAuthError(t, await app.inject({ url: '/optional', headers: bearer(token) }), code, { what })
    }
  })

  t.test('a malformed header is a 400, not an anonymous visit', async t => {
    expectAuthError(t, await app.inject({ url: '/optional', headers: { authorization: 'Basic abc' } }), 'FST_JWT_AUTH_BAD_HEADER')
  })
})

t.test('jwtRefreshTokenRequired', async t => {
  const app = await buildGuardedApp(t)

  t.test('a refresh token passes', async t => {
    const token = app.authJwt.createRefreshToken({ subject: 'bob' })
    const response = await app.inject({ url: '/refresh', headers: bearer(token) })
    t.equal(response.statusCode, 200, 'a 200')
    t.equal(response.json().claims.type, 'refresh', 'the handler sees a refresh token')
  })

  t.test('an access token is refused', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'bob', fresh: true })
    expectAuthError(t, await app.inject({ url: '/refresh', headers: bearer(token) }), 'FST_JWT_AUTH_REFRESH_REQUIRED',
      { message: 'Only refresh tokens are allowed' })
  })

  t.test('no token', async t => {
    expectAuthError(t, await app.inject({ url: '/refresh' }), 'FST_JWT_AUTH_MISSING_TOKEN')
  })
})

t.test('freshJwtRequired', async t => {
  const app = await buildGuardedApp(t)
  const call = (token: string) => app.inject({ url: '/fresh', headers: bearer(token) })

  t.test('fresh: true passes, the default (false) does not', async t => {
    t.equal((await call(app.authJwt.createAccessToken({ subject: 'c', fresh: true }))).statusCode, 200, 'fresh: true passes')
    expectAuthError(t, await call(app.authJwt.createAccessToken({ subject: 'c' })), 'FST_JWT_AUTH_FRESH_REQUIRED',
      { message: 'Fresh token required', what: 'not fresh by default' })
  })

  t.test('fresh for a number of seconds', async t => {
    const clock = fakeClock(t)
    t.equal((await call(app.authJwt.createAccessToken({ subject: 'c', fresh: 60 }))).statusCode, 200, 'fresh for 60 s passes at once')
    const token = app.authJwt.createAccessToken({ subject: 'c', fresh: 60 })
    clock.advance(61_000)
    expectAuthError(t, await call(token), 'FST_JWT_AUTH_FRESH_REQUIRED', { what: 'no longer fresh once the seconds have passed' })
  })

  t.test('a refresh token is not an access token', async t => {
    expectAuthError(t, await call(app.authJwt.createRefreshToken({ subject: 'c' })), 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })
})

t.test('every guard checks OPTIONS requests too', async t => {
  const app = await buildGuardedApp(t)
  const guards = {
    '/required': app.jwtRequired,
    '/optional': app.jwtOptional,
    '/refresh': app.jwtRefreshTokenRequired,
    '/fresh': app.freshJwtRequired
  }
  for (const [url, guard] of Object.entries(guards)) {
    app.options(url, { preHandler: guard }, async request => ({ subject: request.authJwt.getJwtSubject() }))
  }
  const options = (url: string, headers = {}) => app.inject({ method: 'OPTIONS', url, headers })
  const access = app.authJwt.createAccessToken({ subject: 'opt', fresh: true })
  const refresh = app.authJwt.createRefreshToken({ subject: 'opt' })

  for (const url of Object.keys(guards)) {
    expectAuthError(t, await options(url, bearer('garbage')), 'FST_JWT_AUTH_TOKEN_INVALID',
      { what: `${url}: a garbage token is refused on OPTIONS, the token was verified` })
    const valid = await options(url, bearer(url === '/refresh' ? refresh : access))
    t.equal(valid.statusCode, 200, `${url}: a valid token passes on OPTIONS`)
    t.same(valid.json(), { subject: 'opt' }, `${url}: the handler sees the verified subject`)
  }
  for (const url of ['/required', '/refresh', '/fresh']) {
    expectAuthError(t, await options(url), 'FST_JWT_AUTH_MISSING_TOKEN', { what: `${url}: OPTIONS without a token is refused` })
  }
  t.same((await options('/optional')).json(), { subject: null }, 'jwtOptional: OPTIONS without a token runs anonymously')
})

// A route answering OPTIONS runs its handler for it. A guard that let OPTIONS
// through would let anyone run the handler, and its side effects, without a
// token.
t.test('a bare OPTIONS request does not run the handler of a guarded route', async t => {
  const app = await buildGuardedApp(t)
  let deletions = 0
  const deleteAccount = async () => {
    deletions++
    return { deleted: true }
  }
  app.all('/all', { preHandler: app.jwtRequired }, deleteAccount)
  app.route({ method: ['DELETE', 'OPTIONS'], url: '/listed', preHandler: app.jwtRequired, handler: deleteAccount })

  for (const url of ['/all', '/listed']) {
    expectAuthError(t, await app.inject({ method: 'OPTIONS', url }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { what: `${url}: OPTIONS without a token is refused` })
    t.equal(deletions, 0, `${url}: the handler did not run`)
  }
  const token = app.authJwt.createAccessToken({ subject: 'owner' })
  const allowed = await app.inject({ method: 'OPTIONS', url: '/all', headers: bearer(token) })
  t.equal(allowed.statusCode, 200, 'OPTIONS with a valid token passes')
  t.equal(deletions, 1, 'the handler ran for the authenticated request only')
})

t.test('guards combine in a preHandler array', async t => {
  const app = await buildGuardedApp(t)
  app.get('/both', { preHandler: [app.jwtRequired, app.freshJwtRequired] }, async () => 'ok')
  const fresh = app.authJwt.createAccessToken({ subject: 'd', fresh: true })
  t.equal((await app.inject({ url: '/both', headers: bearer(fresh) })).body, 'ok', 'a fresh token passes both')
  const stale = app.authJwt.createAccessToken({ subject: 'd' })
  expectAuthError(t, await app.inject({ url: '/both', headers: bearer(stale) }), 'FST_JWT_AUTH_FRESH_REQUIRED',
    { what: 'a stale token passes the first and is refused by the second' })
})

t.test('a token without a type counts as an access token', async t => {
  const app = await buildGuardedApp(t)
  // Signed with the same secret by another library: no `type` claim.
  const foreign = createSigner({ key: SECRET })({ sub: 'eve' })
  t.equal((await app.inject({ url: '/required', headers: bearer(foreign) })).statusCode, 200, 'jwtRequired lets it through')
  expectAuthError(t, await app.inject({ url: '/refresh', headers: bearer(foreign) }), 'FST_JWT_AUTH_REFRESH_REQUIRED',
    { what: 'jwtRefreshTokenRequired refuses it' })
})

// fastify-plugin makes the decorators the registering context's: routes of
// that context and of its children see them, a parent does not.
t.test('the decorators follow Fastify\'s encapsulation', async t => {
  const parent = Fastify({ logger: false })
  t.teardown(() => parent.close())
  await parent.register(async function child (child) {
    await child.register(fastifyJwtAuth, { secretKey: SECRET })
  })
  await parent.ready()
  t.notOk(parent.hasDecorator('authJwt'), 'registered inside a child context, it stays there')

  const root = await buildApp(t)
  await root.register(async function routes (child) {
    child.get('/child', { preHandler: child.jwtRequired }, async request => request.authJwt.getJwtSubject())
  })
  const token = root.authJwt.createAccessToken({ subject: 'kid' })
  t.equal((await root.inject({ url: '/child', headers: bearer(token) })).body, 'kid', 'a child context of the registering one uses its guards')
})
