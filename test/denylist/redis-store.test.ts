// The Redis store on its own: its keys, the commands it sends, how it
// batches lookups, fails closed and times out, first with a fake client,
// then against a real Redis and a real Redis Cluster. Refresh-token rotation
// is in redis-rotation.test.ts, subject cut-offs in redis-cutoffs.test.ts;
// the plugin with this store, across app instances and through outages, is
// in test/e2e/revocation-redis.test.ts.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { ConfigError, DenylistError } from '../../lib/errors'
import { createRedisDenylist, type RedisLike } from '../../lib/denylist/redis-store'
import type { DenylistStore } from '../../lib/denylist/store'
import { connectedRedis, FAIL_FAST, realRedis, redisClient, unusedRedisUrl } from '../helpers/redis'
import { clusterClient, realRedisCluster } from '../helpers/redis-cluster'
import { fakeClient, fromSet, fromValues, nowSeconds } from './fake-redis'

const IDENTITY = { subject: 'secret-subject', issuedAtMs: Date.now(), family: 'secret-family' }
const USE = { subject: 'user', issuedAtMs: Date.now(), family: 'secret-family', jti: 'secret-jti', successorJti: 'next-jti', graceMs: 1000, expiresAt: nowSeconds() + 60 }

// Each operation of `store`, named as its errors name it.
function operations (store: DenylistStore): Array<readonly [string, () => Promise<unknown>]> {
  return [
    ['add', () => store.add('secret-jti', nowSeconds() + 60)],
    ['lookup', () => store.has('secret-jti', IDENTITY)],
    ['useRefreshToken', () => store.useRefreshToken(USE)],
    ['revokeSubject', () => store.revokeSubject('secret-subject', Date.now(), nowSeconds() + 60)]
  ]
}

// Every operation of `store` must fail with the store's DenylistError for
// the operation ("failed", so not a timeout), keeping `cause`.
async function assertAllFail (t: Test, store: DenylistStore, cause: unknown): Promise<void> {
  for (const [operation, call] of operations(store)) {
    const err = await (call() as Promise<unknown>).then(() => null, (e: unknown) => e)
    t.ok(err instanceof DenylistError, `${operation}: DenylistError`)
    t.match(err, {
      code: 'FST_JWT_AUTH_DENYLIST_FAILED',
      statusCode: 500,
      message: `Redis denylist ${operation} failed`,
      cause
    }, `${operation}: the fixed message naming the operation, the cause kept`)
    t.notMatch((err as Error).message, /secret/, `${operation}: the message names no jti, family or subject`)
  }
}

