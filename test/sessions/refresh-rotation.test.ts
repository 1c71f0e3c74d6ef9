// request.authJwt.refreshTokens(): rotation within a family, reuse detection
// and the grace window, on the memory store (the Redis store's part:
// test/e2e/sessions-redis.test.ts).
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { DenylistStore, FastifyJwtAuthOptions } from '../../index'
import { createMemoryDenylist } from '../../index'
import { bearer, buildApp, expectRegistrationError } from '../helpers/app'
import { recordingStore } from '../helpers/recording-store'
import { expectAuthError } from '../helpers/auth-error'
import { fakeClock } from '../helpers/clock'

const SESSIONS: FastifyJwtAuthOptions = { denylistEnabled: true }

async function sessionApp (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, { ...SESSIONS, ...options })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens())
  app.get('/me', { preHandler: app.jwtRequired }, async request => request.authJwt.getRawJwt())
  return app
}

const refresh = (app: FastifyInstance, token: string) => app.inject({ method: 'POST', url: '/refresh', headers: bearer(token) })

t.test('a refresh gives a pair of the same family; the refresh token keeps the family\'s exp', async t => {
  const app = await sessionApp(t)
  const login = app.authJwt.createRefreshToken({ subject: 'alice', userClaims: { role: 'admin' } })
  const loginClaims = app.authJwt.decodeToken(login)
  t.type(loginClaims.fam, 'string', 'a refresh token starts a family')
  const clock = fakeClock(t)
  clock.advance(60_000)
  const response = await refresh(app, login)
  t.equal(response.statusCode, 200)
  const { accessToken, refreshToken } = response.json() as { accessToken: string, refreshToken: string }
  const access = app.authJwt.decodeToken(accessToken)
  const next = app.authJwt.decodeToken(refreshToken)
  t.match(access, { sub: 'alice', type: 'access', fresh: false, fam: loginClaims.fam, role: 'admin' })
  t.match(next, { sub: 'alice', type: 'refresh', fam: loginClaims.fam, exp: loginClaims.exp, role: 'admin' })
  t.not(next.jti, loginClaims.jti)
  t.ok((access.exp as number) <= (loginClaims.exp as number), 'the access token does not outlive the family')
  t.equal((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode, 200)
  // The next refresh token rotates in turn.
  t.equal((await refresh(app, refreshToken)).statusCode, 200)
})

t.test('an access token never outlives its family', async t => {
  const app = await sessionApp(t, { accessTokenExpires: 3600 })
  const login = app.authJwt.createRefreshToken({ subject: 'x', expiresTime: 60 })
  const { accessToken } = (await refresh(app, login)).json() as { accessToken: string }
  t.equal(app.authJwt.decodeToken(accessToken).exp, app.authJwt.decodeToken(login).exp)
})

t.test('two uses within the grace window: the same chain, nobody logged out', async t => {
  const app = await sessionApp(t, { refreshReuseGrace: 30 })
  const login = app.authJwt.createRefreshToken({ subject: 'bob' })
  const clock = fakeClock(t)
  const [first, second] = await Promise.all([refresh(app, login), refresh(app, login)])
  t.equal(first.statusCode, 200)
  t.equal(second.statusCode, 200)
  const a = app.authJwt.decodeToken(first.json().refreshToken)
  const b = app.authJwt.decodeToken(second.json().refreshToken)
  t.equal(a.jti, b.jti, 'both successors carry the one jti of the chain')
  clock.advance(30_000)
  t.equal((await refresh(app, login)).statusCode, 200, 'still within the grace window')
  // Either copy of the successor rotates once, as one token.
  t.equal((await refresh(app, second.json().refreshToken)).statusCode, 200)
})

t.test('a used refresh token after the grace window revokes its whole family', async t => {
  const app = await sessionApp(t)
  const login = app.authJwt.createRefreshToken({ subject: 'carol' })
  const otherLogin = app.authJwt.createRefreshToken({ subject: 'carol' })
  const clock = fakeClock(t)
  const { accessToken, refreshToken } = (await refresh(app, login)).json() as { accessToken: string, refreshToken: string }
  const loginAccess = app.authJwt.createAccessToken({ subject: 'carol', family: app.authJwt.decodeToken(login).fam })
  clock.advance(30_001)
  const reused = await refresh(app, login)
  expectAuthError(t, reused, 'FST_JWT_AUTH_TOKEN_REUSED', { message: 'Refresh token has already been used' })
  for (const [what, token] of [['the new access token', accessToken], ['the access token of the login', loginAccess]]) {
    expectAuthError(t, await app.inject({ url: '/me', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_REVOKED', { what })
  }
  expectAuthError(t, await refresh(app, refreshToken), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'the new refresh token' })
  t.equal((await refresh(app, otherLogin)).statusCode, 200, 'another session of the same user goes on')
})

t.test('a token older than the previous one of the chain is a reuse at once', async t => {
  const app = await sessionApp(t)
  const j = app.authJwt.createRefreshToken({ subject: 'dave' })
  const k = (await refresh(app, j)).json().refreshToken as string
  t.equal((await refresh(app, k)).statusCode, 200)
  expectAuthError(t, await refresh(app, j), 'FST_JWT_AUTH_TOKEN_REUSED')
})

t.test('a refresh token without fam starts a family named by its jti', async t => {
  const app = await sessionApp(t)
  const { fam, ...legacy } = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'erin' }))
  t.ok(fam)
  const claims = { ...legacy }
  // Signed like the plugin's tokens before families: same claims, no fam.
  const { createSigner } = await import('fast-jwt')
  const old = createSigner({ key: 'a-test-secret-that-is-long-enough-for-hs256!' })(claims)
  const first = await refresh(app, old)
  t.equal(first.statusCode, 200)
  t.equal(app.authJwt.decodeToken(first.json().refreshToken).fam, claims.jti)
  fakeClock(t).advance(30_001)
  expectAuthError(t, await refresh(app, old), 'FST_JWT_AUTH_TOKEN_REUSED')
})

