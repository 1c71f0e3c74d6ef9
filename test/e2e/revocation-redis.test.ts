// Revocation through the plugin with the Redis store, against a real Redis
// (REDIS_URL, default redis://127.0.0.1:6379): app instances sharing one
// denylist, concurrent requests, and Redis going away and coming back.
// Skipped when Redis does not answer, unless REQUIRE_REDIS=1, which turns
// that into a failure. The store's own behaviour (keys, expiry, batching,
// timeouts, Cluster) is in test/denylist/redis-store.test.ts.
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyRedis from '@fastify/redis'
import fastifyJwtAuth, { createRedisDenylist, DenylistError, type FastifyJwtAuthOptions, type RedisLike } from '../../index'
import { connectedRedis, FAIL_FAST, realRedis, REDIS_URL, redisClient, redisRelay, unusedRedisUrl } from '../helpers/redis'

const SECRET = 'a-redis-denylist-test-secret-long-enough'
const REVOKED = {
  statusCode: 401,
  code: 'FST_JWT_AUTH_TOKEN_REVOKED',
  error: 'Unauthorized',
  message: 'Token has been revoked'
}

interface LogLine { level: number, err?: { code?: string } }

async function buildApp (t: Test, store: FastifyJwtAuthOptions['denylistStore'], logs: LogLine[] = []): Promise<FastifyInstance> {
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      callback()
    }
  })
  // Logs go to `logs` only.
  const app = Fastify({ logger: { level: 'warn', stream } })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, denylistEnabled: true, denylistStore: store })
  app.get('/required', { preHandler: app.jwtRequired }, async request => ({ user: request.authJwt.getJwtSubject() }))
  app.get('/optional', { preHandler: app.jwtOptional }, async request => ({ user: request.authJwt.getJwtSubject() }))
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async () => ({ ok: true }))
  app.get('/open', async () => ({ open: true }))
  app.delete('/access-revoke', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeToken()
    return { revoked: true }
  })
  app.delete('/refresh-revoke', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    await request.authJwt.revokeToken()
    return { revoked: true }
  })
  t.teardown(() => app.close())
  return app
}

