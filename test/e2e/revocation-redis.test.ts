// Revocation through the plugin with the Redis store, against a real Redis
// (REDIS_URL, default redis://127.0.0.1:6379). Skipped when Redis does not
// answer, unless REQUIRE_REDIS=1, which turns that into a failure.
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyRedis from '@fastify/redis'
import { Redis, type RedisOptions } from 'ioredis'
import fastifyJwtAuth, { createRedisDenylist, DenylistError, type FastifyJwtAuthOptions, type RedisLike } from '../index'
import { realRedis, REDIS_URL } from './helpers/redis'

const SECRET = 'a-redis-denylist-test-secret-long-enough'
const REVOKED = {
  statusCode: 401,
  code: 'FST_JWT_AUTH_TOKEN_REVOKED',
  error: 'Unauthorized',
  message: 'Token has been revoked'
}

// A client that fails fast while disconnected, as an application should
// configure it. Not connected yet: without an offline queue, the first command
// would fail instead of waiting for the connection.
function client (t: Test, options: RedisOptions = {}, url = REDIS_URL): Redis {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, ...options })
  redis.on('error', () => {}) // reported through the commands' rejections
  t.teardown(() => { redis.disconnect() })
  return redis
}

async function connected (t: Test, options: RedisOptions = {}, url = REDIS_URL): Promise<Redis> {
  const redis = client(t, options, url)
  await redis.connect()
  return redis
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

// A port nothing listens on: bound, then released.
async function closedPort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

// A TCP relay to Redis that this test can cut and restore: an outage of
// "Redis" as the client sees it, without touching the real server.
function relay (target: { host: string, port: number }) {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let port = 0
  return {
    get port () { return port },
    async start (): Promise<void> {
      server = createServer(incoming => {
        const outgoing = tcpConnect(target.port, target.host)
        for (const socket of [incoming, outgoing]) {
          sockets.add(socket)
          socket.on('close', () => sockets.delete(socket))
          socket.on('error', () => {})
        }
        incoming.pipe(outgoing).pipe(incoming)
        incoming.on('close', () => outgoing.destroy())
        outgoing.on('close', () => incoming.destroy())
      })
      server.listen(port, '127.0.0.1')
      await once(server, 'listening')
      port = (server.address() as AddressInfo).port
    },
    async stop (): Promise<void> {
      if (server === undefined) return
      const closing = once(server, 'close')
      server.close()
      for (const socket of sockets) socket.destroy()
      await closing
      server = undefined
    }
  }
}

t.test('the plugin with a real Redis', async t => {
  const redis = await realRedis(t, 'Redis tests')
  if (redis === null) return
  const { admin, prefix } = redis

  t.test('two app instances on one Redis: revoked on one, refused by the other at once', async t => {
    const one = await buildApp(t, createRedisDenylist(await connected(t), { prefix }))
    const two = await buildApp(t, createRedisDenylist(await connected(t), { prefix }))
    const access = one.authJwt.createAccessToken({ subject: 'alice' })
    const sibling = one.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = two.authJwt.createRefreshToken({ subject: 'alice' })
    for (const app of [one, two]) {
      t.equal((await app.inject({ url: '/required', headers: bearer(access) })).statusCode, 200)
      t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).statusCode, 200)
    }

    t.equal((await one.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })).statusCode, 200)
    for (const [name, app] of [['other instance', two], ['same instance', one]] as const) {
      for (const url of ['/required', '/optional']) {
        const response = await app.inject({ url, headers: bearer(access) })
        t.same(response.json(), REVOKED, `${name} ${url}`)
        t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"')
      }
      t.equal((await app.inject({ url: '/required', headers: bearer(sibling) })).statusCode, 200,
        `${name}: another token of the same user passes`)
    }

    t.equal((await two.inject({ method: 'DELETE', url: '/refresh-revoke', headers: bearer(refresh) })).statusCode, 200)
    t.same((await one.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json(), REVOKED,
      'a refresh token revoked on one instance is refused by the other')

    await two.authJwt.revokeToken(sibling)
    t.same((await one.inject({ url: '/required', headers: bearer(sibling) })).json(), REVOKED,
      'app.authJwt.revokeToken on one instance, refused by the other')

    const elsewhere = await buildApp(t, createRedisDenylist(await connected(t), { prefix: `${prefix}other:` }))
    t.equal((await elsewhere.inject({ url: '/required', headers: bearer(access) })).statusCode, 200,
      'an instance on another prefix has another denylist')
  })

  t.test('concurrent requests, each answered for its own token', async t => {
    const redis = await connected(t)
    // Records how many keys each lookup carried, so that the test shows the
    // answers of a shared command reaching the right requests.
    const keysPerLookup: number[] = []
    const spy: RedisLike = {
      set: redis.set.bind(redis) as RedisLike['set'],
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
    responses.forEach((response, i) => {
      const token = sent[i]
      if (revoked.has(token)) t.same(response.json(), REVOKED)
      else t.same(response.json(), { user: app.authJwt.decodeToken(token).sub })
    })
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
    t.same(refused.json(), REVOKED)
    t.same(passed.json(), { ok: true })

    // The same denylist seen through this project's own ioredis 5 client.
    const other = await buildApp(t, createRedisDenylist(await connected(t), { prefix }))
    t.same((await other.inject({ url: '/required', headers: bearer(revoked) })).json(), REVOKED)
  })

  t.test('the key lives as long as the token', async t => {
    const app = await buildApp(t, createRedisDenylist(await connected(t), { prefix }))
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
    for (const token of [access, refresh]) {
      await app.authJwt.revokeToken(token)
      const { jti, exp } = app.authJwt.decodeToken(token)
      const pttl = await admin.pttl(`${prefix}${jti as string}`)
      const left = (exp as number) * 1000 - Date.now()
      t.ok(Math.abs(pttl - left) < 1000, `PTTL ${pttl} ms is within a second of the ${Math.round(left)} ms left`)
    }

    const eternal = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: false })
    await app.authJwt.revokeToken(eternal)
    t.equal(await admin.pttl(`${prefix}${app.authJwt.getJti(eternal) as string}`), -1,
      'a token without exp is revoked for ever')

    const brief = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: 1 })
    const { jti, exp } = app.authJwt.decodeToken(brief)
    await app.authJwt.revokeToken(brief)
    t.same((await app.inject({ url: '/required', headers: bearer(brief) })).json(), REVOKED)
    await new Promise(resolve => setTimeout(resolve, Math.max(0, (exp as number) * 1000 - Date.now()) + 50))
    t.equal(await admin.exists(`${prefix}${jti as string}`), 0, 'Redis dropped the key when the token expired')
    t.equal((await app.inject({ url: '/required', headers: bearer(brief) })).json().code, 'FST_JWT_AUTH_TOKEN_EXPIRED')
  })

  t.test('an unreachable Redis fails closed with 500, at once', async t => {
    const logs: LogLine[] = []
    const port = await closedPort()
    const app = await buildApp(t, createRedisDenylist(client(t, {}, `redis://127.0.0.1:${port}`), { prefix }), logs)
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

    for (const request of [
      { url: '/required', headers: bearer(access) },
      { url: '/optional', headers: bearer(access) },
      { method: 'POST' as const, url: '/refresh', headers: bearer(refresh) },
      { method: 'DELETE' as const, url: '/access-revoke', headers: bearer(access) }
    ]) {
      const started = Date.now()
      const response = await app.inject(request)
      t.ok(Date.now() - started < 2000, `${request.url}: answered without waiting`)
      t.equal(response.statusCode, 500, request.url)
      t.equal(response.json().code, 'FST_JWT_AUTH_DENYLIST_FAILED')
      t.notOk(response.body.includes(access) || response.body.includes(refresh), 'no token in the answer')
      t.notOk(response.body.includes(String(port)), 'nor the address of Redis')
    }
    t.equal(logs.filter(line => line.level >= 50 && line.err?.code === 'FST_JWT_AUTH_DENYLIST_FAILED').length, 4,
      'each failure is logged as an error')
    await t.rejects(app.authJwt.revokeToken(access), DenylistError)

    t.same((await app.inject({ url: '/open' })).json(), { open: true }, 'unguarded routes do not need Redis')
    t.same((await app.inject({ url: '/optional' })).json(), { user: null }, 'nor does jwtOptional without a token')
  })

  t.test('after a disconnect, the same app recovers when the client reconnects', async t => {
    const redis = await connected(t)
    const app = await buildApp(t, createRedisDenylist(redis, { prefix }))
    const revoked = app.authJwt.createAccessToken({ subject: 'alice' })
    const valid = app.authJwt.createAccessToken({ subject: 'alice' })
    const later = app.authJwt.createAccessToken({ subject: 'alice' })
    await app.authJwt.revokeToken(revoked)

    redis.disconnect()
    if (redis.status !== 'end') await once(redis, 'end')
    for (const token of [revoked, valid]) {
      t.equal((await app.inject({ url: '/required', headers: bearer(token) })).json().code, 'FST_JWT_AUTH_DENYLIST_FAILED',
        'fails closed while disconnected')
    }
    t.equal((await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(later) })).statusCode, 500)

    await redis.connect()
    t.same((await app.inject({ url: '/required', headers: bearer(revoked) })).json(), REVOKED, 'the revocation survived')
    t.same((await app.inject({ url: '/required', headers: bearer(valid) })).json(), { user: 'alice' })
    t.equal((await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(later) })).statusCode, 200)
    t.same((await app.inject({ url: '/required', headers: bearer(later) })).json(), REVOKED)
  })

  const target = new URL(REDIS_URL)
  t.test('a Redis outage and its end, with the client reconnecting by itself', {
    skip: target.protocol === 'redis:' ? false : `the relay speaks plain TCP; REDIS_URL uses ${target.protocol}`
  }, async t => {
    const cut = relay({ host: target.hostname, port: Number(target.port || 6379) })
    await cut.start()
    t.teardown(() => cut.stop())
    const through = new URL(REDIS_URL)
    through.hostname = '127.0.0.1'
    through.port = String(cut.port)
    // Retries every 20 ms, so that it is back as soon as the relay is.
    const redis = await connected(t, { retryStrategy: () => 20 }, through.toString())
    const app = await buildApp(t, createRedisDenylist(redis, { prefix }))
    const revoked = app.authJwt.createAccessToken({ subject: 'alice' })
    const valid = app.authJwt.createAccessToken({ subject: 'alice' })
    await app.authJwt.revokeToken(revoked)

    await cut.stop()
    if (redis.status === 'ready') await once(redis, 'close')
    t.equal((await app.inject({ url: '/required', headers: bearer(valid) })).statusCode, 500, 'fails closed during the outage')
    t.equal((await app.inject({ url: '/required', headers: bearer(revoked) })).statusCode, 500)

    await cut.start()
    if (redis.status !== 'ready') await once(redis, 'ready')
    t.same((await app.inject({ url: '/required', headers: bearer(valid) })).json(), { user: 'alice' },
      'works again without rebuilding the app')
    t.same((await app.inject({ url: '/required', headers: bearer(revoked) })).json(), REVOKED)
  })
})
