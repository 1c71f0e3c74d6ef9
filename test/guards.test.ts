import t from 'tap'
import { createSigner } from 'fast-jwt'
import { buildGuardedApp, bearer } from './helpers/app'

t.test('jwtRequired', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
  const access = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin' } })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.test('a valid access token passes and its claims reach the handler', async t => {
    const response = await app.inject({ url: '/required', headers: bearer(access) })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.equal(body.subject, 'alice')
    t.equal(body.claims.role, 'admin')
    t.equal(body.claims.type, 'access')
  })

  t.test('no token: 401 with the bare Bearer challenge', async t => {
    const response = await app.inject({ url: '/required' })
    t.equal(response.statusCode, 401)
    t.same(response.json(), {
      statusCode: 401,
      code: 'FST_JWT_AUTH_MISSING_TOKEN',
      error: 'Unauthorized',
      message: 'Missing Authorization Header'
    })
    t.equal(response.headers['www-authenticate'], 'Bearer')
  })

  t.test('a refresh token is refused', async t => {
    const response = await app.inject({ url: '/required', headers: bearer(refresh) })
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED')
    t.equal(response.json().message, 'Only access tokens are allowed')
    t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"')
  })

  t.test('a garbage token is refused without being echoed', async t => {
    const garbage = 'not.a.jwt-at-all'
    const response = await app.inject({ url: '/required', headers: bearer(garbage) })
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_INVALID')
    t.notMatch(response.body, garbage)
  })

  t.test('an expired token is refused with its own code', async t => {
    const expired = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: 0 })
    const response = await app.inject({ url: '/required', headers: bearer(expired) })
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_EXPIRED')
    t.equal(response.json().message, 'Signature has expired')
  })

  t.test('a token from another secret is refused', async t => {
    const other = await buildGuardedApp(t, { secretKey: 'another-secret-that-is-long-enough-for-hs256' })
    t.teardown(() => other.close())
    const foreign = other.authJwt.createAccessToken({ subject: 'alice' })
    const response = await app.inject({ url: '/required', headers: bearer(foreign) })
    t.equal(response.statusCode, 401)
    t.equal(response.json().message, 'Signature verification failed')
  })

  t.test('routes without a guard do not see a token', async t => {
    const response = await app.inject({ url: '/open', headers: bearer(access) })
    t.same(response.json(), { subject: null, claims: null })
  })
})

t.test('jwtOptional', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())

  t.test('no token: the handler runs anonymously', async t => {
    const response = await app.inject({ url: '/optional' })
    t.equal(response.statusCode, 200)
    t.same(response.json(), { subject: null, claims: null })
  })

  t.test('a valid access token is read', async t => {
    const token = app.authJwt.createAccessToken({ subject: 7 })
    const response = await app.inject({ url: '/optional', headers: bearer(token) })
    t.equal(response.json().subject, 7, 'a numeric subject stays a number')
  })

  t.test('a present but bad token is refused', async t => {
    for (const [token, code] of [
      ['garbage', 'FST_JWT_AUTH_TOKEN_INVALID'],
      [app.authJwt.createAccessToken({ subject: 'a', expiresTime: 0 }), 'FST_JWT_AUTH_TOKEN_EXPIRED'],
      [app.authJwt.createRefreshToken({ subject: 'a' }), 'FST_JWT_AUTH_ACCESS_REQUIRED']
    ]) {
      const response = await app.inject({ url: '/optional', headers: bearer(token) })
      t.equal(response.statusCode, 401)
      t.equal(response.json().code, code)
    }
  })

  t.test('a malformed header is a 400, not an anonymous visit', async t => {
    const response = await app.inject({ url: '/optional', headers: { authorization: 'Basic abc' } })
    t.equal(response.statusCode, 400)
    t.equal(response.json().code, 'FST_JWT_AUTH_BAD_HEADER')
  })
})

t.test('jwtRefreshTokenRequired', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())

  t.test('a refresh token passes', async t => {
    const token = app.authJwt.createRefreshToken({ subject: 'bob' })
    const response = await app.inject({ url: '/refresh', headers: bearer(token) })
    t.equal(response.statusCode, 200)
    t.equal(response.json().claims.type, 'refresh')
  })

  t.test('an access token is refused', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'bob', fresh: true })
    const response = await app.inject({ url: '/refresh', headers: bearer(token) })
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED')
    t.equal(response.json().message, 'Only refresh tokens are allowed')
  })

  t.test('no token', async t => {
    const response = await app.inject({ url: '/refresh' })
    t.equal(response.json().code, 'FST_JWT_AUTH_MISSING_TOKEN')
  })
})

