import t, { type Test } from 'tap'
import { ConfigError, DenylistError } from '../lib/errors'
import { createMemoryDenylist } from '../lib/denylist/memory-store'

const nowSeconds = (): number => Date.now() / 1000

// Date.now() under the test's control, so expiry is tested without waiting.
// Assigned directly rather than with t.intercept, which would record each of
// the million calls made by the load test.
function fakeClock (t: Test, start = Date.now()): { advance: (ms: number) => void, now: () => number } {
  const realNow = Date.now
  let now = start
  Date.now = () => now
  t.teardown(() => { Date.now = realNow })
  return { advance: (ms) => { now += ms }, now: () => now }
}

t.test('add then has', async (t) => {
  const store = createMemoryDenylist()
  t.equal(await store.has('a'), false, 'unknown jti is not revoked')
  t.equal(await store.add('a', nowSeconds() + 60), undefined, 'add resolves to nothing')
  t.equal(await store.has('a'), true)
  t.equal(await store.has('b'), false)
  await store.add('forever', null)
  t.equal(await store.has('forever'), true, 'null revokes forever')
})

t.test('an entry is forgotten once its expiresAt has passed', async (t) => {
  const clock = fakeClock(t)
  const store = createMemoryDenylist()
  const exp = clock.now() / 1000 + 10
  await store.add('short', exp)
  await store.add('forever', null)
  await store.add('fractional', exp + 0.5)

  clock.advance(9_999)
  t.equal(await store.has('short'), true, 'still revoked just before exp')
  clock.advance(1)
  t.equal(await store.has('short'), false, 'forgotten at exp')
  t.equal(await store.has('fractional'), true, 'fractional seconds are honoured')
  clock.advance(500)
  t.equal(await store.has('fractional'), false)

  clock.advance(10 * 365 * 24 * 3600 * 1000)
  t.equal(await store.has('forever'), true, 'null never expires')

  await store.add('short', clock.now() / 1000 + 5)
  t.equal(await store.has('short'), true, 'a forgotten jti can be revoked again')
})

t.test('an expiresAt already in the past stores nothing', async (t) => {
  const store = createMemoryDenylist({ maxEntries: 1 })
  await store.add('old', nowSeconds() - 1)
  await store.add('epoch', 0)
  t.equal(await store.has('old'), false)
  await store.add('fresh', nowSeconds() + 60)
  t.equal(await store.has('fresh'), true, 'the past entries took no room')
})

t.test('re-adding keeps the later expiry and does not count twice', async (t) => {
  const clock = fakeClock(t)
  const store = createMemoryDenylist({ maxEntries: 2 })
  const base = clock.now() / 1000

  await store.add('a', base + 10)
  await store.add('a', base + 20)
  await store.add('a', base + 5)
  await store.add('a', base - 5)
  await store.add('b', base + 10)
  t.equal(await store.has('a'), true)
  t.equal(await store.has('b'), true)
  // Re-adds of present entries need no room.
  await store.add('a', base + 20)
  await store.add('b', null)
  await t.rejects(store.add('c', base + 10), DenylistError, 'two distinct entries fill maxEntries 2')

  clock.advance(15_000)
  t.equal(await store.has('a'), true, 'the later expiry (20s) was kept')
  clock.advance(10_000)
  t.equal(await store.has('a'), false, 'and honoured')
  t.equal(await store.has('b'), true, 'null wins over a finite expiry')
  await store.add('b', base + 1000)
  clock.advance(1_000_000)
  t.equal(await store.has('b'), true, 'a finite expiry does not shorten forever')
})

t.test('when full, add drops expired entries first, then refuses', async (t) => {
  const clock = fakeClock(t)
  const store = createMemoryDenylist({ maxEntries: 3 })
  const base = clock.now() / 1000
  await store.add('a', base + 1)
  await store.add('b', base + 2)
  await store.add('c', null)

  const err = await store.add('d', base + 60).then(() => null, (e: unknown) => e)
  t.ok(err instanceof DenylistError, 'full: DenylistError')
  t.match(err, {
    code: 'FST_JWT_AUTH_DENYLIST_FAILED',
    statusCode: 500,
    message: /^Denylist is full: 3 unexpired/
  })
  t.notMatch((err as Error).message, /\bd\b/, 'the message does not carry the jti')
  t.equal(await store.has('d'), false, 'the refused jti was not stored')
  t.equal(await store.has('a'), true, 'nothing was evicted to make room')

  clock.advance(1000)
  await store.add('d', base + 60)
  t.equal(await store.has('d'), true, 'the expired entry made room')
  await t.rejects(store.add('e', base + 60), DenylistError, 'full again')

  clock.advance(1000)
  t.equal(await store.has('b'), false, 'has() forgets an expired entry')
  await store.add('e', base + 60)
  t.equal(await store.has('e'), true, 'and its room is reused')
  await t.rejects(store.add('f', null), DenylistError)
})

