// lib/instance-api.ts: fastify.authJwt: decodeToken, getJti,
// getUnverifiedJwtHeaders, revokeToken. Revocation through the guards, with
// every store and token type: e2e/revocation.test.ts.
import t from 'tap'
import {
  type AuthJwtClaims,
  ConfigError,
  createMemoryDenylist,
  DenylistError,
  type DenylistStore,
  JWTDecodeError
} from '../index'
import { bearer, buildApp as build, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { corruptSignature, forge, raw } from './helpers/forge'
import { recordingStore, storeWith } from './helpers/recording-store'

const INVALID = { name: 'JWTDecodeError', code: 'FST_JWT_AUTH_TOKEN_INVALID', statusCode: 401 }

/** A store whose add fails with `error`; its lookups find nothing. */
function storeFailingWith (error: unknown): DenylistStore {
  return storeWith({
    async add () { throw error },
    async has () { return false }
  })
}

t.test('fastify.authJwt has exactly the documented methods', async (t) => {
  const app = await build(t)
  t.ok(app.hasDecorator('authJwt'), 'the instance is decorated')
  t.same(Object.keys(app.authJwt).sort(), [
    'createAccessToken', 'createRefreshToken', 'decodeToken', 'getJti', 'getUnverifiedJwtHeaders', 'jwks',
    'revokeAllTokens', 'revokeToken', 'setKeys'
  ], 'no more, no less')
})

t.test('decodeToken', async (t) => {
  const app = await build(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin' } })
  t.match(app.authJwt.decodeToken(token), { sub: 'alice', type: 'access', role: 'admin' }, 'the claims of a valid token')
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  t.equal(app.authJwt.decodeToken(refresh).type, 'refresh', 'verifies but does not check the type')
  t.throws(() => app.authJwt.decodeToken(corruptSignature(token)), INVALID, 'a bad signature is invalid')
  t.throws(() => app.authJwt.decodeToken(42 as unknown as string), { ...INVALID, message: 'Malformed token' },
    'a number is a malformed token')
  t.throws(() => app.authJwt.decodeToken(undefined as unknown as string), INVALID, 'undefined is invalid')
  const expired = forge({ payload: { sub: 'a', exp: Math.floor(Date.now() / 1000) - 10 }, secret: SECRET })
  t.throws(() => app.authJwt.decodeToken(expired), { code: 'FST_JWT_AUTH_TOKEN_EXPIRED', statusCode: 401 },
    'an expired token has its own code')
})

t.test('decodeToken does not consult the denylist', async (t) => {
  const { store } = recordingStore()
  const app = await build(t, { denylistEnabled: true, denylistStore: store })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  await app.authJwt.revokeToken(token)
  t.equal(app.authJwt.decodeToken(token).sub, 'alice', 'a revoked token still decodes')
})

t.test('getJti', async (t) => {
  const app = await build(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const jti = app.authJwt.getJti(token)
  t.type(jti, 'string', 'a string')
  t.equal(jti, app.authJwt.decodeToken(token).jti, "the token's jti")
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  t.equal(app.authJwt.getJti(refresh), app.authJwt.decodeToken(refresh).jti, 'refresh tokens too')
  t.not(app.authJwt.getJti(refresh), jti, 'each token its own')
  t.equal(app.authJwt.getJti(forge({ payload: { sub: 'a' }, secret: SECRET })), null, 'null for a token without jti')
  t.throws(() => app.authJwt.getJti(corruptSignature(token)), INVALID, 'it verifies the token')
  t.throws(() => app.authJwt.getJti(forge({ payload: { sub: 'a', jti: 'j' } })), INVALID, 'unsigned')
  t.throws(() => app.authJwt.getJti(forge({ payload: { sub: 'a', jti: 5 }, secret: SECRET })), INVALID,
    'a jti that is not a string')
  t.throws(() => app.authJwt.getJti('garbage'), INVALID, 'garbage')
})

t.test('getUnverifiedJwtHeaders', async (t) => {
  const app = await build(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice', headers: { kid: 'k1' } })
  t.same(app.authJwt.getUnverifiedJwtHeaders(token), { alg: 'HS256', typ: 'JWT', kid: 'k1' }, 'the header, as written')
  t.same(app.authJwt.getUnverifiedJwtHeaders(corruptSignature(token)), { alg: 'HS256', typ: 'JWT', kid: 'k1' },
    'nothing is verified: a bad signature is fine')
  const stranger = forge({ header: { alg: 'RS512', kid: 'other' }, payload: { exp: 1 }, signature: 'abc' })
  t.same(app.authJwt.getUnverifiedJwtHeaders(stranger), { alg: 'RS512', kid: 'other' }, 'nor the algorithm or claims')

  const garbage: unknown[] = [
    '', 'garbage', 'a.b', 'a.b.c', '...', `${token}.x`,
    forge({ header: raw('not json'), payload: { sub: 'a' } }),
    forge({ header: ['alg'], payload: { sub: 'a' } }),
    forge({ header: { alg: 'HS256' }, payload: raw('not json') }),
    `${'a'.repeat(16 * 1024 + 1)}.${'b'.repeat(10)}.${'c'.repeat(10)}`,
    forge({ header: { alg: 'HS256', kid: 'k'.repeat(17 * 1024) }, payload: { sub: 'a' } }),
    undefined, null, 42, {}
  ]
  for (const value of garbage) {
    let caught: unknown
    try {
      app.authJwt.getUnverifiedJwtHeaders(value as string)
    } catch (error) {
      caught = error
    }
    const label = typeof value === 'string' ? `${value.slice(0, 30)} (${value.length} chars)` : String(value)
    t.ok(caught instanceof JWTDecodeError, `${label}: a JWTDecodeError`)
    t.match(caught, INVALID, `${label}: invalid`)
    if (typeof value === 'string' && value !== '') {
      t.notOk((caught as Error).message.includes(value), `${label}: the message does not contain the token`)
    }
  }
})

t.test('revokeToken', async (t) => {
  t.test('needs denylistEnabled', async (t) => {
    const { store, added } = recordingStore()
    const app = await build(t, { denylistStore: store })
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    await t.rejects(app.authJwt.revokeToken(token), ConfigError, 'an encoded token: a ConfigError')
    await t.rejects(app.authJwt.revokeToken(app.authJwt.decodeToken(token)), {
      code: 'FST_JWT_AUTH_CONFIG',
      message: /denylistEnabled/
    }, 'claims: a ConfigError naming denylistEnabled')
    t.same(added, [], 'nothing was added')
  })

  t.test('adds the jti until exp', async (t) => {
    const { store, added } = recordingStore()
    const app = await build(t, { denylistEnabled: true, denylistStore: store })
    const access = app.authJwt.createAccessToken({ subject: 'a' })
    const claims = app.authJwt.decodeToken(access)
    t.equal(await app.authJwt.revokeToken(access), undefined, 'an encoded token')
    const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a' }))
    await app.authJwt.revokeToken(refresh)
    const forever = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a', expiresTime: false }))
    await app.authJwt.revokeToken(forever)
    t.same(added, [
      [claims.jti, claims.exp],
      [refresh.jti, refresh.exp],
      [forever.jti, null]
    ], 'null for a token that never expires')
    t.type(claims.exp, 'number', 'the access token had an exp to keep it until')
  })

  t.test('with a leeway, until the verifier stops accepting the token', async (t) => {
    const { store, added } = recordingStore()
    const app = await build(t, { denylistEnabled: true, denylistStore: store, decodeLeeway: 30 })
    const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' }))
    await app.authJwt.revokeToken(claims)
    t.same(added, [[claims.jti, (claims.exp as number) + 30]], 'exp plus the leeway')
  })

  t.test('with the default in-memory store, the guard then refuses the token', async (t) => {
    const app = await build(t, { denylistEnabled: true })
    app.get('/me', { preHandler: app.jwtRequired }, async (request) => ({ sub: request.authJwt.getJwtSubject() }))
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    t.equal((await app.inject({ url: '/me', headers: bearer(token) })).statusCode, 200, 'let through before')
    await app.authJwt.revokeToken(token)
    const revoked = await app.inject({ url: '/me', headers: bearer(token) })
    expectAuthError(t, revoked, 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'refused once revoked' })
  })

  t.test('claims without a jti are a TypeError', async (t) => {
    const { store, added } = recordingStore()
    const app = await build(t, { denylistEnabled: true, denylistStore: store })
    const bad: unknown[] = [
      { sub: 'a' },
      { sub: 'a', jti: '' },
      { sub: 'a', jti: 5 },
      { sub: 'a', jti: null },
      null,
      undefined,
      42
    ]
    for (const claims of bad) {
      await t.rejects(app.authJwt.revokeToken(claims as AuthJwtClaims), TypeError, JSON.stringify(claims) ?? 'undefined')
    }
    const noJti = forge({ payload: { sub: 'a' }, secret: SECRET })
    await t.rejects(app.authJwt.revokeToken(noJti), TypeError, 'an encoded token without jti')
    t.same(added, [], 'nothing was added')
  })

  t.test('an invalid encoded token is refused before the store is called', async (t) => {
    const { store, added } = recordingStore()
    const app = await build(t, { denylistEnabled: true, denylistStore: store })
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    await t.rejects(app.authJwt.revokeToken(corruptSignature(token)), INVALID, 'a bad signature')
    await t.rejects(app.authJwt.revokeToken('garbage'), INVALID, 'garbage')
    t.same(added, [], 'nothing was added')
  })

  t.test('a store that throws a plain Error: DenylistError with the cause', async (t) => {
    const failure = new Error('ECONNREFUSED 10.0.0.1:6379')
    const app = await build(t, { denylistEnabled: true, denylistStore: storeFailingWith(failure) })
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    let caught: unknown
    try {
      await app.authJwt.revokeToken(token)
    } catch (error) {
      caught = error
    }
    t.ok(caught instanceof DenylistError, 'a DenylistError')
    t.match(caught, { code: 'FST_JWT_AUTH_DENYLIST_FAILED', statusCode: 500 }, 'a 500 FST_JWT_AUTH_DENYLIST_FAILED')
    t.equal((caught as Error).cause, failure, 'the original error is the cause')
    t.notOk((caught as Error).message.includes('ECONNREFUSED'), 'the cause stays out of the message')
    t.notOk((caught as Error).message.includes(token), 'the token stays out of the message')
  })

  t.test('a store that throws synchronously, or rejects with a non-Error', async (t) => {
    const throwing: DenylistStore = storeWith({
      add () { throw new RangeError('sync') },
      async has () { return false }
    })
    const app = await build(t, { denylistEnabled: true, denylistStore: throwing })
    await t.rejects(app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'a' })), DenylistError,
      'a synchronous throw is a DenylistError too')

    const rejecting: DenylistStore = storeWith({
      add: () => Promise.reject('a string'), // eslint-disable-line prefer-promise-reject-errors
      async has () { return false }
    })
    const other = await build(t, { denylistEnabled: true, denylistStore: rejecting })
    const error = await other.authJwt.revokeToken(other.authJwt.createAccessToken({ subject: 'a' })).catch(e => e)
    t.ok(error instanceof DenylistError, 'a rejection with a string is a DenylistError')
    t.equal(error.cause, 'a string', 'with the string as its cause')
  })

  t.test('a store that throws a DenylistError: that same error', async (t) => {
    const failure = new DenylistError('The denylist is full')
    const app = await build(t, { denylistEnabled: true, denylistStore: storeFailingWith(failure) })
    const error = await app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'a' })).catch(e => e)
    t.equal(error, failure, 'passed on as it is')
  })

  t.test('a store that never answers fails the revocation after denylistTimeout, never hangs it', async (t) => {
    const hanging: DenylistStore = storeWith({ add: () => new Promise(() => {}), has: async () => false })
    const app = await build(t, { denylistEnabled: true, denylistStore: hanging, denylistTimeout: 1 })
    const started = Date.now()
    await t.rejects(app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'a' })), {
      code: 'FST_JWT_AUTH_DENYLIST_FAILED',
      statusCode: 500,
      message: 'The denylist store did not answer in time'
    }, 'a DenylistError that says so, without the limit')
    t.ok(Date.now() - started < 5000, 'in bounded time')
  })

  t.test('a full memory store fails the revocation instead of forgetting it', async (t) => {
    const app = await build(t, { denylistEnabled: true, denylistStore: createMemoryDenylist({ maxEntries: 1 }) })
    await app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'a' }))
    await t.rejects(app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'b' })), {
      code: 'FST_JWT_AUTH_DENYLIST_FAILED',
      statusCode: 500
    }, 'a 500 FST_JWT_AUTH_DENYLIST_FAILED')
  })
})
