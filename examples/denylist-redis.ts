// Revoking tokens with a denylist in Redis: every instance of the app that
// uses the same Redis (and prefix) refuses a token as soon as one of them has
// revoked it, and Redis forgets each entry when its token expires.
// The routes are those of examples/denylist.ts.
//
//   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/denylist-redis.ts
//   POST   /login          {"username":"test","password":"test"} → access + refresh token
//   DELETE /access-revoke  Authorization: Bearer <access_token>
//   DELETE /refresh-revoke Authorization: Bearer <refresh_token>
//   POST   /logout         Authorization: Bearer <access_token>, body {"refresh_token":"…"}
//
// While Redis is unreachable, guarded routes answer 500
// (FST_JWT_AUTH_DENYLIST_FAILED) at once: nobody gets in unchecked and no
// request waits. They work again as soon as the client has reconnected.
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import fastifyJwtAuth, { createRedisDenylist, type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { denylistRoutes } from './denylist'
import { runExample } from './run'

export interface RedisExampleOptions {
  /** Default: REDIS_URL, else redis://127.0.0.1:6379. */
  url?: string
  /** Key prefix; instances sharing one denylist use the same one. */
  prefix?: string
}

export async function build (
  options: FastifyJwtAuthOptions = {},
  redisOptions: RedisExampleOptions = {}
): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })

  const redis = new Redis(redisOptions.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    // Fail fast while Redis is away instead of queueing commands until it is
    // back: the denylist then answers 500 at once (fail closed).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000
    // The default retryStrategy keeps reconnecting in the background, so
    // requests succeed again as soon as Redis is back, without a restart.
    // No enableAutoPipelining: the store already sends the lookups of one
    // event-loop turn as one command (on a Cluster, turn it on).
  })
  // ioredis emits an error for every failed reconnection; without a listener
  // each would be an unhandled 'error' event.
  redis.on('error', error => { app.log.warn({ err: error }, 'Redis connection error') })
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    throw new Error('Cannot connect to Redis: is it running, and is REDIS_URL right?', { cause: error })
  }
  app.addHook('onClose', async () => {
    // QUIT lets pending commands finish; when Redis is away, just drop the
    // connection (which also stops the reconnection attempts).
    await redis.quit().catch(() => { redis.disconnect() })
  })

  try {
    await app.register(fastifyJwtAuth, {
      ...devSecret(app.log),
      denylistEnabled: true,
      denylistStore: createRedisDenylist(redis, { prefix: redisOptions.prefix ?? 'example:denylist:' }),
      ...options
    })
  } catch (error) {
    redis.disconnect()
    throw error
  }
  denylistRoutes(app)
  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
