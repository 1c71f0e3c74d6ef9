// The real Redis the Redis tests talk to (REDIS_URL, default
// redis://127.0.0.1:6379), and the clients they use. Without one they skip
// with the reason, unless REQUIRE_REDIS=1 (as in CI), which turns that into a
// failure.
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'
import type { Test } from 'tap'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * How an application should configure its client for the denylist: a command
 * fails at once while the client is disconnected, instead of waiting in the
 * offline queue until Redis is back.
 */
export const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 }

/** Why Redis cannot be used, or null when it answers. */
async function unreachable (): Promise<string | null> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2000 })
  // connect() only says "Connection is closed"; the 'error' event says why.
  let cause: Error | undefined
  probe.on('error', (err: Error) => { cause = err })
  try {
    await probe.connect()
    await probe.ping()
    return null
  } catch (err) {
    return `Redis unreachable at ${REDIS_URL}: ${(cause ?? err as Error).message}`
  } finally {
    probe.disconnect()
  }
}

/** Removes every key under `prefix`. */
async function deleteKeys (client: Redis, prefix: string): Promise<void> {
  const stream = client.scanStream({ match: `${prefix}*`, count: 100 })
  const keys: string[] = []
  stream.on('data', (batch: string[]) => { keys.push(...batch) })
  await once(stream, 'end')
  if (keys.length > 0) await client.del(...keys)
}

/**
 * A connected admin client and a key prefix unique to this run (so parallel
 * runs and leftovers never collide), both cleaned up when `t` ends; null when
 * the test was skipped (or failed, under REQUIRE_REDIS=1) for want of Redis.
 */
export async function realRedis (t: Test, what: string): Promise<{ admin: Redis, prefix: string } | null> {
  const reason = await unreachable()
  if (reason !== null) {
    if (process.env.REQUIRE_REDIS === '1') {
      t.fail(`${reason} (REQUIRE_REDIS=1)`)
    } else {
      t.comment(reason)
      t.skip(`${what}: ${reason}`, () => {})
    }
    return null
  }
  const prefix = `fastify-jwt-auth-test:${randomUUID()}:`
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await admin.connect()
  t.teardown(async () => {
    await deleteKeys(admin, prefix)
    await admin.quit()
  })
  return { admin, prefix }
}

/**
 * A client of `url` with `options` (by default FAIL_FAST), not connected
 * yet, disconnected when `t` ends. Its connection errors reach the tests
 * through the commands' rejections.
 */
export function redisClient (t: Test, options: RedisOptions = FAIL_FAST, url: string = REDIS_URL): Redis {
  const redis = new Redis(url, { lazyConnect: true, ...options })
  redis.on('error', () => {})
  t.teardown(() => { redis.disconnect() })
  return redis
}

/** The same, connected. */
export async function connectedRedis (t: Test, options: RedisOptions = FAIL_FAST, url: string = REDIS_URL): Promise<Redis> {
  const redis = redisClient(t, options, url)
  await redis.connect()
  return redis
}

/** The address of a Redis that is not there: a port bound, then released. */
export async function unusedRedisUrl (): Promise<string> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return `redis://127.0.0.1:${port}`
}

export interface RedisRelay {
  /** The relay's own address, to give the client instead of REDIS_URL's. */
  readonly url: string
  /** Starts relaying, on the same port each time. */
  start: () => Promise<void>
  /** Cuts every connection and stops listening: Redis is gone, as the client sees it. */
  stop: () => Promise<void>
}

/**
 * A TCP relay to the real Redis that a test can cut and restore: an outage
 * of Redis as its client sees it, without touching the server. Plain TCP, so
 * only for a `redis:` REDIS_URL. Stopped when `t` ends.
 */
export function redisRelay (t: Test): RedisRelay {
  const target = new URL(REDIS_URL)
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let port = 0

  async function stop (): Promise<void> {
    if (server === undefined) return
    const closing = once(server, 'close')
    server.close()
    for (const socket of sockets) socket.destroy()
    await closing
    server = undefined
  }
  t.teardown(stop)

  return {
    get url () {
      const url = new URL(REDIS_URL)
      url.hostname = '127.0.0.1'
      url.port = String(port)
      return url.toString()
    },
    async start () {
      server = createServer(incoming => {
        const outgoing = tcpConnect(Number(target.port || 6379), target.hostname)
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
    stop
  }
}
