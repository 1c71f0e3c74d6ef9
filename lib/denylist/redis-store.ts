import { createDeadlineWatch } from './deadlines'
import { ConfigError, DenylistError } from '../errors'
import { createLookupBatch } from './lookup-batch'
import { assertExpiresAt, assertJti, type DenylistStore } from './store'

/**
 * The few commands the store sends, typed structurally so that an ioredis
 * client (`Redis` or `Cluster`), @fastify/redis's `fastify.redis` or any
 * look-alike fits, and ioredis need not be installed by users who do not use
 * it.
 */
export interface RedisLike {
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number): Promise<unknown>
  mget(keys: string[]): Promise<Array<string | null>>
  /** ioredis sets it on a `Cluster`: keys of one MGET must then share a hash slot. */
  readonly isCluster?: boolean
}

export interface RedisDenylistOptions {
  /** Prepended to each jti to make its key (default `'fastify-jwt-auth:denylist:'`). */
  prefix?: string
  /**
   * A command still pending after this many milliseconds fails with a
   * DenylistError (default 1000), so a request never waits on a dead Redis.
   */
  timeoutMs?: number
}

const DEFAULT_PREFIX = 'fastify-jwt-auth:denylist:'
const DEFAULT_TIMEOUT_MS = 1000
// Keys per MGET: large enough for any turn of a busy server, small enough
// that one command never holds Redis up noticeably.
const MAX_KEYS_PER_LOOKUP = 1000
// setTimeout fires at once for anything longer than this.
const MAX_TIMEOUT_MS = 2 ** 31 - 1
// How much longer than its token a revocation is kept: the other instances'
// clocks may be this far behind the revoking one's and still refuse it.
const CLOCK_SKEW_MARGIN_MS = 60_000
// Beyond this a TTL is no longer an exact integer (and Redis would refuse the
// larger ones): some 285 000 years, which is forever for a token.
const MAX_TTL_MS = Number.MAX_SAFE_INTEGER

/**
 * A denylist shared by every app instance on the same Redis: one key per jti,
 * which Redis expires a minute after its token.
 *
 * By default ioredis queues commands while it is disconnected and retries them,
 * for ever: configure the client to fail fast (`enableOfflineQueue: false`, a
 * small `maxRetriesPerRequest`, or `commandTimeout`). The store does not rely
 * on it: `timeoutMs` bounds every command, so a dead Redis turns into 500s
 * (fail closed), never into hanging requests.
 * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) for a client without set() and mget(), or a bad option.
 * @example
 * const redis = new Redis(process.env.REDIS_URL as string, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * redis.on('error', error => app.log.error(error))
 * await app.register(fastifyJwtAuth, { secretKey, denylistEnabled: true, denylistStore: createRedisDenylist(redis) })
 */