t.test('refreshTokens carries aud and user claims, or the claims given', async t => {
  const app = await buildApp(t, { ...SESSIONS, decodeAudience: ['web', 'mobile'] })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request =>
    request.authJwt.refreshTokens({ userClaims: { role: 'user' } }))
  const login = app.authJwt.createRefreshToken({ subject: 'f', audience: 'mobile', userClaims: { role: 'admin', team: 3 } })
  const { accessToken, refreshToken } = (await refresh(app, login)).json() as { accessToken: string, refreshToken: string }
  for (const token of [accessToken, refreshToken]) {
    const claims = app.authJwt.decodeToken(token)
    t.equal(claims.aud, 'mobile')
    t.equal(claims.role, 'user')
    t.notOk('team' in claims, 'the claims given replace the old ones')
  }
})

t.test('refreshTokens({ reply }) sets both cookies', async t => {
  const app = await buildApp(t, { ...SESSIONS, tokenLocation: ['cookies'], cookieCsrfProtect: false })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async (request, reply) => {
    await request.authJwt.refreshTokens({ reply })
    return 'ok'
  })
  const login = app.authJwt.createRefreshToken({ subject: 'g' })
  const response = await app.inject({ method: 'POST', url: '/refresh', cookies: { refresh_token_cookie: login } })
  t.equal(response.statusCode, 200)
  const names = response.cookies.map(cookie => cookie.name).sort()
  t.same(names, ['access_token_cookie', 'refresh_token_cookie'])
})

t.test('refreshTokens needs a refresh token checked on this request', async t => {
  const app = await buildApp(t, SESSIONS)
  app.post('/open', async request => request.authJwt.refreshTokens())
  app.post('/access', { preHandler: app.jwtRequired }, async request => request.authJwt.refreshTokens())
  expectAuthError(t, await app.inject({ method: 'POST', url: '/open' }), 'FST_JWT_AUTH_REFRESH_REQUIRED', { what: 'no guard' })
  const access = app.authJwt.createAccessToken({ subject: 'h' })
  expectAuthError(t, await app.inject({ method: 'POST', url: '/access', headers: bearer(access) }), 'FST_JWT_AUTH_REFRESH_REQUIRED',
    { what: 'an access token' })
  const { createSigner } = await import('fast-jwt')
  // Another issuer's token without type counts as an access token.
  const typeless = createSigner({ key: 'a-test-secret-that-is-long-enough-for-hs256!' })({ sub: 'h', jti: 'j-1' })
  expectAuthError(t, await app.inject({ method: 'POST', url: '/access', headers: bearer(typeless) }), 'FST_JWT_AUTH_REFRESH_REQUIRED',
    { what: 'a token without type' })
})