t.test('freshJwtRequired', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
  const call = (token: string) => app.inject({ url: '/fresh', headers: bearer(token) })

  t.test('fresh: true passes, the default (false) does not', async t => {
    t.equal((await call(app.authJwt.createAccessToken({ subject: 'c', fresh: true }))).statusCode, 200)
    const stale = await call(app.authJwt.createAccessToken({ subject: 'c' }))
    t.equal(stale.statusCode, 401)
    t.equal(stale.json().code, 'FST_JWT_AUTH_FRESH_REQUIRED')
    t.equal(stale.json().message, 'Fresh token required')
  })

  t.test('fresh for a number of seconds', async t => {
    t.equal((await call(app.authJwt.createAccessToken({ subject: 'c', fresh: 60 }))).statusCode, 200)
    const token = app.authJwt.createAccessToken({ subject: 'c', fresh: 60 })
    const now = Date.now
    Date.now = () => now() + 61_000
    t.teardown(() => { Date.now = now })
    const later = await call(token)
    t.equal(later.json().code, 'FST_JWT_AUTH_FRESH_REQUIRED', 'no longer fresh once the seconds have passed')
  })

  t.test('a refresh token is not an access token', async t => {
    const response = await call(app.authJwt.createRefreshToken({ subject: 'c' }))
    t.equal(response.json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })
})

t.test('every guard checks OPTIONS requests too', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
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
    const garbage = await options(url, bearer('garbage'))
    t.equal(garbage.statusCode, 401, `${url}: a garbage token is refused on OPTIONS`)
    t.equal(garbage.json().code, 'FST_JWT_AUTH_TOKEN_INVALID', `${url}: the token was verified`)
    const valid = await options(url, bearer(url === '/refresh' ? refresh : access))
    t.equal(valid.statusCode, 200, `${url}: a valid token passes on OPTIONS`)
    t.same(valid.json(), { subject: 'opt' }, `${url}: the handler sees the verified subject`)
  }
  for (const url of ['/required', '/refresh', '/fresh']) {
    const bare = await options(url)
    t.equal(bare.statusCode, 401, `${url}: OPTIONS without a token is refused`)
    t.equal(bare.json().code, 'FST_JWT_AUTH_MISSING_TOKEN', `${url}: refused for the missing token`)
  }
  t.same((await options('/optional')).json(), { subject: null }, 'jwtOptional: OPTIONS without a token runs anonymously')
})

// A route answering OPTIONS runs its handler for it. A guard that let OPTIONS
// through would let anyone run the handler, and its side effects, without a
// token.
t.test('a bare OPTIONS request does not run the handler of a guarded route', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
  let deletions = 0
  const deleteAccount = async () => {
    deletions++
    return { deleted: true }
  }
  app.all('/all', { preHandler: app.jwtRequired }, deleteAccount)
  app.route({ method: ['DELETE', 'OPTIONS'], url: '/listed', preHandler: app.jwtRequired, handler: deleteAccount })

  for (const url of ['/all', '/listed']) {
    const bare = await app.inject({ method: 'OPTIONS', url })
    t.equal(bare.statusCode, 401, `${url}: OPTIONS without a token is refused`)
    t.equal(bare.json().code, 'FST_JWT_AUTH_MISSING_TOKEN', `${url}: refused for the missing token`)
    t.equal(deletions, 0, `${url}: the handler did not run`)
  }
  const token = app.authJwt.createAccessToken({ subject: 'owner' })
  const allowed = await app.inject({ method: 'OPTIONS', url: '/all', headers: bearer(token) })
  t.equal(allowed.statusCode, 200, 'OPTIONS with a valid token passes')
  t.equal(deletions, 1, 'the handler ran for the authenticated request only')
})

t.test('guards combine in a preHandler array', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
  app.get('/both', { preHandler: [app.jwtRequired, app.freshJwtRequired] }, async () => 'ok')
  const fresh = app.authJwt.createAccessToken({ subject: 'd', fresh: true })
  t.equal((await app.inject({ url: '/both', headers: bearer(fresh) })).body, 'ok')
  const stale = app.authJwt.createAccessToken({ subject: 'd' })
  t.equal((await app.inject({ url: '/both', headers: bearer(stale) })).json().code, 'FST_JWT_AUTH_FRESH_REQUIRED')
})

t.test('a token without a type counts as an access token', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
  // Signed with the same secret by another library: no `type` claim.
  const foreign = createSigner({ key: 'a-test-secret-that-is-long-enough-for-hs256!' })({ sub: 'eve' })
  t.equal((await app.inject({ url: '/required', headers: bearer(foreign) })).statusCode, 200)
  t.equal((await app.inject({ url: '/refresh', headers: bearer(foreign) })).json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED')
})
