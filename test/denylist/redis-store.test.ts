// The Redis store on its own: the commands it sends, how it batches lookups,
// fails closed and times out, first with a fake client, then against a real
// Redis and a real Redis Cluster. The plugin with this store, across app
// instances and through outages, is in test/e2e/revocation-redis.test.ts.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { ConfigError, DenylistError } from '../../lib/errors'
import { createRedisDenylist, type RedisLike } from '../../lib/denylist/redis-store'
import type { DenylistStore } from '../../lib/denylist/store'
import { connectedRedis, FAIL_FAST, realRedis, redisClient, unusedRedisUrl } from '../helpers/redis'
import { clusterClient, realRedisCluster } from '../helpers/redis-cluster'

const nowSeconds = (): number => Date.now() / 1000

// Both operations of `store` must fail with the store's DenylistError for
// `operation` ("failed", so not a timeout), keeping `cause`.
async function assertBothFail (t: Test, store: DenylistStore, cause: unknown): Promise<void> {
  for (const [operation, call] of [
    ['add', () => store.add('secret-jti', nowSeconds() + 60)],
    ['lookup', () => store.has('secret-jti')]
  ] as const) {
    const err = await (call() as Promise<unknown>).then(() => null, (e: unknown) => e)
    t.ok(err instanceof DenylistError, `${operation}: DenylistError`)
    t.match(err, {
      code: 'FST_JWT_AUTH_DENYLIST_FAILED',
      statusCode: 500,
      message: `Redis denylist ${operation} failed`,
      cause
    }, `${operation}: the fixed message naming the operation, the cause kept`)
  }
}

// A client that records its calls and answers with `reply`.
function fakeClient (reply: (command: string, args: unknown[]) => unknown = () => 'OK', extra: object = {}) {
  const calls: Array<[string, ...unknown[]]> = []
  const client = {
    ...extra,
    set (...args: unknown[]) {
      calls.push(['set', ...args])
      return reply('set', args)
    },
    mget (...args: unknown[]) {
      calls.push(['mget', ...args])
      return reply('mget', args)
    }
  }
  return { client: client as unknown as RedisLike, calls }
}

