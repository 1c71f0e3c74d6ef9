// Refresh-token rotation in the Redis store (useRefreshToken): the script
// it sends and how it reads the reply, with a fake client; then each outcome,
// the grace window on Redis's clock, the TTLs, several instances and
// concurrent uses against a real Redis and a real Redis Cluster.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import { DenylistError } from '../../lib/errors'
import { createRedisDenylist } from '../../lib/denylist/redis-store'
import { USE_REFRESH_TOKEN_SCRIPT } from '../../lib/denylist/redis-scripts'
import type { RefreshTokenUse, RefreshTokenUseResult } from '../../lib/denylist/store'
import { connectedRedis, realRedis } from '../helpers/redis'
import { clusterClient, realRedisCluster } from '../helpers/redis-cluster'
import { fakeClient, nowSeconds } from './fake-redis'

const use = (family: string, jti: string, rest: Partial<RefreshTokenUse> = {}): RefreshTokenUse =>
  ({ subject: 'user', issuedAtMs: Date.now(), family, jti, successorJti: randomUUID(), graceMs: 60_000, expiresAt: nowSeconds() + 120, ...rest })

const outcomes = (results: RefreshTokenUseResult[]): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1
  return counts
}

// Redis's clock, in epoch ms.
async function redisNow (client: Redis | Cluster): Promise<number> {
  const [seconds, microseconds] = (await client.time()).map(Number)
  return seconds * 1000 + Math.floor(microseconds / 1000)
}

// Replaces Date.now for the rest of the test: this instance's clock is off.
function skewClock (t: Test, by: number): void {
  const real = Date.now
  Date.now = () => real() + by
  t.teardown(() => { Date.now = real })
}

t.test('with a fake client', async (t) => {
  t.test('one EVAL of the rotation script, on the family\'s two keys', async (t) => {
    const { client, calls } = fakeClient(() => Promise.resolve(['rotated', 'next']))
    const store = createRedisDenylist(client, { prefix: 'p:' })
    t.same(await store.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family: 'f', jti: 'j', successorJti: 'next', graceMs: 2500, expiresAt: nowSeconds() + 60 }),
      { outcome: 'rotated', successorJti: 'next' }, 'the script\'s outcome')
    t.equal(calls.length, 1, 'one command')
    const [command, script, numKeys, familyKey, rotationKey, jti, successor, grace, ttl] = calls[0]
    t.same([command, script, numKeys, familyKey, rotationKey, jti, successor, grace],
      ['eval', USE_REFRESH_TOKEN_SCRIPT, 2, 'p:fam:{f}', 'p:rot:{f}', 'j', 'next', '2500'],
      'EVAL of the script: the family key and the state key, sharing the family as hash tag; then jti, successor, grace')
    t.ok(typeof ttl === 'string' && Number(ttl) > 119_000 && Number(ttl) <= 120_000,
      `TTL ${String(ttl)}: the time left until expiresAt plus a minute for instances whose clocks run behind`)

    for (const [expiresAt, expected, what] of [
      [null, '', 'null: no expiry'],
      [1e300, '', 'too far for an exact TTL: no expiry'],
      [nowSeconds() - 3600, '1', 'long expired: the shortest TTL, never none']
    ] as const) {
      await store.useRefreshToken({ subject: 'user', issuedAtMs: Date.now(), family: 'f', jti: 'j', successorJti: 'next', graceMs: 0, expiresAt })
      t.equal(calls.at(-1)?.[8], expected, what)
    }
  })

  t.test('each reply the script gives is read strictly, as text or as bytes', async (t) => {
    for (const [reply, expected] of [
      [['rotated', 'next'], { outcome: 'rotated', successorJti: 'next' }],
      [['grace', 'earlier'], { outcome: 'grace', successorJti: 'earlier' }],
      [['reused'], { outcome: 'reused' }],
      [['revoked'], { outcome: 'revoked' }],
      [[Buffer.from('grace'), Buffer.from('earlier')], { outcome: 'grace', successorJti: 'earlier' }],
      [[Buffer.from('revoked')], { outcome: 'revoked' }]
    ] as const) {
      const store = createRedisDenylist(fakeClient(() => Promise.resolve(reply)).client)
      t.same(await store.useRefreshToken(use('f', 'j', { successorJti: 'next' })), expected, JSON.stringify(reply))
    }
  })

  t.test('any other reply fails closed: never a pair minted on a misread', async (t) => {
    for (const reply of [
      'OK', null, undefined, 1, [], {}, ['rotated'], ['rotated', 'someone-else'], ['rotated', 'next', 'x'],
      ['grace'], ['grace', ''], ['grace', 1], ['grace', null], ['reused', 'x'], ['revoked', null],
      ['unknown'], ['ROTATED', 'next'], [1], [null], [['rotated', 'next']]
    ]) {
      const store = createRedisDenylist(fakeClient(() => Promise.resolve(reply)).client)
      await t.rejects(store.useRefreshToken(use('f', 'j', { successorJti: 'next' })), {
        constructor: DenylistError,
        code: 'FST_JWT_AUTH_DENYLIST_FAILED',
        message: 'Redis denylist useRefreshToken failed: unexpected reply to EVAL'
      }, `reply ${JSON.stringify(reply)}`)
    }
  })
})