t.test('with a fake client', async (t) => {
  t.test('a SET that did not answer OK stored nothing: the revocation fails', async (t) => {
    // A connection left in MULTI answers QUEUED; a proxy may answer nil.
    for (const reply of ['QUEUED', null, 1, 'ok']) {
      const { client } = fakeClient(() => Promise.resolve(reply))
      const store = createRedisDenylist(client)
      await t.rejects(store.add('abc', nowSeconds() + 60), { constructor: DenylistError, message: 'Redis denylist add was not stored' },
        `SET answering ${JSON.stringify(reply)}: DenylistError`)
      await t.rejects(store.add('forever', null), { constructor: DenylistError, message: 'Redis denylist add was not stored' },
        `a plain SET answering ${JSON.stringify(reply)}: DenylistError`)
    }
  })

  t.test('add sends SET of the jti key with PX, has sends MGET', async (t) => {
    const { client, calls } = fakeClient(fromSet(['fastify-jwt-auth:denylist:jti:abc']))
    const store = createRedisDenylist(client)
    await store.add('abc', nowSeconds() + 60)
    t.equal(calls.length, 1, 'one command per add')
    const [command, key, value, mode, ttl] = calls[0]
    t.same([command, key, value, mode], ['set', 'fastify-jwt-auth:denylist:jti:abc', '1', 'PX'], 'SET of the jti key with PX')
    t.ok(typeof ttl === 'number' && ttl > 119_000 && ttl <= 120_000,
      `ttl ${String(ttl)} ms is the time left until expiresAt plus a minute for instances whose clocks run behind`)

    await store.add('forever', null)
    t.same(calls[1], ['set', 'fastify-jwt-auth:denylist:jti:forever', '1'], 'null: no expiry')

    await store.add('past', nowSeconds() - 61)
    t.equal(calls.length, 2, 'a token expired over a minute ago sends nothing')
    await store.add('just-expired', nowSeconds() - 5)
    const [, justKey, , , justTtl] = calls[2]
    t.ok(justKey === 'fastify-jwt-auth:denylist:jti:just-expired' && typeof justTtl === 'number' && justTtl > 54_000 && justTtl <= 55_000,
      'a token expired 5 s ago is kept the rest of the minute, for instances whose clocks run behind')
    calls.splice(2, 1)

    await store.add('far', 1e300)
    t.same(calls[2], ['set', 'fastify-jwt-auth:denylist:jti:far', '1'],
      'an expiry too far for an exact TTL counts as forever')
    calls.pop()

    await store.add('with-identity', null, { subject: 'u', issuedAtMs: 1 })
    t.same(calls[2], ['set', 'fastify-jwt-auth:denylist:jti:with-identity', '1'], 'the identity changes nothing to add')
    calls.pop()

    t.equal(await store.has('abc'), true, 'a revoked jti is found')
    t.same(calls[2], ['mget', ['fastify-jwt-auth:denylist:jti:abc']], 'by an MGET of its jti key')
  })

  t.test('has answers false for a nil reply, and the prefix is used', async (t) => {
    const { client, calls } = fakeClient(() => Promise.resolve([null]))
    const store = createRedisDenylist(client, { prefix: 'app1:' })
    t.equal(await store.has('x'), false, 'nil: not revoked')
    t.same(calls, [['mget', ['app1:jti:x']]], 'the key is the prefix, jti: and the jti')
    const bare = createRedisDenylist(client, { prefix: '' })
    await bare.has('y')
    t.same(calls[1], ['mget', ['jti:y']], 'an empty prefix is allowed')
  })

  t.test('has with the token\'s identity looks up its jti, family and subject in one MGET', async (t) => {
    const { client, calls } = fakeClient(fromValues({}))
    const store = createRedisDenylist(client, { prefix: 'p:' })
    t.equal(await store.has('j', { subject: 'u', issuedAtMs: 5, family: 'f' }), false, 'nothing revoked')
    t.same(calls, [['mget', ['p:jti:j', 'p:fam:{f}', 'p:sub:s:u']]],
      'the jti key, the family key (hash-tagged) and the string subject\'s key, together')
    await store.has('j', { subject: 42 })
    t.same(calls[1], ['mget', ['p:jti:j', 'p:sub:n:42']], 'without a family: no family key; a number subject has keys of its own')
    await store.has('j', { subject: '42', issuedAt: 1 })
    t.same(calls[2], ['mget', ['p:jti:j', 'p:sub:s:42']], '\'42\' is not 42')
  })

  t.test('revoked by its jti, or its family, whatever the rest says', async (t) => {
    const store = (values: Record<string, string>) => createRedisDenylist(fakeClient(fromValues(values)).client, { prefix: '' })
    const token = { subject: 'u', issuedAtMs: 100, family: 'f' }
    t.equal(await store({ 'jti:j': '1' }).has('j', token), true, 'the jti key')
    t.equal(await store({ 'fam:{f}': '1' }).has('j', token), true, 'the family key')
    t.equal(await store({ 'fam:{f}': '1' }).has('j', { subject: 'u', issuedAtMs: 100, family: 'g' }), false, 'another family\'s key')
    t.equal(await store({ 'jti:j': '' }).has('j'), true, 'a key holding an empty string still exists')
    t.equal(await store({ 'jti:j': '1', 'sub:s:u': 'garbage' }).has('j', token), true,
      'a revoked jti is refused without reading the cut-off')
  })

  t.test('the lookups of one event-loop turn share one MGET, one key per distinct key', async (t) => {
    const { client, calls } = fakeClient(fromSet(['p:jti:b', 'p:jti:d', 'p:fam:{f2}']))
    const store = createRedisDenylist(client, { prefix: 'p:' })
    const first = ['a', 'b', 'a', 'c'].map(jti => store.has(jti))
    // Still the same turn after a microtask: a guard that awaited something first joins too.
    await Promise.resolve()
    const later = [
      store.has('d'),
      store.has('b'),
      store.has('e', { subject: 'u', family: 'f1', issuedAtMs: 1 }),
      store.has('g', { subject: 'u', family: 'f2', issuedAtMs: 1 })
    ]
    t.same(calls, [], 'nothing is sent before the turn ends')
    t.same(await Promise.all([...first, ...later]), [false, true, false, false, true, true, false, true], 'each gets its own answer')
    t.same(calls, [['mget', ['p:jti:a', 'p:jti:b', 'p:jti:c', 'p:jti:d', 'p:jti:e', 'p:fam:{f1}', 'p:sub:s:u', 'p:jti:g', 'p:fam:{f2}']]],
      'one MGET, each key once (the shared subject too), in the order asked')

    t.equal(await store.has('a'), false, 'the next turn is answered')
    t.same(calls[1], ['mget', ['p:jti:a']], 'the next turn sends its own command')
  })

  t.test('a lookup never takes the answer of a command sent before it: a revocation in between is seen', async (t) => {
    // Like Redis: the reply reflects the keys when the command is sent, and
    // arrives when the test releases it.
    const revoked = new Set<string>()
    const held: Array<() => void> = []
    const { client, calls } = fakeClient((_command, args) => {
      const reply = (args[0] as string[]).map(key => revoked.has(key) ? '1' : null)
      return new Promise(resolve => { held.push(() => resolve(reply)) })
    })
    const store = createRedisDenylist(client, { prefix: 'p:' })
    const token = { subject: 'u', family: 'f' }
    const before = store.has('a', token)
    await new Promise(resolve => setImmediate(resolve))
    t.equal(calls.length, 1, 'the first lookup is in flight')

    revoked.add('p:fam:{f}') // the family revoked by another instance, before the next request arrives
    const after = store.has('a', token)
    await new Promise(resolve => setImmediate(resolve))
    t.equal(calls.length, 2, 'the second lookup of the same keys is sent again')
    for (const release of held) release()
    t.equal(await before, false, 'the first request arrived before the revocation')
    t.equal(await after, true, 'the second arrived after it, and is refused')
  })

  t.test('a batch larger than 1000 keys goes out in several MGETs; a failure fails its own keys only', async (t) => {
    const revoked = ['jti:k1', 'jti:k1500', 'jti:k2499']
    let sent = 0
    const { client, calls } = fakeClient((command, args) => {
      sent++
      return sent === 2 ? Promise.reject(new Error('second command lost')) : fromSet(revoked)(command, args)
    })
    const store = createRedisDenylist(client, { prefix: '' })
    const jtis = Array.from({ length: 2500 }, (_, i) => `k${i}`)
    const results = await Promise.allSettled(jtis.map(jti => store.has(jti)))
    t.same(calls.map(call => (call[1] as string[]).length), [1000, 1000, 500], 'at most 1000 keys per MGET')
    t.same(calls.flatMap(call => call[1] as string[]), jtis.map(jti => `jti:${jti}`), 'every key once, in order')
    t.same(results.slice(0, 2).map(result => result.status === 'fulfilled' && result.value), [false, true],
      'the first command\'s keys are answered')
    t.ok(results.slice(1000, 2000).every(result => result.status === 'rejected' && result.reason instanceof DenylistError),
      'the keys of the lost command fail closed')
    t.same(results.slice(2498).map(result => result.status === 'fulfilled' && result.value), [false, true],
      'the third command\'s keys are answered')
  })

  t.test('with a Cluster client, one key per MGET, since the keys of one command must share a hash slot', async (t) => {
    const { client, calls } = fakeClient(fromSet(['jti:b', 'fam:{f}']), { isCluster: true })
    const store = createRedisDenylist(client, { prefix: '' })
    t.same(await Promise.all([store.has('a'), store.has('b'), store.has('a'), store.has('c', { subject: 1, family: 'f' })]),
      [false, true, false, true], 'each lookup answered')
    t.same(calls, [['mget', ['jti:a']], ['mget', ['jti:b']], ['mget', ['jti:c']], ['mget', ['fam:{f}']], ['mget', ['sub:n:1']]],
      'one MGET per distinct key')
  })

  t.test('a failing client rejects with DenylistError, the cause kept, no jti, family or subject shown', async (t) => {
    const boom = new Error('connect ECONNREFUSED 10.0.0.1:6379 secret-jti')
    await assertAllFail(t, createRedisDenylist(fakeClient(() => Promise.reject(boom)).client), boom)

    const throwing = createRedisDenylist(fakeClient(() => { throw boom }).client)
    for (const [operation, call] of operations(throwing)) {
      await t.rejects(call(), { constructor: DenylistError, cause: boom }, `${operation}: a client that throws instead of rejecting`)
    }
  })

  t.test('a client that returns bytes: a value is revoked, nil is not', async (t) => {
    const store = createRedisDenylist(fakeClient((_command, args) =>
      Promise.resolve((args[0] as string[]).map(key => key.endsWith('b') ? Buffer.from('1') : null))).client)
    t.same(await Promise.all([store.has('a'), store.has('b')]), [false, true], 'bytes read as revoked, nil as not')
  })

  t.test('a client that never answers hits timeoutMs: every lookup of the batch, and every other operation', async (t) => {
    const { client, calls } = fakeClient(() => new Promise(() => {}))
    const store = createRedisDenylist(client, { timeoutMs: 20 })
    const results = await Promise.allSettled(['a', 'b', 'c', 'a'].map(jti => store.has(jti, IDENTITY)))
    t.equal(calls.length, 1, 'the batch was one command')
    t.ok(results.every(result => result.status === 'rejected' && result.reason instanceof DenylistError &&
      result.reason.code === 'FST_JWT_AUTH_DENYLIST_FAILED' &&
      result.reason.message === 'Redis denylist lookup timed out'), 'one timeout fails each of its lookups')
    for (const [operation, call] of operations(store)) {
      await t.rejects(call(), { constructor: DenylistError, message: `Redis denylist ${operation} timed out` },
        `${operation} times out`)
    }
    await t.rejects(store.add('a', null), { constructor: DenylistError, message: 'Redis denylist add timed out' },
      'a plain SET times out too')
  })

  t.test('a Cluster client that does not say so: the first CROSSSLOT error switches to one key per command', async (t) => {
    const revoked = ['jti:b']
    const { client, calls } = fakeClient((command, args) => {
      const keys = args[0] as string[]
      if (command === 'mget' && keys.length > 1) {
        return Promise.reject(Object.assign(new Error("CROSSSLOT Keys in request don't hash to the same slot"), { name: 'ReplyError' }))
      }
      return fromSet(revoked)(command, args)
    })
    const store = createRedisDenylist(client, { prefix: '' })
    t.same(await Promise.all(['a', 'b', 'c'].map(jti => store.has(jti))), [false, true, false],
      'the batch that failed is answered key by key')
    t.same(calls, [['mget', ['jti:a', 'jti:b', 'jti:c']], ['mget', ['jti:a']], ['mget', ['jti:b']], ['mget', ['jti:c']]],
      'the batch, then each of its keys alone')
    t.same(await Promise.all(['d', 'b'].map(jti => store.has(jti))), [false, true], 'later lookups are answered')
    t.same(calls.slice(4), [['mget', ['jti:d']], ['mget', ['jti:b']]], 'later batches go key by key from the start')
  })

  t.test('other errors of a batch are not retried', async (t) => {
    const { client, calls } = fakeClient(() => Promise.reject(new Error('MOVED 3999 127.0.0.1:6381')))
    const store = createRedisDenylist(client)
    await t.rejects(Promise.all([store.has('a'), store.has('b')]),
      { constructor: DenylistError, message: 'Redis denylist lookup failed' }, 'the batch fails closed')
    t.equal(calls.length, 1, 'with no retry')
  })

  t.test('a reply that is not one string or nil per key fails closed', async (t) => {
    for (const reply of ['1', 1, null, [], ['1', null], [1], [undefined], [true], [{}]]) {
      const store = createRedisDenylist(fakeClient(() => Promise.resolve(reply)).client)
      await t.rejects(store.has('a'), {
        constructor: DenylistError,
        code: 'FST_JWT_AUTH_DENYLIST_FAILED',
        message: 'Redis denylist lookup failed: unexpected reply to MGET'
      }, `reply ${JSON.stringify(reply)}`)
    }
  })

  t.test('a late answer after the timeout changes nothing', async (t) => {
    let settle: (value: unknown) => void = () => {}
    const store = createRedisDenylist(fakeClient(() => new Promise((resolve) => { settle = resolve })).client,
      { timeoutMs: 10 })
    await t.rejects(store.has('a'), DenylistError, 'the lookup timed out')
    settle(['1'])
    const lateFailure = createRedisDenylist(fakeClient(() => new Promise((_resolve, reject) => {
      settle = reject
    })).client, { timeoutMs: 10 })
    await t.rejects(lateFailure.has('a'), /timed out/, 'the other lookup timed out')
    settle(new Error('late'))
    await new Promise((resolve) => setImmediate(resolve))
    t.pass('no unhandled rejection')
  })

  t.test('bad options throw ConfigError naming the setting', async (t) => {
    const { client } = fakeClient()
    const noop = () => {}
    for (const bad of [null, undefined, {}, { set: noop }, { mget: noop }, { set: noop, exists: noop },
      { set: noop, mget: noop }, { set: noop, eval: noop }, { mget: noop, eval: noop }, 'redis://x']) {
      t.throws(() => createRedisDenylist(bad as unknown as RedisLike), {
        constructor: ConfigError,
        code: 'FST_JWT_AUTH_CONFIG',
        message: 'client must be an ioredis-compatible client with set(), mget() and eval()'
      }, `client ${typeof bad === 'object' && bad !== null ? `{ ${Object.keys(bad).join(', ')} }` : String(bad)} is refused`)
    }
    t.throws(() => createRedisDenylist(client, { prefix: 1 as unknown as string }),
      { constructor: ConfigError, message: /prefix/ }, 'a prefix that is not a string is refused')
    for (const timeoutMs of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) {
      t.throws(() => createRedisDenylist(client, { timeoutMs }),
        { constructor: ConfigError, message: /timeoutMs/ }, `timeoutMs ${timeoutMs} is refused`)
    }
    t.doesNotThrow(() => createRedisDenylist(client, { timeoutMs: 2 ** 31 - 1 }), 'the longest timer is accepted')
  })

  t.test('a prefix may hold a hash tag only if it closes it: a family\'s keys must share a Cluster slot', async (t) => {
    const { client } = fakeClient()
    // An unclosed or empty tag would make Redis hash "fam:{…" and "rot:{…"
    // differently, or the whole key.
    for (const prefix of ['app{', 'app{:', '{}app:', 'a}{b', 'app{}x}:']) {
      t.throws(() => createRedisDenylist(client, { prefix }), {
        constructor: ConfigError,
        message: 'prefix must close each hash tag it opens ({…}) around at least one character'
      }, `prefix ${prefix} is refused`)
    }
    for (const prefix of ['', 'app:', '{app}:', 'a{b}c:', 'x}y:', '{a}{:']) {
      t.doesNotThrow(() => createRedisDenylist(client, { prefix }), `prefix ${prefix} is accepted`)
    }
  })

  // Which values are bad is in test/denylist/store.test.ts; here, that the
  // store applies the checks before it sends anything.
  t.test('bad arguments reject with TypeError before any command', async (t) => {
    const { client, calls } = fakeClient()
    const store = createRedisDenylist(client) as unknown as Record<keyof DenylistStore, (...args: unknown[]) => Promise<unknown>>
    await t.rejects(store.add('', null), { constructor: TypeError, message: /jti/ }, 'add checks the jti')
    await t.rejects(store.add('a', NaN), { constructor: TypeError, message: /expiresAt/ }, 'add checks expiresAt')
    await t.rejects(store.add('a', null, { subject: '' }), { constructor: TypeError, message: /subject/ }, 'add checks the identity')
    await t.rejects(store.has(''), { constructor: TypeError, message: /jti/ }, 'has checks the jti')
    await t.rejects(store.has('a', null), { constructor: TypeError, message: /token/ }, 'has checks the identity')
    await t.rejects(store.has('a', { subject: 'u', family: '' }), { constructor: TypeError, message: /family/ }, 'has checks the family')
    await t.rejects(store.has('a', { subject: 'u', issuedAtMs: NaN }), { constructor: TypeError, message: /issuedAtMs/ },
      'has checks issuedAtMs')
    await t.rejects(store.useRefreshToken({ ...USE, graceMs: -1 }), { constructor: TypeError, message: /graceMs/ },
      'useRefreshToken checks its argument')
    await t.rejects(store.useRefreshToken(undefined), { constructor: TypeError, message: /use/ }, 'useRefreshToken needs its argument')
    for (const subject of ['', NaN, 2 ** 53 + 2, null, { id: 1 }]) {
      const err = await store.revokeSubject(subject, Date.now(), null).then(() => null, (e: unknown) => e)
      t.match(err, { constructor: TypeError, message: 'subject must be a non-empty string or a finite number within ±2^53' },
        `revokeSubject checks the subject: ${JSON.stringify(subject)}`)
    }
    for (const issuedBeforeMs of [1.5, NaN, Infinity, '1', null, 2 ** 53]) {
      await t.rejects(store.revokeSubject('secret-subject', issuedBeforeMs, null), {
        constructor: TypeError,
        message: 'issuedBeforeMs must be a whole number of epoch milliseconds'
      }, `revokeSubject checks issuedBeforeMs: ${String(issuedBeforeMs)}`)
    }
    await t.rejects(store.revokeSubject('secret-subject', 1, 'soon'), { constructor: TypeError, message: /expiresAt/ },
      'revokeSubject checks expiresAt')
    t.same(calls, [], 'no command was sent')
  })
})

