// `request.authJwt`: the guards' checks called inside a handler, token
// creation, the headers of the current token or of another, and which token
// revokeToken revokes. The cookie helpers are tested in cookies.test.ts,
// revocation through the guards in e2e/revocation.test.ts.
import t from 'tap'
import { createMemoryDenylist } from '../index'
import { bearer, buildApp } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'

t.test('the in-handler checks', async t => {
  const app = await buildApp(t)
  for (const check of ['jwtRequired', 'jwtOptional', 'jwtRefreshTokenRequired', 'freshJwtRequired'] as const) {
    app.get(`/${check}`, async request => {
      await request.authJwt[check]()
      return { subject: request.authJwt.getJwtSubject() }
    })
  }
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const fresh = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const passes: Array<[string, string | undefined]> = [
    ['jwtRequired', access],
    ['jwtOptional', undefined],
    ['jwtOptional', access],
    ['jwtRefreshTokenRequired', refresh],
    ['freshJwtRequired', fresh]
  ]
  for (const [check, token] of passes) {
    const what = `${check} with ${token === undefined ? 'no token' : 'a token'}`
    const response = await app.inject({ url: `/${check}`, headers: token === undefined ? {} : bearer(token) })
    t.equal(response.statusCode, 200, `${what}: passes`)
    t.same(response.json(), { subject: token === undefined ? null : 'alice' }, `${what}: the handler sees the subject`)
  }

  const refusals = [
    ['jwtRequired', undefined, 'FST_JWT_AUTH_MISSING_TOKEN'],
    ['jwtRequired', refresh, 'FST_JWT_AUTH_ACCESS_REQUIRED'],
    ['jwtOptional', 'garbage', 'FST_JWT_AUTH_TOKEN_INVALID'],
    ['jwtRefreshTokenRequired', access, 'FST_JWT_AUTH_REFRESH_REQUIRED'],
    ['freshJwtRequired', access, 'FST_JWT_AUTH_FRESH_REQUIRED']
  ] as const
  for (const [check, token, code] of refusals) {
    const response = await app.inject({ url: `/${check}`, headers: token === undefined ? {} : bearer(token) })
    expectAuthError(t, response, code, { what: `${check} refuses` })
  }
})

t.test('request.authJwt', async t => {
  const app = await buildApp(t)
  app.get('/tokens', async request => ({
    access: request.authJwt.createAccessToken({ subject: 'a', fresh: true }),
    refresh: request.authJwt.createRefreshToken({ subject: 'a' })
  }))
  app.get('/headers', { preHandler: app.jwtRequired }, async request => ({
    current: request.authJwt.getUnverifiedJwtHeaders(),
    other: request.authJwt.getUnverifiedJwtHeaders(app.authJwt.createAccessToken({ subject: 'b', headers: { kid: 'k1' } })),
    jti: request.authJwt.getJti(request.headers.authorization?.slice(7) as string) === request.authJwt.getRawJwt()?.jti
  }))
  app.get('/no-token-headers', async request => request.authJwt.getUnverifiedJwtHeaders())

  t.test('creates tokens the guards accept', async t => {
    const { access, refresh } = (await app.inject('/tokens')).json()
    t.equal(app.authJwt.decodeToken(access).type, 'access', 'an access token')
    t.equal(app.authJwt.decodeToken(access).fresh, true, 'fresh as asked')
    t.equal(app.authJwt.decodeToken(refresh).type, 'refresh', 'a refresh token')
  })

  t.test('reads the headers of the current token or of another', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    t.same((await app.inject({ url: '/headers', headers: bearer(token) })).json(), {
      current: { alg: 'HS256', typ: 'JWT' },
      other: { alg: 'HS256', typ: 'JWT', kid: 'k1' },
      jti: true
    }, 'the current token\'s headers, another token\'s headers, and the jti of the current token')
  })

  t.test('without a verified token there are no current headers', async t => {
    expectAuthError(t, await app.inject('/no-token-headers'), 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'No verified token on this request' })
  })
})

t.test('revokeToken revokes the token it is given, else the one the request verified', async t => {
  const store = createMemoryDenylist()
  const app = await buildApp(t, { denylistEnabled: true, denylistStore: store })
  app.post<{ Body: { token?: string } | undefined }>('/logout', { preHandler: app.jwtOptional }, async request => {
    await request.authJwt.revokeToken(request.body?.token)
    return { revoked: true }
  })
  const revoked = async (token: string) => await store.has(app.authJwt.getJti(token) as string)
  const current = app.authJwt.createAccessToken({ subject: 'alice' })
  const given = app.authJwt.createAccessToken({ subject: 'alice' })

  const byArgument = await app.inject({ method: 'POST', url: '/logout', headers: bearer(current), payload: { token: given } })
  t.same(byArgument.json(), { revoked: true }, 'a given token is revoked')
  t.equal(await revoked(given), true, 'the given token is in the denylist')
  t.equal(await revoked(current), false, 'the request\'s own token is not')

  t.same((await app.inject({ method: 'POST', url: '/logout', headers: bearer(current) })).json(), { revoked: true },
    'without an argument, the verified token is revoked')
  t.equal(await revoked(current), true, 'the request\'s own token is in the denylist')

  expectAuthError(t, await app.inject({ method: 'POST', url: '/logout' }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { message: 'No verified token on this request', what: 'neither an argument nor a verified token' })
})
