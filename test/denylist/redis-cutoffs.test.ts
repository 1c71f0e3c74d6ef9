// Subject cut-offs in the Redis store ("log out everywhere"): revokeSubject's
// script and how has() reads a cut-off, with a fake client; then against a
// real Redis (which cut-off and which TTL win) and a real Redis Cluster.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { DenylistError } from '../../lib/errors'
import { createRedisDenylist } from '../../lib/denylist/redis-store'
import { REVOKE_SUBJECT_SCRIPT } from '../../lib/denylist/redis-scripts'
import { connectedRedis, realRedis } from '../helpers/redis'
import { clusterClient, realRedisCluster } from '../helpers/redis-cluster'
import { fakeClient, fromValues, nowSeconds } from './fake-redis'

t.test('with a fake client', async (t) => {
  t.test('revokeSubject sends one EVAL of the cut-off script on the subject\'s key', async (t) => {
    const { client, calls } = fakeClient()
    const store = createRedisDenylist(client, { prefix: 'p:' })
    await store.revokeSubject('u', 1234, nowSeconds() + 60)
    t.equal(calls.length, 1, 'one command')
    const [command, script, numKeys, key, cutoff, ttl] = calls[0]
    t.same([command, script, numKeys, key, cutoff], ['eval', REVOKE_SUBJECT_SCRIPT, 1, 'p:sub:s:u', '1234'],
      'EVAL of the script on the string subject\'s key, the cut-off in decimal')
    t.ok(typeof ttl === 'string' && Number(ttl) > 119_000 && Number(ttl) <= 120_000,
      `TTL ${String(ttl)}: the time left until expiresAt plus a minute for instances whose clocks run behind`)

    await store.revokeSubject(7, -5, null)
    t.same(calls[1].slice(3), ['p:sub:n:7', '-5', ''], 'a number subject has a key of its own; null: no expiry')
    await store.revokeSubject('u', 1, 1e300)
    t.equal(calls[2][5], '', 'too far for an exact TTL: no expiry')
    await store.revokeSubject('u', 1, nowSeconds() - 5)
    t.ok(Number(calls[3][5]) > 54_000 && Number(calls[3][5]) <= 55_000, 'expired 5 s ago: kept the rest of the minute')
    await store.revokeSubject('u', 1, nowSeconds() - 61)
    t.equal(calls.length, 4, 'every token it covers expired over a minute ago: nothing sent')
  })

  t.test('a script that did not answer OK stored nothing: the revocation fails', async (t) => {
    for (const reply of ['QUEUED', null, 1, 'ok', ['OK']]) {
      const store = createRedisDenylist(fakeClient(() => Promise.resolve(reply)).client)
      await t.rejects(store.revokeSubject('u', 1, null), {
        constructor: DenylistError,
        message: 'Redis denylist revokeSubject was not stored'
      }, `reply ${JSON.stringify(reply)}`)
    }
  })

  t.test('has refuses a token of the subject issued before the cut-off', async (t) => {
    const store = createRedisDenylist(fakeClient(fromValues({ 'sub:s:u': '1000', 'sub:n:7': '-5' })).client, { prefix: '' })
    t.equal(await store.has('j', { subject: 'u', issuedAtMs: 999 }), true, 'issued before: revoked')
    t.equal(await store.has('j', { subject: 'u', issuedAtMs: 999.9 }), true, 'a fraction of a millisecond before: revoked')
    t.equal(await store.has('j', { subject: 'u', issuedAtMs: 1000 }), false, 'issued at the cut-off: not revoked')
    t.equal(await store.has('j', { subject: 'u', issuedAtMs: 1001 }), false, 'issued after: not revoked')
    t.equal(await store.has('j', { subject: 'u', issuedAt: 0 }), true, 'without issuedAtMs: counted as issued before any cut-off')
    t.equal(await store.has('j', { subject: 7, issuedAtMs: -6 }), true, 'a negative cut-off')
    t.equal(await store.has('j', { subject: '7', issuedAtMs: -6 }), false, '\'7\' is not 7')
    t.equal(await store.has('j', { subject: 'v', issuedAtMs: 0 }), false, 'another subject')
    t.equal(await store.has('j'), false, 'a lookup without the identity reads the jti only')
  })

  t.test('a cut-off as bytes is read as its text', async (t) => {
    const store = createRedisDenylist(fakeClient((_command, args) =>
      Promise.resolve((args[0] as string[]).map(key => key.includes(':sub:') ? Buffer.from('1000') : null))).client)
    t.same(await Promise.all([store.has('a', { subject: 'u', issuedAtMs: 999 }), store.has('b', { subject: 'u', issuedAtMs: 1000 })]),
      [true, false], 'compared as the number it spells')
  })

  t.test('a value that is not a cut-off fails closed', async (t) => {
    for (const value of ['', 'abc', '1.5', '1e3', ' 100', '100 ', '+5', '0x10', '9007199254740993', '٣']) {
      const store = createRedisDenylist(fakeClient(fromValues({ 'sub:s:u': value })).client, { prefix: '' })
      await t.rejects(store.has('j', { subject: 'u', issuedAtMs: Number.MAX_SAFE_INTEGER }), {
        constructor: DenylistError,
        code: 'FST_JWT_AUTH_DENYLIST_FAILED',
        message: 'Redis denylist lookup failed: a subject cut-off is not a number'
      }, `value ${JSON.stringify(value)}`)
    }
  })
})