t.test('with a real Redis', async (t) => {
  const redis = await realRedis(t, 'Redis tests')
  if (redis === null) return
  const { admin, prefix } = redis
  const state = (family: string) => admin.hgetall(`${prefix}rot:{${family}}`)

  t.test('each outcome, in the life of one family', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const family = randomUUID()
    const redisBefore = await redisNow(admin)
    t.same(await store.useRefreshToken(use(family, 't1', { successorJti: 't2' })), { outcome: 'rotated', successorJti: 't2' },
      'a family without state: the token\'s first use rotates it')
    const first = await state(family)
    t.same({ current: first.current, previous: first.previous }, { current: 't2', previous: 't1' }, 'the state: the newest token and the one it replaced')
    t.ok(Number(first.rotatedAt) >= redisBefore && Number(first.rotatedAt) <= await redisNow(admin), 'rotatedAt: now, on Redis\'s clock')

    t.same(await store.useRefreshToken(use(family, 't1', { successorJti: 'other' })), { outcome: 'grace', successorJti: 't2' },
      'used again within the grace window: the successor of its first use, not the one offered')
    t.same(await state(family), first, 'a grace use changes nothing')

    t.same(await store.useRefreshToken(use(family, 't2', { successorJti: 't3' })), { outcome: 'rotated', successorJti: 't3' },
      'the successor\'s first use rotates again')
    t.same(await store.useRefreshToken(use(family, 't3', { successorJti: 't4' })), { outcome: 'rotated', successorJti: 't4' },
      'and its own successor\'s')
    t.equal(await store.has('t9', { subject: 'u', family }), false, 'the family is not revoked')

    t.same(await store.useRefreshToken(use(family, 't1')), { outcome: 'reused' },
      'a token two rotations old, still within its grace window: reused, as only the latest replaced one has grace')
    t.equal(await admin.exists(`${prefix}rot:{${family}}`), 0, 'the state is gone')
    t.equal(await admin.get(`${prefix}fam:{${family}}`), '1', 'the family key is set')
    for (const jti of ['t1', 't4', 'never-seen']) {
      t.same(await store.useRefreshToken(use(family, jti)), { outcome: 'revoked' }, `then ${jti}: revoked`)
    }
    t.equal(await store.has('t4', { subject: 'u', family, issuedAtMs: Date.now() }), true,
      'has refuses every token carrying the family')
    t.equal(await store.has('t4', { subject: 'u', family: randomUUID() }), false, 'not those of another family')
    t.equal(await store.has('t4'), false, 'nor a lookup without the identity: the jti itself was not revoked')
  })

  t.test('the grace window is read on Redis\'s clock, whatever this instance\'s says', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const family = randomUUID()
    skewClock(t, -3_600_000) // an hour behind
    const redisBefore = await redisNow(admin)
    t.same((await store.useRefreshToken(use(family, 'a', { successorJti: 'b', expiresAt: null }))).outcome, 'rotated', 'first use')
    const { rotatedAt } = await state(family)
    t.ok(Number(rotatedAt) >= redisBefore, 'rotatedAt is Redis\'s time, not this instance\'s hour-old one')

    // As if first used 10 s ago, on Redis's clock.
    await admin.hset(`${prefix}rot:{${family}}`, 'rotatedAt', String(await redisNow(admin) - 10_000))
    skewClock(t, 3_600_000 * 2) // now an hour ahead
    t.same(await store.useRefreshToken(use(family, 'a', { graceMs: 60_000 })), { outcome: 'grace', successorJti: 'b' },
      '10 s after its first use, within a grace of 60 s')
    t.same(await store.useRefreshToken(use(family, 'a', { graceMs: 9_000 })), { outcome: 'reused' },
      'past a grace of 9 s: reused')
  })

  t.test('a family\'s state and revocation last as long as its longest-lived token', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const pttl = async (key: string) => admin.pttl(`${prefix}${key}`)
    const near = (actual: number, expected: number) => Math.abs(actual - expected) < 2000

    const family = randomUUID()
    await store.useRefreshToken(use(family, 'a', { successorJti: 'b', expiresAt: nowSeconds() + 600 }))
    let left = await pttl(`rot:{${family}}`)
    t.ok(near(left, 660_000), `PTTL ${left}: the state lives until expiresAt, plus a minute`)
    await store.useRefreshToken(use(family, 'b', { successorJti: 'c', expiresAt: nowSeconds() + 60 }))
    left = await pttl(`rot:{${family}}`)
    t.ok(near(left, 660_000), `PTTL ${left}: a shorter expiresAt never shortens it`)
    await store.useRefreshToken(use(family, 'c', { successorJti: 'd', expiresAt: nowSeconds() + 1200 }))
    left = await pttl(`rot:{${family}}`)
    t.ok(near(left, 1_260_000), `PTTL ${left}: a longer one extends it`)
    t.same(await store.useRefreshToken(use(family, 'a', { expiresAt: nowSeconds() + 60 })), { outcome: 'reused' }, 'an old token comes back')
    left = await pttl(`fam:{${family}}`)
    t.ok(near(left, 1_260_000), `PTTL ${left}: the family stays revoked as long as its state would have lived, not just the old token's time`)

    const forever = randomUUID()
    await store.useRefreshToken(use(forever, 'a', { successorJti: 'b', expiresAt: null }))
    t.equal(await pttl(`rot:{${forever}}`), -1, 'null: the state never expires')
    await store.useRefreshToken(use(forever, 'b', { successorJti: 'c', expiresAt: nowSeconds() + 60 }))
    t.equal(await pttl(`rot:{${forever}}`), -1, 'and a later finite expiresAt does not bound it')
    await store.useRefreshToken(use(forever, 'a', { expiresAt: nowSeconds() + 60 }))
    t.equal(await pttl(`fam:{${forever}}`), -1, 'nor its revocation')

    const later = randomUUID()
    await store.useRefreshToken(use(later, 'a', { successorJti: 'b', expiresAt: nowSeconds() + 60 }))
    await store.useRefreshToken(use(later, 'b', { successorJti: 'c', expiresAt: null }))
    t.equal(await pttl(`rot:{${later}}`), -1, 'a finite state made endless by a later null')
    await store.useRefreshToken(use(later, 'a', { expiresAt: null }))
    t.equal(await pttl(`fam:{${later}}`), -1, 'revoked for ever')
  })

  t.test('two instances on one Redis: rotated through one, reuse caught through the other', async (t) => {
    const one = createRedisDenylist(await connectedRedis(t), { prefix })
    const two = createRedisDenylist(await connectedRedis(t), { prefix })
    const family = randomUUID()
    t.same(await one.useRefreshToken(use(family, 'a', { successorJti: 'b', graceMs: 0 })), { outcome: 'rotated', successorJti: 'b' },
      'instance one rotates')
    t.same(await two.useRefreshToken(use(family, 'b', { successorJti: 'c' })), { outcome: 'rotated', successorJti: 'c' },
      'instance two rotates the successor: the chain is shared')
    t.same(await one.useRefreshToken(use(family, 'b', { successorJti: 'x' })), { outcome: 'grace', successorJti: 'c' },
      'instance one sees the grace of instance two\'s rotation')
    await admin.hset(`${prefix}rot:{${family}}`, 'rotatedAt', '0') // long ago
    t.same(await one.useRefreshToken(use(family, 'b')), { outcome: 'reused' }, 'reuse caught by instance one')
    t.same(await two.useRefreshToken(use(family, 'c')), { outcome: 'revoked' }, 'instance two refuses the family')
    t.equal(await two.has('c', { subject: 'u', family }), true, 'and its lookups too')
  })

  // Spread over two instances, as a burst of requests would be.
  async function concurrently (t: Test, count: number, family: string, jti: string, graceMs: number): Promise<RefreshTokenUseResult[]> {
    const stores = [
      createRedisDenylist(await connectedRedis(t), { prefix }),
      createRedisDenylist(await connectedRedis(t), { prefix })
    ]
    return Promise.all(Array.from({ length: count }, (_, i) => stores[i % 2].useRefreshToken(use(family, jti, { graceMs }))))
  }

  t.test('50 concurrent first uses of one token: one rotation, the others share its successor', async (t) => {
    const family = randomUUID()
    const results = await concurrently(t, 50, family, 'first', 60_000)
    const rotated = results.filter(result => result.outcome === 'rotated')
    t.equal(rotated.length, 1, 'at most one rotation for one jti, and here exactly one')
    t.same(outcomes(results), { rotated: 1, grace: 49 }, 'the others are within the grace window')
    t.ok(results.every(result => 'successorJti' in result && result.successorJti === (rotated[0] as { successorJti: string }).successorJti),
      'every answer carries the successor of the one rotation: the family stays one chain')
  })

  t.test('50 concurrent uses of one token after the grace window of its first use: never a second rotation', async (t) => {
    const family = randomUUID()
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    t.same((await store.useRefreshToken(use(family, 'used', { graceMs: 0 }))).outcome, 'rotated', 'the first use')
    const { rotatedAt } = await state(family)
    // A grace window of 0 ms ends when Redis's clock moves on.
    while (await redisNow(admin) <= Number(rotatedAt)) await new Promise(resolve => setImmediate(resolve))
    const results = await concurrently(t, 50, family, 'used', 0)
    t.equal(results.filter(result => result.outcome === 'rotated').length, 0, 'no second rotation of the jti')
    t.same(outcomes(results), { reused: 1, revoked: 49 }, 'one caught the reuse and revoked the family; the others found it revoked')
  })

  t.test('50 concurrent uses of a fresh token with no grace window: at most one rotation', async (t) => {
    const family = randomUUID()
    const results = await concurrently(t, 50, family, 'fresh', 0)
    const counts = outcomes(results)
    t.equal(counts.rotated, 1, 'exactly one rotation')
    t.ok((counts.reused ?? 0) <= 1, 'at most one reuse revokes the family')
    t.ok((counts.revoked ?? 0) === 0 || counts.reused === 1, 'revoked only after a reuse')
    t.equal(1 + (counts.grace ?? 0) + (counts.reused ?? 0) + (counts.revoked ?? 0), 50, 'nothing else')
  })

  t.test('a family\'s state that is not the store\'s fails closed', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const wrongType = randomUUID()
    await admin.set(`${prefix}rot:{${wrongType}}`, 'not a hash')
    await t.rejects(store.useRefreshToken(use(wrongType, 'a')), { constructor: DenylistError, message: 'Redis denylist useRefreshToken failed' },
      'a state of another type: the script fails, and so does the call')

    const garbled = randomUUID()
    await admin.hset(`${prefix}rot:{${garbled}}`, 'current', 'b', 'previous', 'a', 'rotatedAt', 'yesterday')
    t.same(await store.useRefreshToken(use(garbled, 'a')), { outcome: 'reused' },
      'the replaced token, with no readable time of rotation: no grace, the family is revoked')
  })

  t.test('a prefix with its own hash tag', async (t) => {
    const tagged = `${prefix}{app}:`
    const store = createRedisDenylist(await connectedRedis(t), { prefix: tagged })
    const family = randomUUID()
    t.same((await store.useRefreshToken(use(family, 'a', { successorJti: 'b' }))).outcome, 'rotated', 'rotates')
    t.equal(await admin.exists(`${tagged}rot:{${family}}`), 1, 'under the prefix')
  })
})