export function createRedisDenylist (client: RedisLike, options: RedisDenylistOptions = {}): DenylistStore {
  if (client === null || typeof client !== 'object' ||
    typeof client.set !== 'function' || typeof client.mget !== 'function') {
    throw new ConfigError('client must be an ioredis-compatible client with set() and mget()')
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string') {
    throw new ConfigError('prefix must be a string')
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new ConfigError(`timeoutMs must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`)
  }

  // One timer for all pending commands (not one per command: this runs on
  // every guarded request), checked a tenth of timeoutMs apart.
  const withDeadline = createDeadlineWatch(Math.min(100, Math.ceil(timeoutMs / 10)))

  // Settles with the command, or with a DenylistError on failure or timeout.
  // Messages name the operation only: the cause (kept for the logs) may carry
  // the key, and so the jti, or the address of the Redis server.
  function run<T> (operation: string, command: () => Promise<T>): Promise<T> {
    const failed = (err: unknown): DenylistError => err instanceof DenylistError
      ? err
      : new DenylistError(`Redis denylist ${operation} failed`, { cause: err })
    let pending: Promise<T>
    try {
      pending = Promise.resolve(command())
    } catch (err) {
      return Promise.reject(failed(err))
    }
    // A fixed text: the 500 reaches clients, and the limit is the server's business.
    const timedOut = () => new DenylistError(`Redis denylist ${operation} timed out`)
    return withDeadline(pending, timeoutMs, timedOut).then(undefined, err => { throw failed(err) })
  }

  // The lookups of one event-loop turn share one MGET (see lookup-batch.ts),
  // except on a Cluster: the keys of one command must share a hash slot, and
  // jtis spread over all of them, so there each key has a command of its own.
  // A Cluster client that does not say so (a wrapper without `isCluster`)
  // gives itself away by its first CROSSSLOT error (from Redis, or from
  // ioredis itself when it auto-pipelines); that batch is then retried key by
  // key, and fails as a whole if any of its keys fails.
  let keysPerCommand = client.isCluster === true ? 1 : MAX_KEYS_PER_LOOKUP

  function mget (jtis: string[]): Promise<boolean[]> {
    return run('lookup', () => client.mget(jtis.map(jti => prefix + jti)))
      .then(replies => parseReplies(replies, jtis.length))
  }

  function lookUpMany (jtis: string[]): Promise<boolean[]> {
    return mget(jtis).catch((error: unknown) => {
      if (jtis.length === 1 || !isCrossSlot(error)) throw error
      keysPerCommand = 1
      return Promise.all(jtis.map(jti => mget([jti]).then(([revoked]) => revoked)))
    })
  }

  const lookUp = createLookupBatch(lookUpMany, () => keysPerCommand)

  return {
    async add (jti: string, expiresAt: number | null): Promise<void> {
      assertJti(jti)
      assertExpiresAt(expiresAt)
      const key = prefix + jti
      // PX with the time left on this machine's clock, rather than PXAT: the
      // entry then lives as long as this process accepts the token, whatever
      // the skew between its clock and the Redis server's; plus a margin for
      // the other instances, whose clocks may run behind this one's. Keeping
      // a revocation a little longer costs nothing.
      const ttl = expiresAt === null ? Infinity : Math.ceil(expiresAt * 1000 - Date.now()) + CLOCK_SKEW_MARGIN_MS
      // Expired over a minute ago: refused by every instance's verification already.
      if (ttl <= 0) return
      if (ttl > MAX_TTL_MS) {
        // null, or too far off for an exact TTL: forever. A plain SET also
        // clears any expiry the key had, so forever wins.
        stored(await run('add', () => client.set(key, '1')))
        return
      }
      // Redis keeps the last write. The plugin always revokes a jti with its
      // own token's exp, so repeated revocations of one token agree.
      stored(await run('add', () => client.set(key, '1', 'PX', ttl)))
    },

    has (jti: string): Promise<boolean> {
      try {
        assertJti(jti)
      } catch (error) {
        return Promise.reject(error)
      }
      return lookUp(jti)
    }
  }
}

function unexpectedReply (): DenylistError {
  return new DenylistError('Redis denylist lookup failed: unexpected reply to MGET')
}

// One value or nil per key. Anything else fails closed, rather than being
// read as "not revoked".
function parseReplies (replies: unknown, count: number): boolean[] {
  if (!Array.isArray(replies) || replies.length !== count) throw unexpectedReply()
  return replies.map(reply => {
    if (reply === null) return false
    // A string from ioredis; bytes from a client set to return buffers.
    if (typeof reply === 'string' || reply instanceof Uint8Array) return true
    throw unexpectedReply()
  })
}

// Redis: "CROSSSLOT Keys in request don't hash to the same slot"; an
// auto-pipelining ioredis Cluster: "All the keys in a pipeline command should
// belong to the same slot".
function isCrossSlot (error: unknown): boolean {
  const cause = (error as { cause?: { message?: unknown } }).cause
  return typeof cause?.message === 'string' && /^CROSSSLOT|belong to the same slot/.test(cause.message)
}

// SET answers OK when it stored the key. Anything else (a connection left in
// MULTI answers QUEUED, a proxy may answer nil) stored nothing: a revocation
// reported as done would be a logout that changes nothing.
function stored (reply: unknown): void {
  if (reply !== 'OK') throw new DenylistError('Redis denylist add was not stored')
}