t.test('many re-adds of one jti stay bounded', async (t) => {
  const clock = fakeClock(t)
  const store = createMemoryDenylist({ maxEntries: 2 })
  const base = clock.now() / 1000
  await store.add('other', base + 1)
  for (let i = 1; i <= 100; i++) {
    await store.add('same', base + i)
  }
  await store.add('same', null)
  await t.rejects(store.add('third', base + 500), DenylistError, 'still two entries')
  clock.advance(1000)
  await store.add('third', base + 500)
  t.equal(await store.has('same'), true)
  t.equal(await store.has('third'), true)
  t.equal(await store.has('other'), false)
})

t.test('entries expire in expiry order, whatever the insertion order', async (t) => {
  const clock = fakeClock(t)
  const store = createMemoryDenylist({ maxEntries: 1000 })
  const base = clock.now() / 1000
  // A fixed shuffle of 1..500 (multiplying by a unit mod 503), so the heap
  // sees rises and falls in both directions.
  const offsets = Array.from({ length: 500 }, (_, i) => ((i + 1) * 211) % 503)
  for (const offset of offsets) {
    await store.add(`jti-${offset}`, base + offset)
  }
  for (let second = 1; second <= 502; second += 7) {
    clock.advance(7000)
    await store.add(`tick-${second}`, base + 10_000) // an add runs the forgetting
    for (const offset of offsets) {
      const expected = offset > second + 6
      if (await store.has(`jti-${offset}`) !== expected) {
        t.fail(`jti-${offset} at +${second + 6}s: expected ${expected}`)
        return
      }
    }
  }
  t.pass('every entry answered by its own expiry')
})

t.test('bad options throw ConfigError naming maxEntries', async (t) => {
  for (const maxEntries of [0, -1, 1.5, NaN, Infinity, 2 ** 53, '10' as unknown as number]) {
    t.throws(() => createMemoryDenylist({ maxEntries }), {
      constructor: ConfigError,
      code: 'FST_JWT_AUTH_CONFIG',
      message: /maxEntries/
    }, `maxEntries ${String(maxEntries)}`)
  }
  t.doesNotThrow(() => createMemoryDenylist({}))
  t.doesNotThrow(() => createMemoryDenylist({ maxEntries: 1 }))
})

t.test('bad arguments reject with TypeError', async (t) => {
  const store = createMemoryDenylist()
  const anyStore = store as unknown as { add: (...args: unknown[]) => Promise<void>, has: (...args: unknown[]) => Promise<boolean> }
  for (const jti of ['', undefined, null, 42, {}]) {
    await t.rejects(anyStore.add(jti, null), TypeError, `add jti ${String(jti)}`)
    await t.rejects(anyStore.has(jti), TypeError, `has jti ${String(jti)}`)
  }
  for (const expiresAt of [undefined, NaN, Infinity, -Infinity, '123', {}]) {
    await t.rejects(anyStore.add('a', expiresAt), { constructor: TypeError, message: /expiresAt/ },
      `expiresAt ${String(expiresAt)}`)
  }
  t.equal(await store.has('a'), false, 'nothing was stored')
})

t.test('a million revocations stay within maxEntries and forget the expired', async (t) => {
  const clock = fakeClock(t)
  const maxEntries = 10_000
  const store = createMemoryDenylist({ maxEntries })
  const perSecond = 1000
  const lifetime = 5 // seconds: about 5000 entries alive at any time
  const total = 1_000_000
  const started = performance.now()
  for (let i = 0; i < total; i++) {
    if (i % perSecond === 0 && i > 0) clock.advance(1000)
    // One in ten is already expired when revoked, as a late logout would be.
    const expiresAt = clock.now() / 1000 + (i % 10 === 0 ? -1 : lifetime)
    await store.add(`jti-${i}`, expiresAt)
  }
  const elapsed = performance.now() - started
  // Most of this is tap's promise tracking: plain node does it in about 1 s.
  t.comment(`${total} adds in ${Math.round(elapsed)} ms`)
  t.ok(elapsed < 20_000, 'fast enough')

  t.equal(await store.has('jti-1'), false, 'an early entry is forgotten')
  t.equal(await store.has(`jti-${total - 10}`), false, 'an already-expired revocation was never kept')
  t.equal(await store.has(`jti-${total - 1}`), true, 'a recent entry is revoked')

  // Fill what is left: the room equals maxEntries minus the live entries, so
  // everything expired has been dropped and the bound holds.
  const live = lifetime * perSecond * 0.9
  let room = 0
  for (;;) {
    const added = await store.add(`fill-${room}`, null).then(() => true, () => false)
    if (!added) break
    room++
  }
  t.equal(room, maxEntries - live, `room left for ${maxEntries - live} more`)
})