t.test('with a real Redis', async (t) => {
  const redis = await realRedis(t, 'Redis tests')
  if (redis === null) return
  const { admin, prefix } = redis
  const near = (actual: number, expected: number) => Math.abs(actual - expected) < 2000

  t.test('before, at, after the cut-off, and without issuedAtMs', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const subject = randomUUID()
    const cutoff = Date.now()
    await store.revokeSubject(subject, cutoff, nowSeconds() + 120)
    t.equal(await admin.get(`${prefix}sub:s:${subject}`), String(cutoff), 'the cut-off is kept in decimal')
    t.same(await Promise.all([
      store.has(randomUUID(), { subject, issuedAtMs: cutoff - 1 }),
      store.has(randomUUID(), { subject, issuedAtMs: cutoff }),
      store.has(randomUUID(), { subject, issuedAtMs: cutoff + 1 }),
      store.has(randomUUID(), { subject, issuedAt: cutoff / 1000 })
    ]), [true, false, false, true], 'before: revoked; at or after: not; without issuedAtMs: revoked')
    t.equal(await store.has(randomUUID(), { subject: randomUUID(), issuedAtMs: cutoff - 1 }), false, 'another subject is untouched')
  })

  t.test('a string and a number subject have cut-offs of their own', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const number = Math.floor(Math.random() * 1e9)
    await store.revokeSubject(number, Date.now(), null)
    t.equal(await admin.exists(`${prefix}sub:n:${number}`), 1, 'the number subject\'s key')
    t.equal(await store.has('j', { subject: number, issuedAtMs: 0 }), true, 'the number subject is cut off')
    t.equal(await store.has('j', { subject: String(number), issuedAtMs: 0 }), false, 'the string that spells it is not')
  })

  t.test('a later cut-off replaces an earlier one; an earlier one never replaces a later one', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const subject = randomUUID()
    const key = `${prefix}sub:s:${subject}`
    await store.revokeSubject(subject, 2000, null)
    await store.revokeSubject(subject, 3000, null)
    t.equal(await admin.get(key), '3000', 'later replaces earlier')
    t.equal(await store.has('j', { subject, issuedAtMs: 2500 }), true, 'a token issued between them is revoked')
    await store.revokeSubject(subject, 1000, null)
    t.equal(await admin.get(key), '3000', 'earlier never replaces later')
    t.equal(await store.has('j', { subject, issuedAtMs: 2500 }), true, 'and that token stays revoked')
    await store.revokeSubject(subject, 3000, null)
    t.equal(await admin.get(key), '3000', 'the same cut-off again changes nothing')
  })

  t.test('the cut-off lasts as long as the longest-lived token it covers', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const subject = randomUUID()
    const key = `${prefix}sub:s:${subject}`
    await store.revokeSubject(subject, 1000, nowSeconds() + 120)
    let left = await admin.pttl(key)
    t.ok(near(left, 180_000), `PTTL ${left}: until expiresAt plus a minute`)
    await store.revokeSubject(subject, 2000, nowSeconds() + 60)
    left = await admin.pttl(key)
    t.ok(near(left, 180_000) && await admin.get(key) === '2000', `PTTL ${left}: a later cut-off with a shorter TTL keeps the longer TTL`)
    await store.revokeSubject(subject, 1500, nowSeconds() + 600)
    left = await admin.pttl(key)
    t.ok(near(left, 660_000) && await admin.get(key) === '2000', `PTTL ${left}: an earlier cut-off with a longer TTL extends it, keeping the later cut-off`)
    await store.revokeSubject(subject, 1000, null)
    t.equal(await admin.pttl(key), -1, 'null: for ever')
    await store.revokeSubject(subject, 5000, nowSeconds() + 60)
    t.ok(await admin.pttl(key) === -1 && await admin.get(key) === '5000', 'for ever stays for ever, under a later cut-off')

    const expired = randomUUID()
    await store.revokeSubject(expired, Date.now(), nowSeconds() - 65)
    t.equal(await admin.exists(`${prefix}sub:s:${expired}`), 0, 'covering only tokens expired over a minute ago: nothing stored')
  })

  t.test('two instances: cut off through one, refused by the other', async (t) => {
    const one = createRedisDenylist(await connectedRedis(t), { prefix })
    const two = createRedisDenylist(await connectedRedis(t), { prefix })
    const subject = randomUUID()
    const issuedAtMs = Date.now()
    t.equal(await two.has('j', { subject, issuedAtMs }), false, 'not yet')
    await one.revokeSubject(subject, issuedAtMs + 1, nowSeconds() + 60)
    t.equal(await two.has('j', { subject, issuedAtMs }), true, 'then refused')
  })

  t.test('a value under a subject\'s key that is not a cut-off', async (t) => {
    const store = createRedisDenylist(await connectedRedis(t), { prefix })
    const subject = randomUUID()
    const key = `${prefix}sub:s:${subject}`
    await admin.set(key, 'garbage', 'PX', 600_000)
    await t.rejects(store.has('j', { subject, issuedAtMs: 0 }), {
      constructor: DenylistError,
      message: 'Redis denylist lookup failed: a subject cut-off is not a number'
    }, 'fails the lookup closed')
    await store.revokeSubject(subject, 1000, nowSeconds() + 60)
    t.equal(await admin.get(key), '1000', 'revokeSubject replaces it with the cut-off')
    t.ok(near(await admin.pttl(key), 600_000), 'keeping the longer TTL')

    const wrongType = randomUUID()
    await admin.hset(`${prefix}sub:s:${wrongType}`, 'a', 'b')
    await t.rejects(store.revokeSubject(wrongType, 1000, null), {
      constructor: DenylistError,
      message: 'Redis denylist revokeSubject failed'
    }, 'a key of another type fails the revocation')
  })
})

t.test('with a real Redis Cluster', async (t) => {
  const ports = await realRedisCluster(t)
  if (ports === null) return
  const client = await clusterClient(t, ports, { enableAutoPipelining: true })
  const store = createRedisDenylist(client)
  const subjects = Array.from({ length: 20 }, (_, i) => i % 2 === 0 ? randomUUID() : Math.floor(Math.random() * 1e9))
  const cutoff = Date.now()
  await Promise.all(subjects.map(subject => store.revokeSubject(subject, cutoff, nowSeconds() + 60)))
  t.ok((await Promise.all(subjects.map(subject => store.has(randomUUID(), { subject, issuedAtMs: cutoff - 1 })))).every(Boolean),
    'each subject cut off, whichever node holds its key')
  t.notOk((await Promise.all(subjects.map(subject => store.has(randomUUID(), { subject, issuedAtMs: cutoff })))).some(Boolean),
    'tokens issued at the cut-off pass')
  const keysPerNode = await Promise.all(client.nodes('master').map(node => node.dbsize()))
  t.ok(keysPerNode.filter(keys => keys > 0).length > 1, `the keys are spread over the nodes (${keysPerNode.join(', ')})`)
})
