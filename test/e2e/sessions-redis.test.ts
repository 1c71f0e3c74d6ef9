// Sessions across app instances sharing one real Redis (REDIS_URL, default
// redis://127.0.0.1:6379): rotation on one instance and reuse detected on
// the other, concurrent refreshes of one token, log out everywhere, and a
// Redis outage during rotation. Skipped without Redis, unless REQUIRE_REDIS=1.
// The same scenarios on the memory store: test/sessions/*.test.ts.
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, { createRedisDenylist, type FastifyJwtAuthOptions } from '../../index'
import { bearer } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { connectedRedis, FAIL_FAST, realRedis, redisRelay } from '../helpers/redis'

const SECRET = 'a-sessions-redis-test-secret-long-enough!'

interface Instances {
  a: FastifyInstance
  b: FastifyInstance
  prefix: string
}

async function instance (t: Test, store: FastifyJwtAuthOptions['denylistStore'], options: FastifyJwtAuthOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyJwtAuth, { secretKey: SECRET, denylistEnabled: true, denylistStore: store, ...options })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens())
  app.get('/me', { preHandler: app.jwtRequired }, async request => ({ sub: request.authJwt.getJwtSubject() }))
  app.post('/everywhere', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeAllTokens()
    return 'ok'
  })
  return app
}

/** Two app instances, each with its own client, on one Redis; null when Redis is missing (skipped). */
async function twoInstances (t: Test, options: FastifyJwtAuthOptions = {}): Promise<Instances | null> {
  const redis = await realRedis(t, 'sessions on Redis')
  if (redis === null) return null
  const { prefix } = redis
  const a = await instance(t, createRedisDenylist(await connectedRedis(t), { prefix }), options)
  const b = await instance(t, createRedisDenylist(await connectedRedis(t), { prefix }), options)
  return { a, b, prefix }
}

const refresh = (app: FastifyInstance, token: string) => app.inject({ method: 'POST', url: '/refresh', headers: bearer(token) })
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

t.test('rotation on one instance, reuse detected on the other', async t => {
  const pair = await twoInstances(t, { refreshReuseGrace: 1 })
  if (pair === null) return
  const { a, b } = pair
  const login = a.authJwt.createRefreshToken({ subject: 'alice' })
  const rotated = await refresh(a, login)
  t.equal(rotated.statusCode, 200)
  const { accessToken, refreshToken } = rotated.json() as { accessToken: string, refreshToken: string }
  t.equal((await b.inject({ url: '/me', headers: bearer(accessToken) })).statusCode, 200, 'the new access token works on b')
  await sleep(1100)
  expectAuthError(t, await refresh(b, login), 'FST_JWT_AUTH_TOKEN_REUSED', { what: 'the old refresh token on b' })
  expectAuthError(t, await a.inject({ url: '/me', headers: bearer(accessToken) }), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'the family\'s access token on a' })
  expectAuthError(t, await refresh(a, refreshToken), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'the family\'s refresh token on a' })
})

t.test('many refreshes of one token at once, on both instances: one chain, nobody logged out', async t => {
  const pair = await twoInstances(t)
  if (pair === null) return
  const { a, b } = pair
  const login = a.authJwt.createRefreshToken({ subject: 'bob' })
  const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => refresh(i % 2 === 0 ? a : b, login)))
  t.same(responses.map(response => response.statusCode), responses.map(() => 200), 'every tab got a pair')
  const jtis = new Set(responses.map(response => a.authJwt.decodeToken(response.json().refreshToken).jti))
  t.equal(jtis.size, 1, 'every new refresh token carries the one successor jti')
})

t.test('many refreshes of a used token after the grace window: none gets a pair, the family ends', async t => {
  const pair = await twoInstances(t, { refreshReuseGrace: 1 })
  if (pair === null) return
  const { a, b } = pair
  const login = a.authJwt.createRefreshToken({ subject: 'carol' })
  const { accessToken } = (await refresh(a, login)).json() as { accessToken: string }
  await sleep(1100)
  const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => refresh(i % 2 === 0 ? a : b, login)))
  t.ok(responses.every(response => response.statusCode === 401), 'every replay refused')
  t.ok(responses.some(response => response.json().code === 'FST_JWT_AUTH_TOKEN_REUSED'), 'reuse detected')
  t.notOk(responses.some(response => response.body.includes('accessToken')), 'no pair minted')
  expectAuthError(t, await b.inject({ url: '/me', headers: bearer(accessToken) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
})

t.test('log out everywhere on one instance is refused on the other; a new login passes', async t => {
  const pair = await twoInstances(t)
  if (pair === null) return
  const { a, b } = pair
  const phone = b.authJwt.createAccessToken({ subject: 'dave' })
  const laptop = a.authJwt.createAccessToken({ subject: 'dave' })
  const refreshToken = b.authJwt.createRefreshToken({ subject: 'dave' })
  await sleep(2)
  t.equal((await a.inject({ method: 'POST', url: '/everywhere', headers: bearer(laptop) })).statusCode, 200)
  expectAuthError(t, await b.inject({ url: '/me', headers: bearer(phone) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
  expectAuthError(t, await refresh(b, refreshToken), 'FST_JWT_AUTH_TOKEN_REVOKED')
  const again = b.authJwt.createAccessToken({ subject: 'dave' })
  t.equal((await b.inject({ url: '/me', headers: bearer(again) })).statusCode, 200, 'issued after the call')
  t.equal((await a.inject({ url: '/me', headers: bearer(a.authJwt.createAccessToken({ subject: 'erin' })) })).statusCode, 200,
    'another user')
})

t.test('Redis down during a rotation: 500, no pair, and the token still rotates once Redis is back', async t => {
  const redis = await realRedis(t, 'sessions with Redis going away')
  if (redis === null) return
  const relay = redisRelay(t)
  await relay.start()
  const client = await connectedRedis(t, { ...FAIL_FAST, retryStrategy: () => 50 }, relay.url)
  const app = await instance(t, createRedisDenylist(client, { prefix: redis.prefix, timeoutMs: 300 }), {})
  const login = app.authJwt.createRefreshToken({ subject: 'frank' })
  await relay.stop()
  const down = await refresh(app, login)
  t.equal(down.statusCode, 500)
  t.equal(down.json().code, 'FST_JWT_AUTH_DENYLIST_FAILED')
  t.notMatch(down.body, /accessToken/, 'no pair')
  await relay.start()
  let back
  for (let attempt = 0; attempt < 50; attempt++) {
    back = await refresh(app, login)
    if (back.statusCode === 200) break
    await sleep(100)
  }
  t.equal(back?.statusCode, 200, 'nothing was lost or half-written: the token rotates once')
})
