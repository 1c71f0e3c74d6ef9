// The real Redis the Redis tests talk to (REDIS_URL, default
// redis://127.0.0.1:6379). Without one they skip with the reason, unless
// REQUIRE_REDIS=1 (as in CI), which turns that into a failure.
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

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
export async function deleteKeys (client: Redis, prefix: string): Promise<void> {
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
