import { createDeadlineWatch } from './deadlines'
import { ConfigError, DenylistError } from '../errors'
import { createLookupBatch } from './lookup-batch'
import { REVOKE_SUBJECT_SCRIPT, USE_REFRESH_TOKEN_SCRIPT } from './redis-scripts'
import {
  assertRevokeSubjectArguments,
  assertExpiresAt,
  assertJti,
  assertRefreshTokenUse,
  assertTokenIdentity,
  type DenylistStore,
  type RefreshTokenUse,
  type RefreshTokenUseResult,
  type TokenIdentity
} from './store'

/**
 * The few commands the store sends, typed structurally so that an ioredis
 * client (`Redis` or `Cluster`), @fastify/redis's `fastify.redis` or any
 * look-alike fits, and ioredis need not be installed by users who do not use
 * it: `set` revokes a jti, `mget` looks keys up, and `eval` runs the Lua
 * scripts of refresh-token rotation and subject cut-offs (plain EVAL, so a
 * wrapper need not know about script caching).
 */
export interface RedisLike {
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number): Promise<unknown>
  mget(keys: string[]): Promise<Array<string | null>>
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  /** ioredis sets it on a `Cluster`: keys of one MGET must then share a hash slot. */
  readonly isCluster?: boolean
}

export interface RedisDenylistOptions {
  /**
   * Starts every key of the store (default `'fastify-jwt-auth:denylist:'`).
   * A `{` in it must be closed in it, around at least one character, so that
   * a family's keys keep sharing a Cluster hash slot.
   */
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
// A cut-off as revokeSubject writes it.
const CUTOFF = /^-?[0-9]+$/

/**
 * A denylist shared by every app instance on the same Redis. Under `prefix`:
 * `jti:<jti>` per revoked token, `fam:{<family>}` per revoked family,
 * `rot:{<family>}` for a family's rotation state, and `sub:s:<subject>` or
 * `sub:n:<subject>` (a string or a number `sub`) for a subject's cut-off.
 * Redis expires each a minute after the last token it covers.
 *
 * `has` reads the token's jti, family and subject keys in one round trip,
 * shared with the other lookups of the same event-loop turn (one MGET).
 * `useRefreshToken` and `revokeSubject` are each one Lua script, atomic
 * across instances; rotation reads Redis's clock, never the instances'.
 *
 * By default ioredis queues commands while it is disconnected and retries them,
 * for ever: configure the client to fail fast (`enableOfflineQueue: false`, a
 * small `maxRetriesPerRequest`, or `commandTimeout`). The store does not rely
 * on it: `timeoutMs` bounds every command, so a dead Redis turns into 500s
 * (fail closed), never into hanging requests.
 * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) for a client without set(), mget() and eval(), or a bad option.
 * @example
 * const redis = new Redis(process.env.REDIS_URL as string, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * redis.on('error', error => app.log.error(error))
 * await app.register(fastifyJwtAuth, { secretKey, denylistEnabled: true, denylistStore: createRedisDenylist(redis) })
 */
export function createRedisDenylist (client: RedisLike, options: RedisDenylistOptions = {}): DenylistStore {
  if (client === null || typeof client !== 'object' || typeof client.set !== 'function' ||
    typeof client.mget !== 'function' || typeof client.eval !== 'function') {
    throw new ConfigError('client must be an ioredis-compatible client with set(), mget() and eval()')
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string') {
    throw new ConfigError('prefix must be a string')
  }
  if (!closesHashTag(prefix)) {
    throw new ConfigError('prefix must close each hash tag it opens ({…}) around at least one character')
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new ConfigError(`timeoutMs must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`)
  }

  // Each kind of key has a namespace of its own, so that no jti, family or
  // subject an issuer chooses can name another kind's key. A family's two
  // keys share its hash tag, so that one script may use both on a Cluster.
  const jtiKey = (jti: string): string => `${prefix}jti:${jti}`
  const familyKey = (family: string): string => `${prefix}fam:{${family}}`
  const rotationKey = (family: string): string => `${prefix}rot:{${family}}`
  // '1' and 1 are different subjects.
  const subjectKey = (subject: string | number): string =>
    typeof subject === 'string' ? `${prefix}sub:s:${subject}` : `${prefix}sub:n:${subject}`

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
  // keys spread over all of them, so there each key has a command of its own.
  // A Cluster client that does not say so (a wrapper without `isCluster`)
  // gives itself away by its first CROSSSLOT error (from Redis, or from
  // ioredis itself when it auto-pipelines); that batch is then retried key by
  // key, and fails as a whole if any of its keys fails.
  let keysPerCommand = client.isCluster === true ? 1 : MAX_KEYS_PER_LOOKUP

  function mget (keys: string[]): Promise<Array<string | null>> {
    return run('lookup', () => client.mget(keys)).then(replies => parseReplies(replies, keys.length))
  }

  function lookUpMany (keys: string[]): Promise<Array<string | null>> {
    return mget(keys).catch((error: unknown) => {
      if (keys.length === 1 || !isCrossSlot(error)) throw error
      keysPerCommand = 1
      return Promise.all(keys.map(key => mget([key]).then(([value]) => value)))
    })
  }

  const lookUp = createLookupBatch(lookUpMany, () => keysPerCommand)

  return {
    async add (jti: string, expiresAt: number | null, token?: TokenIdentity): Promise<void> {
      assertJti(jti)
      assertExpiresAt(expiresAt)
      if (token !== undefined) assertTokenIdentity(token)
      const key = jtiKey(jti)
      const ttl = timeToLive(expiresAt)
      // Expired over a minute ago: refused by every instance's verification already.
      if (ttl <= 0) return
      if (ttl === Infinity) {
        // A plain SET also clears any expiry the key had, so forever wins.
        stored(await run('add', () => client.set(key, '1')), 'add')
        return
      }
      // Redis keeps the last write. The plugin always revokes a jti with its
      // own token's exp, so repeated revocations of one token agree.
      stored(await run('add', () => client.set(key, '1', 'PX', ttl)), 'add')
    },

    has (jti: string, token?: TokenIdentity): Promise<boolean> {
      try {
        assertJti(jti)
        if (token !== undefined) assertTokenIdentity(token)
      } catch (error) {
        return Promise.reject(error)
      }
      if (token === undefined) return lookUp(jtiKey(jti)).then(value => value !== null)
      // Asked together, in this turn: the keys go out in the same MGET.
      const { family, issuedAtMs } = token
      return Promise.all([
        lookUp(jtiKey(jti)),
        family === undefined ? null : lookUp(familyKey(family)),
        lookUp(subjectKey(token.subject))
      ]).then(([revoked, familyRevoked, cutoff]) => revoked !== null || familyRevoked !== null ||
        // Without issuedAtMs the token counts as issued before any cut-off.
        (cutoff !== null && (issuedAtMs === undefined || issuedAtMs < parseCutoff(cutoff))))
    },

    async useRefreshToken (use: RefreshTokenUse): Promise<RefreshTokenUseResult> {
      assertRefreshTokenUse(use)
      const { family, jti, successorJti, graceMs, expiresAt } = use
      // At least 1 ms: PX takes no less, and a family whose tokens have all
      // expired is refused by verification anyway.
      const ttl = ttlArgument(Math.max(1, timeToLive(expiresAt)))
      const reply = await run('useRefreshToken', () => client.eval(USE_REFRESH_TOKEN_SCRIPT, 2,
        familyKey(family), rotationKey(family), jti, successorJti, String(graceMs), ttl))
      return parseUse(reply, successorJti)
    },

    async revokeSubject (subject: string | number, issuedBeforeMs: number, expiresAt: number | null): Promise<void> {
      assertRevokeSubjectArguments(subject, issuedBeforeMs, expiresAt)
      const ttl = timeToLive(expiresAt)
      // Every token it would cover expired over a minute ago.
      if (ttl <= 0) return
      stored(await run('revokeSubject', () => client.eval(REVOKE_SUBJECT_SCRIPT, 1,
        subjectKey(subject), String(issuedBeforeMs), ttlArgument(ttl))), 'revokeSubject')
    }
  }
}

// The time left on this machine's clock until `expiresAt`, rather than an
// absolute expiry (PXAT): the entry then lives as long as this process
// accepts the token, whatever the skew between its clock and the Redis
// server's; plus a margin for the other instances, whose clocks may run
// behind this one's. Keeping a revocation a little longer costs nothing.
// Infinity for null, or too far off for an exact TTL: forever.
function timeToLive (expiresAt: number | null): number {
  if (expiresAt === null) return Infinity
  const ttl = Math.ceil(expiresAt * 1000 - Date.now()) + CLOCK_SKEW_MARGIN_MS
  return ttl > MAX_TTL_MS ? Infinity : ttl
}

// How the scripts take a TTL: '' for no expiry.
function ttlArgument (ttl: number): string {
  return ttl === Infinity ? '' : String(ttl)
}

// On a Cluster a family's two keys must share a hash slot: their hash tag is
// {family}, unless the prefix opens one first, which must then close it
// around something, or Redis would hash a different tag, or the whole key.
function closesHashTag (prefix: string): boolean {
  const open = prefix.indexOf('{')
  return open === -1 || prefix.indexOf('}', open + 1) > open + 1
}

const decoder = new TextDecoder()

// A string from ioredis; bytes from a client set to return buffers.
function text (reply: unknown): string | undefined {
  if (typeof reply === 'string') return reply
  if (reply instanceof Uint8Array) return decoder.decode(reply)
  return undefined
}

function unexpectedReply (): DenylistError {
  return new DenylistError('Redis denylist lookup failed: unexpected reply to MGET')
}

// One value or nil per key. Anything else fails closed, rather than being
// read as "not revoked".
function parseReplies (replies: unknown, count: number): Array<string | null> {
  if (!Array.isArray(replies) || replies.length !== count) throw unexpectedReply()
  return replies.map(reply => {
    if (reply === null) return null
    const value = text(reply)
    if (value === undefined) throw unexpectedReply()
    return value
  })
}

// A subject's cut-off, as revokeSubject writes it; anything else fails closed.
function parseCutoff (value: string): number {
  const cutoff = Number(value)
  if (!CUTOFF.test(value) || !Number.isSafeInteger(cutoff)) {
    throw new DenylistError('Redis denylist lookup failed: a subject cut-off is not a number')
  }
  return cutoff
}

// The script's reply, exactly: a rotation must hand back the successor it was
// given, a grace answer a successor. Anything else fails closed.
function parseUse (reply: unknown, successorJti: string): RefreshTokenUseResult {
  if (Array.isArray(reply)) {
    const outcome = text(reply[0])
    if (reply.length === 1 && (outcome === 'reused' || outcome === 'revoked')) return { outcome }
    const successor = text(reply[1])
    if (reply.length === 2 && successor !== undefined) {
      if (outcome === 'rotated' && successor === successorJti) return { outcome, successorJti }
      if (outcome === 'grace' && successor !== '') return { outcome, successorJti: successor }
    }
  }
  throw new DenylistError('Redis denylist useRefreshToken failed: unexpected reply to EVAL')
}

// Redis: "CROSSSLOT Keys in request don't hash to the same slot"; an
// auto-pipelining ioredis Cluster: "All the keys in a pipeline command should
// belong to the same slot".
function isCrossSlot (error: unknown): boolean {
  const cause = (error as { cause?: { message?: unknown } }).cause
  return typeof cause?.message === 'string' && /^CROSSSLOT|belong to the same slot/.test(cause.message)
}

// SET (and revokeSubject's script) answers OK when it stored the key.
// Anything else (a connection left in MULTI answers QUEUED, a proxy may
// answer nil) stored nothing: a revocation reported as done would be a logout
// that changes nothing.
function stored (reply: unknown, operation: string): void {
  if (reply !== 'OK') throw new DenylistError(`Redis denylist ${operation} was not stored`)
}