// Answers MGET from `revoked`, a set of keys, as Redis would.
const fromSet = (revoked: Set<string>) => (command: string, args: unknown[]) =>
  Promise.resolve(command === 'mget' ? (args[0] as string[]).map(key => revoked.has(key) ? '1' : null) : 'OK')

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

  t.test('add sends SET with PX, has sends MGET', async (t) => {
    const { client, calls } = fakeClient(fromSet(new Set(['fastify-jwt-auth:denylist:abc'])))
    const store = createRedisDenylist(client)
    await store.add('abc', nowSeconds() + 60)
    t.equal(calls.length, 1, 'one command per add')
    const [command, key, value, mode, ttl] = calls[0]
    t.same([command, key, value, mode], ['set', 'fastify-jwt-auth:denylist:abc', '1', 'PX'], 'SET of the prefixed key with PX')
    t.ok(typeof ttl === 'number' && ttl > 119_000 && ttl <= 120_000,
      `ttl ${String(ttl)} ms is the time left until expiresAt plus a minute for instances whose clocks run behind`)

    await store.add('forever', null)
    t.same(calls[1], ['set', 'fastify-jwt-auth:denylist:forever', '1'], 'null: no expiry')

    await store.add('past', nowSeconds() - 61)
    t.equal(calls.length, 2, 'a token expired over a minute ago sends nothing')
    await store.add('just-expired', nowSeconds() - 5)
    const [, justKey, , , justTtl] = calls[2]
    t.ok(justKey === 'fastify-jwt-auth:denylist:just-expired' && typeof justTtl === 'number' && justTtl > 54_000 && justTtl <= 55_000,
      'a token expired 5 s ago is kept the rest of the minute, for instances whose clocks run behind')
    calls.splice(2, 1)

    await store.add('far', 1e300)
    t.same(calls[2], ['set', 'fastify-jwt-auth:denylist:far', '1'],
      'an expiry too far for an exact TTL counts as forever')
    calls.pop()

    t.equal(await store.has('abc'), true, 'a revoked jti is found')
    t.same(calls[2], ['mget', ['fastify-jwt-auth:denylist:abc']], 'by an MGET of its prefixed key')
  })

  t.test('has answers false for a nil reply, and the prefix is used', async (t) => {
    const { client, calls } = fakeClient(() => Promise.resolve([null]))
    const store = createRedisDenylist(client, { prefix: 'app1:' })
    t.equal(await store.has('x'), false, 'nil: not revoked')
    t.same(calls, [['mget', ['app1:x']]], 'the key is the prefix and the jti')
    const bare = createRedisDenylist(client, { prefix: '' })
    await bare.has('y')
    t.same(calls[1], ['mget', ['y']], 'an empty prefix is allowed')
  })

  t.test('the lookups of one event-loop turn share one MGET, one key per distinct jti', async (t) => {
    const { client, calls } = fakeClient(fromSet(new Set(['p:b', 'p:d'])))
    const store = createRedisDenylist(client, { prefix: 'p:' })
    const first = ['a', 'b', 'a', 'c'].map(jti => store.has(jti))
    // Still the same turn after a microtask: a guard that awaited something first joins too.
    await Promise.resolve()
    const later = ['d', 'b'].map(jti => store.has(jti))
    t.same(calls, [], 'nothing is sent before the turn ends')
    t.same(await Promise.all([...first, ...later]), [false, true, false, false, true, true], 'each gets its own key\'s answer')
    t.same(calls, [['mget', ['p:a', 'p:b', 'p:c', 'p:d']]], 'one MGET, each key once, in the order asked')

    t.equal(await store.has('a'), false, 'the next turn is answered')
    t.same(calls[1], ['mget', ['p:a']], 'the next turn sends its own command')
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
    const before = store.has('a')
    await new Promise(resolve => setImmediate(resolve))
    t.equal(calls.length, 1, 'the first lookup is in flight')

    revoked.add('p:a') // revoked by another instance, before the next request arrives
    const after = store.has('a')
    await new Promise(resolve => setImmediate(resolve))
    t.equal(calls.length, 2, 'the second lookup of the same jti is sent again')
    for (const release of held) release()
    t.equal(await before, false, 'the first request arrived before the revocation')
    t.equal(await after, true, 'the second arrived after it, and is refused')
  })

  t.test('a batch larger than 1000 keys goes out in several MGETs; a failure fails its own keys only', async (t) => {
    const revoked = new Set(['k1', 'k1500', 'k2499'])
    let sent = 0
    const { client, calls } = fakeClient((command, args) => {
      sent++
      return sent === 2 ? Promise.reject(new Error('second command lost')) : fromSet(revoked)(command, args)
    })
    const store = createRedisDenylist(client, { prefix: '' })
    const jtis = Array.from({ length: 2500 }, (_, i) => `k${i}`)
    const results = await Promise.allSettled(jtis.map(jti => store.has(jti)))
    t.same(calls.map(call => (call[1] as string[]).length), [1000, 1000, 500], 'at most 1000 keys per MGET')
    t.same(calls.flatMap(call => call[1] as string[]), jtis, 'every key once, in order')
    t.same(results.slice(0, 2).map(result => result.status === 'fulfilled' && result.value), [false, true],
      'the first command\'s keys are answered')
    t.ok(results.slice(1000, 2000).every(result => result.status === 'rejected' && result.reason instanceof DenylistError),
      'the keys of the lost command fail closed')
    t.same(results.slice(2498).map(result => result.status === 'fulfilled' && result.value), [false, true],
      'the third command\'s keys are answered')
  })

  t.test('with a Cluster client, one key per MGET, since the keys of one command must share a hash slot', async (t) => {
    const { client, calls } = fakeClient(fromSet(new Set(['b'])), { isCluster: true })
    const store = createRedisDenylist(client, { prefix: '' })
    t.same(await Promise.all(['a', 'b', 'a'].map(jti => store.has(jti))), [false, true, false], 'each lookup answered')
    t.same(calls, [['mget', ['a']], ['mget', ['b']]], 'one MGET per distinct key')
  })

  t.test('a failing client rejects with DenylistError, the cause kept, the jti never shown', async (t) => {
    const boom = new Error('connect ECONNREFUSED 10.0.0.1:6379 secret-jti')
    await assertBothFail(t, createRedisDenylist(fakeClient(() => Promise.reject(boom)).client), boom)

    const throwing = createRedisDenylist(fakeClient(() => { throw boom }).client)
    await t.rejects(throwing.add('secret-jti', null), { constructor: DenylistError, cause: boom },
      'add: a client that throws instead of rejecting')
    await t.rejects(throwing.has('secret-jti'), { constructor: DenylistError, cause: boom },
      'lookup: a client that throws instead of rejecting')
  })

  t.test('a client that returns bytes: a value is revoked, nil is not', async (t) => {
    const store = createRedisDenylist(fakeClient((_command, args) =>
      Promise.resolve((args[0] as string[]).map(key => key.endsWith('b') ? Buffer.from('1') : null))).client)
    t.same(await Promise.all([store.has('a'), store.has('b')]), [false, true], 'bytes read as revoked, nil as not')
  })

  t.test('a client that never answers hits timeoutMs: every lookup of the batch, and add', async (t) => {
    const { client, calls } = fakeClient(() => new Promise(() => {}))
    const store = createRedisDenylist(client, { timeoutMs: 20 })
    const results = await Promise.allSettled(['a', 'b', 'c', 'a'].map(jti => store.has(jti)))
    t.equal(calls.length, 1, 'the batch was one command')
    t.ok(results.every(result => result.status === 'rejected' && result.reason instanceof DenylistError &&
      result.reason.code === 'FST_JWT_AUTH_DENYLIST_FAILED' &&
      result.reason.message === 'Redis denylist lookup timed out'), 'one timeout fails each of its lookups')
    await t.rejects(store.add('a', null), { constructor: DenylistError, message: 'Redis denylist add timed out' },
      'add times out too')
  })

  t.test('a Cluster client that does not say so: the first CROSSSLOT error switches to one key per command', async (t) => {
    const revoked = new Set(['b'])
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
    t.same(calls, [['mget', ['a', 'b', 'c']], ['mget', ['a']], ['mget', ['b']], ['mget', ['c']]],
      'the batch, then each of its keys alone')
    t.same(await Promise.all(['d', 'b'].map(jti => store.has(jti))), [false, true], 'later lookups are answered')
    t.same(calls.slice(4), [['mget', ['d']], ['mget', ['b']]], 'later batches go key by key from the start')
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
    for (const bad of [null, undefined, {}, { set () {} }, { mget () {} }, { set () {}, exists () {} }, 'redis://x']) {
      t.throws(() => createRedisDenylist(bad as unknown as RedisLike), {
        constructor: ConfigError,
        code: 'FST_JWT_AUTH_CONFIG',
        message: /client/
      }, `client ${JSON.stringify(bad)} is refused`)
    }
    t.throws(() => createRedisDenylist(client, { prefix: 1 as unknown as string }),
      { constructor: ConfigError, message: /prefix/ }, 'a prefix that is not a string is refused')
    for (const timeoutMs of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) {
      t.throws(() => createRedisDenylist(client, { timeoutMs }),
        { constructor: ConfigError, message: /timeoutMs/ }, `timeoutMs ${timeoutMs} is refused`)
    }
    t.doesNotThrow(() => createRedisDenylist(client, { timeoutMs: 2 ** 31 - 1 }), 'the longest timer is accepted')
  })

  // Which values are bad is in test/denylist/store.test.ts; here, that the
  // store applies the checks before it sends anything.
  t.test('bad arguments reject with TypeError before any command', async (t) => {
    const { client, calls } = fakeClient()
    const store = createRedisDenylist(client) as unknown as {
      add: (...args: unknown[]) => Promise<void>
      has: (...args: unknown[]) => Promise<boolean>
    }
    await t.rejects(store.add('', null), { constructor: TypeError, message: /jti/ }, 'add checks the jti')
    await t.rejects(store.has(''), { constructor: TypeError, message: /jti/ }, 'has checks the jti')
    await t.rejects(store.add('a', NaN), { constructor: TypeError, message: /expiresAt/ }, 'add checks expiresAt')
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
    const pttl = await admin.pttl(`${prefix}a`)
    t.ok(Math.abs(pttl - 180_000) < 1000, `PTTL ${pttl} is within a second of 120 s plus the one-minute margin`)

    await store.add('forever', null)
    t.equal(await admin.ttl(`${prefix}forever`), -1, 'null: no expiry')
    t.equal(await store.has('forever'), true, 'a revocation for ever is revoked')

    await store.add('past', nowSeconds() - 65)
    t.equal(await admin.exists(`${prefix}past`), 0, 'a token expired over a minute ago is not stored')
    t.equal(await store.has('past'), false, 'nor revoked')

    await store.add('a', null)
    t.equal(await admin.ttl(`${prefix}a`), -1, 're-adding with null keeps it forever')
  })

  t.test('Redis forgets the entry a minute after the token expires', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    await store.add('brief', nowSeconds() + 0.2)
    t.equal(await store.has('brief'), true, 'revoked until expiresAt')
    const pttl = await admin.pttl(`${prefix}brief`)
    t.ok(pttl > 59_000 && pttl <= 60_200, `PTTL ${pttl}: Redis drops the key by itself, a minute after the token's exp`)
  })

  t.test('concurrent lookups reach Redis as one MGET', async (t) => {
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

    const jtis = ['m-1', 'm-revoked', 'm-2', 'm-1', 'm-revoked']
    t.same(await Promise.all(jtis.map(jti => store.has(jti))), [false, true, false, false, true], 'each lookup answered')
    await admin.echo(marker)
    await ended
    t.same(mgets, [[`${prefix}m-1`, `${prefix}m-revoked`, `${prefix}m-2`]], 'one command, each key once')
  })

  t.test('the prefix makes the key', async (t) => {
    const client = await connectedRedis(t)
    const jti = randomUUID()
    await createRedisDenylist(client, { prefix: `${prefix}custom:` }).add(jti, nowSeconds() + 60)
    t.equal(await admin.exists(`${prefix}custom:${jti}`), 1, 'the given prefix')

    const byDefault = createRedisDenylist(client)
    await byDefault.add(jti, nowSeconds() + 60)
    t.teardown(() => admin.del(`fastify-jwt-auth:denylist:${jti}`))
    t.equal(await admin.exists(`fastify-jwt-auth:denylist:${jti}`), 1, 'the default prefix')
  })

  t.test('an unreachable Redis fails with the client\'s own error, not a timeout', async (t) => {
    const client = redisClient(t, FAIL_FAST, await unusedRedisUrl())
    // "failed", not "timed out": the client's error came first.
    await assertBothFail(t, createRedisDenylist(client, { timeoutMs: 5000 }), Error)
  })

  t.test('ioredis defaults queue commands for ever: timeoutMs still answers', async (t) => {
    // Default options: offline queue on, endless reconnection attempts.
    const store = createRedisDenylist(redisClient(t, {}, await unusedRedisUrl()), { timeoutMs: 200 })
    await t.rejects(store.has('a'), {
      constructor: DenylistError,
      message: 'Redis denylist lookup timed out'
    }, 'the lookup fails closed when timeoutMs has passed')
  })
})