t.test('with a real Redis', async (t) => {
  const redis = await realRedis(t, 'Redis tests')
  if (redis === null) return
  const { admin, prefix } = redis

  t.test('add, has, and the key follows expiresAt', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })

    await store.add('a', nowSeconds() + 120)
    t.equal(await store.has('a'), true, 'an added jti is revoked')
    t.equal(await store.has('unknown'), false, 'another is not')
    const pttl = await admin.pttl(`${prefix}jti:a`)
    t.ok(Math.abs(pttl - 180_000) < 1000, `PTTL ${pttl} is within a second of 120 s plus the one-minute margin`)

    await store.add('forever', null)
    t.equal(await admin.ttl(`${prefix}jti:forever`), -1, 'null: no expiry')
    t.equal(await store.has('forever'), true, 'a revocation for ever is revoked')

    await store.add('past', nowSeconds() - 65)
    t.equal(await admin.exists(`${prefix}jti:past`), 0, 'a token expired over a minute ago is not stored')
    t.equal(await store.has('past'), false, 'nor revoked')

    await store.add('a', null)
    t.equal(await admin.ttl(`${prefix}jti:a`), -1, 're-adding with null keeps it forever')
  })

  t.test('Redis forgets the entry a minute after the token expires', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    await store.add('brief', nowSeconds() + 0.2)
    t.equal(await store.has('brief'), true, 'revoked until expiresAt')
    const pttl = await admin.pttl(`${prefix}jti:brief`)
    // The TTL is rounded up to the millisecond: 60,200 plus at most one.
    t.ok(pttl > 59_000 && pttl <= 60_201, `PTTL ${pttl}: Redis drops the key by itself, a minute after the token's exp`)
  })

  t.test('no jti an issuer chooses can name a family\'s or a subject\'s key', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const family = randomUUID()
    for (const jti of [`fam:{${family}}`, 'sub:s:victim', 'sub:n:7', `rot:{${family}}`]) await store.add(jti, null)
    t.equal(await store.has('innocent', { subject: 'victim', family, issuedAtMs: Date.now() }), false,
      'a string subject, its family: not revoked')
    t.equal(await store.has('innocent', { subject: 7 }), false, 'a number subject: not revoked')
    t.same((await store.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family, jti: 'r1', successorJti: 'r2', graceMs: 0, expiresAt: null })).outcome,
      'rotated', 'the family rotates as usual')
    t.equal(await store.has(`fam:{${family}}`), true, 'and each of those jtis is revoked itself')
  })

  t.test('concurrent lookups reach Redis as one MGET, whatever mix of identities they carry', async (t) => {
    const monitor = await admin.monitor()
    t.teardown(() => { monitor.disconnect() })
    const mgets: string[][] = []
    const marker = `${prefix}end-of-test`
    const ended = new Promise<void>(resolve => {
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0].toLowerCase() === 'mget' && args[1].startsWith(prefix)) mgets.push(args.slice(1))
        if (args[0].toLowerCase() === 'echo' && args[1] === marker) resolve()
      })
    })
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    await store.add('m-revoked', nowSeconds() + 60)
    await store.revokeSubject('cut', Date.now() - 1000, nowSeconds() + 60)
    await store.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family: 'f-reused', jti: 'r', successorJti: 's', graceMs: 0, expiresAt: nowSeconds() + 60 })
    // First used at the epoch, so long past the grace window.
    await admin.hset(`${prefix}rot:{f-reused}`, 'rotatedAt', '0')
    t.equal((await store.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family: 'f-reused', jti: 'r', successorJti: 't', graceMs: 0, expiresAt: nowSeconds() + 60 })).outcome,
      'reused', 'family f-reused is revoked')

    const now = Date.now()
    const lookups = [
      store.has('m-1'),
      store.has('m-revoked'),
      store.has('m-2', { subject: 'cut', issuedAtMs: now - 5000 }),
      store.has('m-3', { subject: 'cut', issuedAtMs: now }),
      store.has('m-1', { subject: 'other', family: 'f-reused' }),
      store.has('m-4', { subject: 'other', family: 'f-fine', issuedAtMs: now }),
      store.has('m-revoked', { subject: 7, family: 'f-fine' })
    ]
    t.same(await Promise.all(lookups), [false, true, true, false, true, false, true], 'each lookup answered')
    await admin.echo(marker)
    await ended
    t.same(mgets, [[
      `${prefix}jti:m-1`, `${prefix}jti:m-revoked`, `${prefix}jti:m-2`, `${prefix}sub:s:cut`, `${prefix}jti:m-3`,
      `${prefix}fam:{f-reused}`, `${prefix}sub:s:other`, `${prefix}jti:m-4`, `${prefix}fam:{f-fine}`, `${prefix}sub:n:7`
    ]], 'one command, each key once')
  })

  t.test('the prefix makes the key', async (t) => {
    const client = await connectedRedis(t)
    const jti = randomUUID()
    await createRedisDenylist(client, { prefix: `${prefix}custom:` }).add(jti, nowSeconds() + 60)
    t.equal(await admin.exists(`${prefix}custom:jti:${jti}`), 1, 'the given prefix')

    const byDefault = createRedisDenylist(client)
    await byDefault.add(jti, nowSeconds() + 60)
    t.teardown(() => admin.del(`fastify-jwt-auth:denylist:jti:${jti}`))
    t.equal(await admin.exists(`fastify-jwt-auth:denylist:jti:${jti}`), 1, 'the default prefix')
  })

  t.test('an unreachable Redis fails with the client\'s own error, not a timeout', async (t) => {
    const client = redisClient(t, FAIL_FAST, await unusedRedisUrl())
    // "failed", not "timed out": the client's error came first.
    await assertAllFail(t, createRedisDenylist(client, { timeoutMs: 5000 }), Error)
  })

  t.test('ioredis defaults queue commands for ever: timeoutMs still answers', async (t) => {
    // Default options: offline queue on, endless reconnection attempts.
    const store = createRedisDenylist(redisClient(t, {}, await unusedRedisUrl()), { timeoutMs: 200 })
    for (const [operation, call] of operations(store)) {
      await t.rejects(call(), {
        constructor: DenylistError,
        message: `Redis denylist ${operation} timed out`
      }, `${operation} fails closed when timeoutMs has passed`)
    }
  })
})

