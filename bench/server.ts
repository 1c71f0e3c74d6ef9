// One benchmark server: `node --import tsx bench/server.ts <variant>`.
// Serves GET /hello (the measured route, a small JSON object) behind the
// variant's authentication, plus a few /__bench/* routes the runner uses for
// checks and statistics, which are never measured. Prints one JSON line,
// `{"port":…}`, once it listens on 127.0.0.1.
import { createHash } from 'node:crypto'
import Fastify, { type FastifyInstance, type RouteShorthandOptions } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import { Redis } from 'ioredis'

// The plugin as users run it: compiled by tsc (`npm run bench` builds it
// first), not transpiled on the fly by tsx, whose helpers (`__name` around
// every function it names) would cost time on the measured path that the
// published package does not pay.
const { default: fastifyJwtAuth, createRedisDenylist } = require('../dist/index.js') as typeof import('../index')

export const VARIANTS = ['bare', 'guard', 'fastify-jwt', 'guard-memory-denylist', 'guard-redis-denylist'] as const
export type Variant = typeof VARIANTS[number]

/** The measured route. */
export const ROUTE = '/hello'
export const RESPONSE = { hello: 'world' }

// Tokens the denylist variants revoke before the run, so that the store the
// guard looks into is not empty.
const REVOKED_TOKENS = 100
// A few milliseconds of hashing.
const CANARY_INPUT = Buffer.alloc(64 * 1024, 1)

function isVariant (value: string | undefined): value is Variant {
  return (VARIANTS as readonly string[]).includes(value as string)
}

async function build (variant: Variant, secret: string): Promise<{ app: FastifyInstance, close: () => Promise<void> }> {
  const app = Fastify({ logger: false })
  let redis: Redis | undefined
  let options: RouteShorthandOptions = {}

  switch (variant) {
    case 'bare':
      break
    case 'fastify-jwt':
      await app.register(fastifyJwt, { secret })
      options = {
        preHandler: async (request) => {
          await request.jwtVerify()
        }
      }
      break
    case 'guard':
      await app.register(fastifyJwtAuth, { secretKey: secret })
      options = { preHandler: app.jwtRequired }
      break
    case 'guard-memory-denylist':
      await app.register(fastifyJwtAuth, { secretKey: secret, denylistEnabled: true })
      options = { preHandler: app.jwtRequired }
      break
    case 'guard-redis-denylist':
      // The store already sends the lookups of one event-loop turn as one
      // MGET; ioredis's auto-pipelining (BENCH_REDIS_AUTO_PIPELINING=1) would
      // only add a turn of delay before that command is written.
      redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
        enableAutoPipelining: process.env.BENCH_REDIS_AUTO_PIPELINING === '1'
      })
      await redis.ping()
      await app.register(fastifyJwtAuth, { secretKey: secret, denylistEnabled: true, denylistStore: createRedisDenylist(redis) })
      options = { preHandler: app.jwtRequired }
      break
  }

  app.get(ROUTE, options, async () => RESPONSE)

  // The process's CPU time so far, in microseconds: the runner reads it
  // before and after a run to tell a saturated server from a slow client.
  app.get('/__bench/cpu', async () => {
    const { user, system } = process.cpuUsage()
    return { micros: user + system }
  })

  // A fixed piece of work, timed: the runner compares its duration before and
  // after each run with the best seen, to notice a host that slows this CPU
  // down without it showing in the machine's own statistics (a virtual machine
  // whose CPU is descheduled by its host).
  // Native work (SHA-256 in OpenSSL), so that its speed does not depend on
  // what the JIT made of it.
  app.get('/__bench/canary', async () => {
    const started = process.hrtime.bigint()
    const hash = createHash('sha256')
    for (let i = 0; i < 32; i++) hash.update(CANARY_INPUT)
    const digest = hash.digest('hex')
    return { micros: Number(process.hrtime.bigint() - started) / 1000, digest }
  })

  let revoked: string | null = null
  if (variant === 'guard-memory-denylist' || variant === 'guard-redis-denylist') {
    for (let i = 0; i < REVOKED_TOKENS; i++) {
      const token = app.authJwt.createAccessToken({ subject: `revoked-${i}`, expiresTime: 3600 })
      await app.authJwt.revokeToken(token)
      revoked = token
    }
  }
  // One revoked token, so that the runner can check the denylist is really consulted.
  app.get('/__bench/revoked', async () => ({ token: revoked }))

  return {
    app,
    close: async () => {
      await app.close()
      redis?.disconnect()
    }
  }
}

async function main (): Promise<void> {
  const variant = process.argv[2]
  const secret = process.env.BENCH_SECRET
  if (!isVariant(variant)) throw new Error(`Usage: bench/server.ts <${VARIANTS.join('|')}>`)
  if (secret === undefined || secret === '') throw new Error('BENCH_SECRET is not set')

  const { app, close } = await build(variant, secret)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('The server has no TCP address')
  process.stdout.write(JSON.stringify({ port: address.port }) + '\n')

  // Exit normally on SIGTERM/SIGINT, so that `--cpu-prof` gets to write its profile.
  const stop = (): void => {
    close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench server: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  })
}