t.test('with a real Redis Cluster', async (t) => {
  const ports = await realRedisCluster(t)
  if (ports === null) return
  const jtis = Array.from({ length: 40 }, () => randomUUID())
  const revoked = jtis.filter((_, i) => i % 3 === 0)
  const expected = jtis.map(jti => revoked.includes(jti))

  const setup = createRedisDenylist(await clusterClient(t, ports))
  for (const jti of revoked) await setup.add(jti, nowSeconds() + 60)

  for (const enableAutoPipelining of [false, true]) {
    t.test(`an ioredis Cluster, enableAutoPipelining: ${enableAutoPipelining}`, async (t) => {
      const client = await clusterClient(t, ports, { enableAutoPipelining })
      const store = createRedisDenylist(client)
      t.same(await Promise.all(jtis.map(jti => store.has(jti))), expected,
        'every lookup of one turn answered, whichever node holds its key')
      const keysPerNode = await Promise.all(client.nodes('master').map(node => node.dbsize()))
      t.ok(keysPerNode.filter(keys => keys > 0).length > 1, `the keys are spread over the nodes (${keysPerNode.join(', ')})`)
    })
  }

  for (const enableAutoPipelining of [false, true]) {
    t.test(`a Cluster behind a wrapper without isCluster, enableAutoPipelining: ${enableAutoPipelining}: found out, answered key by key`, async (t) => {
      const client = await clusterClient(t, ports, { enableAutoPipelining })
      const wrapper: RedisLike = {
        set: ((...args: unknown[]) => (client.set as (...a: unknown[]) => Promise<unknown>)(...args)) as RedisLike['set'],
        mget: keys => client.mget(keys)
      }
      const store = createRedisDenylist(wrapper)
      t.same(await Promise.all(jtis.map(jti => store.has(jti))), expected, 'the first batch: CROSSSLOT, then key by key')
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