t.test('refreshTokens needs the denylist, checking refresh tokens, with a store', async t => {
  const cases: Array<[string, FastifyJwtAuthOptions, RegExp]> = [
    ['denylist off', { denylistEnabled: false }, /refreshTokens needs denylistEnabled: true, with access and refresh in denylistTokenChecks/],
    ['refresh tokens unchecked', { denylistEnabled: true, denylistTokenChecks: ['access'] }, /with access and refresh in denylistTokenChecks/],
    ['access tokens unchecked', { denylistEnabled: true, denylistTokenChecks: ['refresh'] }, /with access and refresh in denylistTokenChecks/],
    ['a hook without a store', { denylistEnabled: true, tokenInDenylist: () => false }, /refreshTokens needs a denylistStore/]
  ]
  for (const [what, options, message] of cases) {
    const app = await buildApp(t, options)
    app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens())
    const response = await refresh(app, app.authJwt.createRefreshToken({ subject: 'i' }))
    t.equal(response.statusCode, 500, what)
    t.match(response.json(), { code: 'FST_JWT_AUTH_CONFIG', message }, what)
  }
})

t.test('a store that fails, hangs or answers nonsense: 500, and no pair', async t => {
  const memory = createMemoryDenylist()
  const stores: Array<[string, Partial<DenylistStore>]> = [
    ['rejects', { useRefreshToken: async () => { throw new Error('down') } }],
    ['throws', { useRefreshToken: () => { throw new Error('down') } }],
    ['hangs', { useRefreshToken: () => new Promise(() => {}) }],
    ['answers nothing', { useRefreshToken: async () => undefined as never }],
    ['answers an unknown outcome', { useRefreshToken: async () => ({ outcome: 'maybe' }) as never }],
    ['rotates without a jti', { useRefreshToken: async () => ({ outcome: 'rotated' }) as never }]
  ]
  for (const [what, methods] of stores) {
    const store = { ...memory, ...methods } as DenylistStore
    const app = await sessionApp(t, { denylistStore: store, denylistTimeout: 1 })
    const response = await refresh(app, app.authJwt.createRefreshToken({ subject: 'j' }))
    t.equal(response.statusCode, 500, what)
    t.equal(response.json().code, 'FST_JWT_AUTH_DENYLIST_FAILED', what)
    t.notMatch(response.body, /accessToken|refreshToken/, `${what}: no token in the answer`)
  }
})