function bearer (token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

t.test('the plugin with a real Redis', async t => {
  const redis = await realRedis(t, 'Redis tests')
  if (redis === null) return
  const { prefix } = redis

  t.test('two app instances on one Redis: revoked on one, refused by the other at once', async t => {
    const one = await buildApp(t, createRedisDenylist(await connectedRedis(t), { prefix }))
    const two = await buildApp(t, createRedisDenylist(await connectedRedis(t), { prefix }))
    const access = one.authJwt.createAccessToken({ subject: 'alice' })
    const sibling = one.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = two.authJwt.createRefreshToken({ subject: 'alice' })
    for (const [name, app] of [['one', one], ['two', two]] as const) {
      t.equal((await app.inject({ url: '/required', headers: bearer(access) })).statusCode, 200,
        `instance ${name}: the access token passes before the revocation`)
      t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).statusCode, 200,
        `instance ${name}: the refresh token passes before the revocation`)
    }

    t.equal((await one.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })).statusCode, 200,
      'the access token revokes itself on instance one')
    for (const [name, app] of [['other instance', two], ['same instance', one]] as const) {
      for (const url of ['/required', '/optional']) {
        const response = await app.inject({ url, headers: bearer(access) })
        t.same(response.json(), REVOKED, `${name} ${url}: refused as revoked`)
        t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"', `${name} ${url}: invalid_token challenge`)
      }
      t.equal((await app.inject({ url: '/required', headers: bearer(sibling) })).statusCode, 200,
        `${name}: another token of the same user passes`)
    }

    t.equal((await two.inject({ method: 'DELETE', url: '/refresh-revoke', headers: bearer(refresh) })).statusCode, 200,
      'the refresh token revokes itself on instance two')
    t.same((await one.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json(), REVOKED,
      'a refresh token revoked on one instance is refused by the other')

    await two.authJwt.revokeToken(sibling)
    t.same((await one.inject({ url: '/required', headers: bearer(sibling) })).json(), REVOKED,
      'app.authJwt.revokeToken on one instance, refused by the other')

    const elsewhere = await buildApp(t, createRedisDenylist(await connectedRedis(t), { prefix: `${prefix}other:` }))
    t.equal((await elsewhere.inject({ url: '/required', headers: bearer(access) })).statusCode, 200,
      'an instance on another prefix has another denylist')
  })

  t.test('concurrent requests, each answered for its own token', async t => {
    const redis = await connectedRedis(t)
    // Records how many keys each lookup carried, so that the test shows the
    // answers of a shared command reaching the right requests.
    const keysPerLookup: number[] = []
    const spy: RedisLike = {
      set: redis.set.bind(redis) as RedisLike['set'],
      eval: redis.eval.bind(redis) as RedisLike['eval'],
      mget: keys => {
        keysPerLookup.push(keys.length)
        return redis.mget(keys)
      }
    }
    const app = await buildApp(t, createRedisDenylist(spy, { prefix }))
    const tokens = Array.from({ length: 60 }, (_, i) => app.authJwt.createAccessToken({ subject: `user-${i}` }))
    const revoked = new Set(tokens.filter((_, i) => i % 4 === 1))
    for (const token of revoked) await app.authJwt.revokeToken(token)
    // The same tokens twice, interleaved: a jti looked up twice in one batch.
    const sent = [...tokens, ...tokens.slice().reverse()]
    const responses = await Promise.all(sent.map(token => app.inject({ url: '/required', headers: bearer(token) })))
    const wrong = responses.filter((response, i) => {
      const token = sent[i]
      const expected = revoked.has(token) ? REVOKED : { user: app.authJwt.decodeToken(token).sub }
      return JSON.stringify(response.json()) !== JSON.stringify(expected)
    })
    t.equal(wrong.length, 0, `each of the ${sent.length} requests got its own token's answer`)
    t.ok(Math.max(...keysPerLookup) > 1, `lookups shared commands (keys per MGET: ${keysPerLookup.join(', ')})`)
  })

  t.test("@fastify/redis's client (ioredis 6) works as the store's client", async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyRedis, { url: REDIS_URL, lazyConnect: false })
    await app.register(fastifyJwtAuth, {
      secretKey: SECRET,
      denylistEnabled: true,
      denylistStore: createRedisDenylist(app.redis, { prefix })
    })
    app.get('/required', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
    const [revoked, valid] = ['alice', 'bob'].map(subject => app.authJwt.createAccessToken({ subject }))
    await app.authJwt.revokeToken(revoked)
    const [refused, passed] = await Promise.all([revoked, valid].map(token => app.inject({ url: '/required', headers: bearer(token) })))
    t.same(refused.json(), REVOKED, 'the revoked token is refused')
    t.same(passed.json(), { ok: true }, 'the other passes')

    // The same denylist seen through this project's own ioredis 5 client.
    const other = await buildApp(t, createRedisDenylist(await connectedRedis(t), { prefix }))
    t.same((await other.inject({ url: '/required', headers: bearer(revoked) })).json(), REVOKED,
      'an instance with another client library sees the revocation')
  })

  t.test('an unreachable Redis fails closed with 500, at once', async t => {
    const logs: LogLine[] = []
    const url = await unusedRedisUrl()
    const app = await buildApp(t, createRedisDenylist(redisClient(t, FAIL_FAST, url), { prefix }), logs)
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

    for (const request of [
      { url: '/required', headers: bearer(access) },
      { url: '/optional', headers: bearer(access) },
      { method: 'POST' as const, url: '/refresh', headers: bearer(refresh) },
      { method: 'DELETE' as const, url: '/access-revoke', headers: bearer(access) }
    ]) {
      const response = await app.inject(request)
      t.equal(response.statusCode, 500, `${request.url}: 500`)
      // "failed" rather than "timed out": answered by the client's own error,
      // without waiting for a timeout.
      t.same(response.json(), {
        statusCode: 500,
        code: 'FST_JWT_AUTH_DENYLIST_FAILED',
        error: 'Internal Server Error',
        message: 'Redis denylist lookup failed'
      }, `${request.url}: the denylist failure, not a timeout`)
      t.notOk(response.body.includes(access) || response.body.includes(refresh), `${request.url}: no token in the answer`)
      t.notOk(response.body.includes(new URL(url).port), `${request.url}: nor the address of Redis`)
    }
    t.equal(logs.filter(line => line.level >= 50 && line.err?.code === 'FST_JWT_AUTH_DENYLIST_FAILED').length, 4,
      'each failure is logged as an error')
    await t.rejects(app.authJwt.revokeToken(access), { constructor: DenylistError, message: 'Redis denylist add failed' },
      'app.authJwt.revokeToken fails closed')

    t.same((await app.inject({ url: '/open' })).json(), { open: true }, 'unguarded routes do not need Redis')
    t.same((await app.inject({ url: '/optional' })).json(), { user: null }, 'nor does jwtOptional without a token')
  })

  t.test('after a disconnect, the same app recovers when the client reconnects', async t => {
    const redis = await connectedRedis(t)
    const app = await buildApp(t, createRedisDenylist(redis, { prefix }))
    const revoked = app.authJwt.createAccessToken({ subject: 'alice' })
    const valid = app.authJwt.createAccessToken({ subject: 'alice' })
    const later = app.authJwt.createAccessToken({ subject: 'alice' })
    await app.authJwt.revokeToken(revoked)

    redis.disconnect()
    if (redis.status !== 'end') await once(redis, 'end')
    for (const [name, token] of [['the revoked token', revoked], ['a valid token', valid]]) {
      t.equal((await app.inject({ url: '/required', headers: bearer(token) })).json().code, 'FST_JWT_AUTH_DENYLIST_FAILED',
        `${name} fails closed while disconnected`)
    }
    await t.rejects(app.authJwt.revokeToken(later), DenylistError, 'a revocation fails closed while disconnected')

    await redis.connect()
    t.same((await app.inject({ url: '/required', headers: bearer(revoked) })).json(), REVOKED, 'the revocation survived')
    t.same((await app.inject({ url: '/required', headers: bearer(valid) })).json(), { user: 'alice' },
      'a valid token passes again')
    t.equal((await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(later) })).statusCode, 200,
      'revoking works again')
    t.same((await app.inject({ url: '/required', headers: bearer(later) })).json(), REVOKED, 'and that revocation holds')
  })

  t.test('a Redis outage and its end, with the client reconnecting by itself', {
    skip: new URL(REDIS_URL).protocol === 'redis:' ? false : 'the relay speaks plain TCP; REDIS_URL does not use redis:'
  }, async t => {
    const relay = redisRelay(t)
    await relay.start()
    // Retries every 20 ms, so that it is back as soon as the relay is.
    const redis = await connectedRedis(t, { ...FAIL_FAST, retryStrategy: () => 20 }, relay.url)
    const app = await buildApp(t, createRedisDenylist(redis, { prefix }))
    const revoked = app.authJwt.createAccessToken({ subject: 'alice' })
    const valid = app.authJwt.createAccessToken({ subject: 'alice' })
    await app.authJwt.revokeToken(revoked)

    await relay.stop()
    if (redis.status === 'ready') await once(redis, 'close')
    t.equal((await app.inject({ url: '/required', headers: bearer(valid) })).statusCode, 500,
      'a valid token fails closed during the outage')
    t.equal((await app.inject({ url: '/required', headers: bearer(revoked) })).statusCode, 500, 'so does the revoked one')

    await relay.start()
    if (redis.status !== 'ready') await once(redis, 'ready')
    t.same((await app.inject({ url: '/required', headers: bearer(valid) })).json(), { user: 'alice' },
      'works again without rebuilding the app')
    t.same((await app.inject({ url: '/required', headers: bearer(revoked) })).json(), REVOKED, 'and the revocation held')
  })
})