t.test('with a real Redis Cluster', async (t) => {
  const ports = await realRedisCluster(t)
  if (ports === null) return
  const jtis = Array.from({ length: 40 }, () => randomUUID())
  const revoked = jtis.filter((_, i) => i % 3 === 0)
  const expected = jtis.map(jti => revoked.includes(jti))
  const revokedFamily = randomUUID()
  // Each token carries a family and a subject: three keys, on any node.
  const identity = (i: number) => ({ subject: `user-${i % 5}`, family: i % 7 === 1 ? revokedFamily : `family-${i}`, issuedAtMs: Date.now() })
  const expectedWithIdentity = jtis.map((jti, i) => revoked.includes(jti) || i % 7 === 1)

  const setupClient = await clusterClient(t, ports)
  const setup = createRedisDenylist(setupClient)
  for (const jti of revoked) await setup.add(jti, nowSeconds() + 60)
  await setup.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family: revokedFamily, jti: 'r', successorJti: 's', graceMs: 0, expiresAt: nowSeconds() + 60 })
  // First used at the epoch, so long past the grace window.
  await setupClient.hset(`fastify-jwt-auth:denylist:rot:{${revokedFamily}}`, 'rotatedAt', '0')
  t.same(await setup.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family: revokedFamily, jti: 'r', successorJti: 't', graceMs: 0, expiresAt: nowSeconds() + 60 }),
    { outcome: 'reused' }, 'a family revoked on the Cluster')

  for (const enableAutoPipelining of [false, true]) {
    t.test(`an ioredis Cluster, enableAutoPipelining: ${enableAutoPipelining}`, async (t) => {
      const client = await clusterClient(t, ports, { enableAutoPipelining })
      const store = createRedisDenylist(client)
      t.same(await Promise.all(jtis.map(jti => store.has(jti))), expected,
        'every lookup of one turn answered, whichever node holds its key')
      t.same(await Promise.all(jtis.map((jti, i) => store.has(jti, identity(i)))), expectedWithIdentity,
        'and with the jti, family and subject keys of each token')
      const keysPerNode = await Promise.all(client.nodes('master').map(node => node.dbsize()))
      t.ok(keysPerNode.filter(keys => keys > 0).length > 1, `the keys are spread over the nodes (${keysPerNode.join(', ')})`)
    })
  }

  for (const enableAutoPipelining of [false, true]) {
    t.test(`a Cluster behind a wrapper without isCluster, enableAutoPipelining: ${enableAutoPipelining}: found out, answered key by key`, async (t) => {
      const client = await clusterClient(t, ports, { enableAutoPipelining })
      const wrapper: RedisLike = {
        set: ((...args: unknown[]) => (client.set as (...a: unknown[]) => Promise<unknown>)(...args)) as RedisLike['set'],
        mget: keys => client.mget(keys),
        eval: (script, numKeys, ...args) => client.eval(script, numKeys, ...args)
      }
      const store = createRedisDenylist(wrapper)
      t.same(await Promise.all(jtis.map((jti, i) => store.has(jti, identity(i)))), expectedWithIdentity,
        'the first batch: CROSSSLOT, then key by key')
      t.same(await Promise.all(jtis.map(jti => store.has(jti))), expected, 'and again, now key by key from the start')
    })
  }

  t.test('a Cluster used through a plain client on one node: never read as "not revoked"', async (t) => {
    const single = await connectedRedis(t, FAIL_FAST, `redis://127.0.0.1:${ports[0]}`)
    const store = createRedisDenylist(single)
    // First batch: CROSSSLOT, then key by key, where a MOVED for any key
    // fails the whole batch.
    const first = await Promise.allSettled(jtis.map(jti => store.has(jti)))
    t.ok(first.every(result => result.status === 'rejected' && result.reason instanceof DenylistError), 'the first batch fails closed')
    // From then on key by key: the node answers for its own slots and
    // refuses (MOVED) the others.
    const results = await Promise.allSettled(jtis.map(jti => store.has(jti)))
    const answered = results.filter(result => result.status === 'fulfilled')
    t.ok(answered.length > 0 && answered.length < jtis.length, `${answered.length} of ${jtis.length} keys are on this node`)
    t.ok(results.every((result, i) => result.status === 'fulfilled'
      ? result.value === expected[i]
      : result.reason instanceof DenylistError), 'each lookup: the right answer, or DenylistError')
  })
})