t.test('a refresh token without jti never reaches a rotation; one without exp starts a family kept for ever', async t => {
  const { store, rotations } = recordingStore()
  const checked = await sessionApp(t, { denylistStore: store, accessTokenExpires: false })
  const { createSigner } = await import('fast-jwt')
  const sign = createSigner({ key: 'a-test-secret-that-is-long-enough-for-hs256!' })
  const now = Math.floor(Date.now() / 1000)
  const noJti = sign({ sub: 'k', iat: now, type: 'refresh' })
  expectAuthError(t, await refresh(checked, noJti), 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Token is missing the "jti" claim' })
  t.equal(rotations.length, 0)
  const short = checked.authJwt.createRefreshToken({ subject: 'k', expiresTime: 60 })
  const { accessToken } = (await refresh(checked, short)).json() as { accessToken: string }
  t.equal(checked.authJwt.decodeToken(accessToken).exp, checked.authJwt.decodeToken(short).exp,
    'an access token without a lifetime of its own ends with its family')
  const endless = checked.authJwt.createRefreshToken({ subject: 'k', expiresTime: false })
  const response = await refresh(checked, endless)
  t.equal(response.statusCode, 200)
  t.equal(rotations.at(-1)?.expiresAt, null, 'the family is kept for ever')
  // The family has no end to keep: its new token gets the refresh lifetime.
  const next = checked.authJwt.decodeToken(response.json().refreshToken)
  t.equal(next.exp, (next.iat as number) + 2_592_000)
})

t.test('two instances sharing one memory store: rotation on one, reuse detected on the other', async t => {
  const store = createMemoryDenylist()
  const a = await sessionApp(t, { denylistStore: store })
  const b = await sessionApp(t, { denylistStore: store })
  const login = a.authJwt.createRefreshToken({ subject: 'gina' })
  const { accessToken } = (await refresh(a, login)).json() as { accessToken: string }
  fakeClock(t).advance(30_001)
  expectAuthError(t, await refresh(b, login), 'FST_JWT_AUTH_TOKEN_REUSED')
  expectAuthError(t, await a.inject({ url: '/me', headers: bearer(accessToken) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
})

t.test('many refreshes of one token at once: within the grace window all get the one chain; after it none gets a pair', async t => {
  const app = await sessionApp(t)
  const login = app.authJwt.createRefreshToken({ subject: 'hal' })
  const within = await Promise.all(Array.from({ length: 30 }, () => refresh(app, login)))
  t.ok(within.every(response => response.statusCode === 200), 'every tab got a pair')
  t.equal(new Set(within.map(response => app.authJwt.decodeToken(response.json().refreshToken).jti)).size, 1, 'one successor jti')
  fakeClock(t).advance(30_001)
  const after = await Promise.all(Array.from({ length: 30 }, () => refresh(app, login)))
  t.ok(after.every(response => response.statusCode === 401), 'every replay refused')
  t.equal(after.filter(response => response.json().code === 'FST_JWT_AUTH_TOKEN_REUSED').length >= 1, true, 'reuse detected')
  t.notOk(after.some(response => response.body.includes('accessToken')), 'no pair minted')
})

t.test('options that cannot make a token fail before the token is used: the client may retry', async t => {
  const app = await buildApp(t, SESSIONS)
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async (request, reply) => {
    const bad = (request.query as { bad?: string }).bad
    if (bad === 'claims') return request.authJwt.refreshTokens({ userClaims: { sub: 'someone-else' } })
    if (bad === 'reply') return request.authJwt.refreshTokens({ reply })
    return request.authJwt.refreshTokens()
  })
  const login = app.authJwt.createRefreshToken({ subject: 'jay' })
  const post = (query: string) => app.inject({ method: 'POST', url: `/refresh${query}`, headers: bearer(login) })
  t.equal((await post('?bad=claims')).statusCode, 500, 'a reserved user claim')
  t.match((await post('?bad=reply')).json(), { code: 'FST_JWT_AUTH_CONFIG', message: /refreshTokens\(\{ reply \}\) needs "cookies"/ },
    'cookies set where there are none')
  fakeClock(t).advance(60_000)
  t.equal((await post('')).statusCode, 200, 'the token was not used up: it rotates now, long after')
})

t.test('a claim named __proto__ is carried over as a claim', async t => {
  const app = await sessionApp(t)
  const login = app.authJwt.createRefreshToken({ subject: 'kim', userClaims: JSON.parse('{"__proto__": {"admin": true}, "team": 1}') })
  const response = await refresh(app, login)
  t.equal(response.statusCode, 200)
  const claims = app.authJwt.decodeToken(response.json().accessToken)
  t.same(Object.getOwnPropertyDescriptor(claims, '__proto__')?.value, { admin: true })
  t.equal(claims.team, 1)
  t.equal(({} as Record<string, unknown>).admin, undefined, 'nothing polluted')
})

t.test('a logout everywhere landing while the handler awaits: no pair passes', async t => {
  const app = await buildApp(t, SESSIONS)
  let release = (): void => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    await gate // a database read of the user's claims, say
    return request.authJwt.refreshTokens()
  })
  app.get('/me', { preHandler: app.jwtRequired }, async () => 'in')
  const login = app.authJwt.createRefreshToken({ subject: 'lee' })
  const pending = app.inject({ method: 'POST', url: '/refresh', headers: bearer(login) })
  await new Promise(resolve => setTimeout(resolve, 20))
  await app.authJwt.revokeAllTokens('lee')
  release()
  expectAuthError(t, await pending, 'FST_JWT_AUTH_TOKEN_REVOKED')
})

t.test('a pair minted just before a logout everywhere is cut off by it', async t => {
  const { store } = recordingStore()
  const inner = store.useRefreshToken.bind(store)
  const app = await sessionApp(t, { denylistStore: store })
  // The cut-off lands while the store decides.
  store.useRefreshToken = async use => {
    await app.authJwt.revokeAllTokens('max')
    return inner(use)
  }
  const login = app.authJwt.createRefreshToken({ subject: 'max' })
  expectAuthError(t, await refresh(app, login), 'FST_JWT_AUTH_TOKEN_REVOKED')
})

t.test('a family\'s revocation lasts as long as its last access token may', async t => {
  const { store, rotations } = recordingStore()
  const app = await sessionApp(t, { denylistStore: store, accessTokenExpires: 600, decodeLeeway: 5 })
  const login = app.authJwt.createRefreshToken({ subject: 'ned' })
  await refresh(app, login)
  t.equal(rotations[0].expiresAt, (app.authJwt.decodeToken(login).exp as number) + 600 + 5)
  t.equal(rotations[0].subject, 'ned')
})

t.test('refreshReuseGrace is at most five minutes', async t => {
  for (const grace of [301, '10m', '365d']) {
    await expectRegistrationError(t, { secretKey: 'a-test-secret-that-is-long-enough-for-hs256!', refreshReuseGrace: grace },
      'refreshReuseGrace must be a whole number of seconds from 0 to 300, or a duration such as "30s"', String(grace))
  }
})