t.test('with a real Redis Cluster', async (t) => {
  const ports = await realRedisCluster(t)
  if (ports === null) return
  const families = Array.from({ length: 20 }, () => randomUUID())

  for (const enableAutoPipelining of [false, true]) {
    t.test(`an ioredis Cluster, enableAutoPipelining: ${enableAutoPipelining}: each family's keys on their node, caught across clients`, async (t) => {
      const one = await clusterClient(t, ports, { enableAutoPipelining })
      const two = await clusterClient(t, ports, { enableAutoPipelining })
      const prefix = `${randomUUID()}:`
      const [first, second] = [createRedisDenylist(one, { prefix }), createRedisDenylist(two, { prefix })]

      const rotated = await Promise.all(families.map(family => first.useRefreshToken(use(family, 'a', { successorJti: 'b', graceMs: 0 }))))
      t.ok(rotated.every(result => result.outcome === 'rotated'), 'every family rotated, whichever node holds it')
      for (const family of families) await one.hset(`${prefix}rot:{${family}}`, 'rotatedAt', '0') // long ago
      t.same(outcomes(await Promise.all(families.map(family => second.useRefreshToken(use(family, 'a'))))), { reused: families.length },
        'each reuse caught by the other client')
      t.ok((await Promise.all(families.map(family => first.has('b', { subject: 'u', family })))).every(Boolean),
        'and every family refused by lookups')
      const keysPerNode = await Promise.all(one.nodes('master').map(node => node.dbsize()))
      t.ok(keysPerNode.filter(keys => keys > 0).length > 1, `the families are spread over the nodes (${keysPerNode.join(', ')})`)
    })
  }

  t.test('concurrent first uses on a Cluster: one rotation', async (t) => {
    const stores = [createRedisDenylist(await clusterClient(t, ports)), createRedisDenylist(await clusterClient(t, ports))]
    const family = randomUUID()
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2].useRefreshToken(use(family, 'a'))))
    t.same(outcomes(results), { rotated: 1, grace: 49 }, 'one rotation, the others within its grace')
  })

  t.test('a family whose keys would not share a slot fails closed', async (t) => {
    // "}…": an empty hash tag, so Redis hashes each whole key.
    const store = createRedisDenylist(await clusterClient(t, ports))
    const split = families.map(family => `}${family}`)
    const results = await Promise.allSettled(split.map(family => store.useRefreshToken(use(family, 'a'))))
    t.ok(results.some(result => result.status === 'rejected'), 'some families\' keys fall in two slots')
    t.ok(results.every(result => result.status === 'fulfilled'
      ? result.value.outcome === 'rotated'
      : result.reason instanceof DenylistError && result.reason.message === 'Redis denylist useRefreshToken failed'),
    'each: rotated (both keys happened to share a slot), or DenylistError, never an outcome on half the state')
  })
})
