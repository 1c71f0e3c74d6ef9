// The memory store: expiry without timers, its bounds, and the per-subject
// cut-off that one subject's revocations fold into. Time is a fake clock
// (test/helpers/clock.ts), so expiry is tested without waiting.
import t, { type Test } from 'tap'
import { ConfigError, DenylistError } from '../../lib/errors'
import { createMemoryDenylist } from '../../lib/denylist/memory-store'
import type { TokenIdentity } from '../../lib/denylist/store'
import { fakeClock } from '../helpers/clock'

const nowSeconds = (): number => Date.now() / 1000

t.test('add then has', async (t) => {
  const store = createMemoryDenylist()
  t.equal(await store.has('a'), false, 'unknown jti is not revoked')
  t.equal(await store.add('a', nowSeconds() + 60), undefined, 'add resolves to nothing')
  t.equal(await store.has('a'), true, 'an added jti is revoked')
  t.equal(await store.has('b'), false, 'another jti is not')
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
  t.equal(await store.has('fractional'), false, 'forgotten at its fractional expiry')

  clock.advance(10 * 365 * 24 * 3600 * 1000)
  t.equal(await store.has('forever'), true, 'null never expires')

  await store.add('short', clock.now() / 1000 + 5)
  t.equal(await store.has('short'), true, 'a forgotten jti can be revoked again')
})

t.test('an expiresAt already in the past stores nothing', async (t) => {
  const store = createMemoryDenylist({ maxEntries: 1 })
  await store.add('old', nowSeconds() - 1)
  await store.add('epoch', 0)
  t.equal(await store.has('old'), false, 'a jti added with a past expiry is not revoked')
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
  t.equal(await store.has('a'), true, 'a is revoked')
  t.equal(await store.has('b'), true, 'b is revoked')
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
    message: 'The denylist is full: revocation refused'
  }, 'full: the fixed message')
  t.notMatch((err as Error).message, /\d/, 'the message does not reveal maxEntries')
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
  await t.rejects(store.add('f', null), DenylistError, 'full again')
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
  t.equal(await store.has('same'), true, 'the jti re-added many times is revoked for ever')
  t.equal(await store.has('third'), true, 'the new entry fitted once the other expired')
  t.equal(await store.has('other'), false, 'the expired entry is forgotten')
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
  t.doesNotThrow(() => createMemoryDenylist({}), 'no options: the defaults')
  t.doesNotThrow(() => createMemoryDenylist({ maxEntries: 1 }), 'maxEntries 1 is accepted')
})

// Which values are bad is in test/denylist/store.test.ts; here, that the
// store applies the checks to each argument and stores nothing.
t.test('bad arguments reject with TypeError', async (t) => {
  const store = createMemoryDenylist()
  const anyStore = store as unknown as { add: (...args: unknown[]) => Promise<void>, has: (...args: unknown[]) => Promise<boolean> }
  await t.rejects(anyStore.add('', null), { constructor: TypeError, message: /jti/ }, 'add checks the jti')
  await t.rejects(anyStore.has(''), { constructor: TypeError, message: /jti/ }, 'has checks the jti')
  await t.rejects(anyStore.add('a', NaN), { constructor: TypeError, message: /expiresAt/ }, 'add checks expiresAt')
  await t.rejects(anyStore.add('a', null, { subject: '' }), { constructor: TypeError, message: /subject/ },
    'add checks the token\'s identity')
  await t.rejects(anyStore.has('a', { subject: 'alice', issuedAt: '5' }), { constructor: TypeError, message: /issuedAt/ },
    'has checks the token\'s identity')
  t.equal(await store.has('a'), false, 'nothing was stored')
})

t.test('a million revocations stay within maxEntries and forget the expired', async (t) => {
  const clock = fakeClock(t)
  const maxEntries = 10_000
  const store = createMemoryDenylist({ maxEntries })
  const perSecond = 1000
  const lifetime = 5 // seconds: about 5000 entries alive at any time
  const total = 1_000_000
  for (let i = 0; i < total; i++) {
    if (i % perSecond === 0 && i > 0) clock.advance(1000)
    // One in ten is already expired when revoked, as a late logout would be.
    const expiresAt = clock.now() / 1000 + (i % 10 === 0 ? -1 : lifetime)
    await store.add(`jti-${i}`, expiresAt)
  }

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

// Per subject: the cut-off that one subject's revocations fold into.

// Half a second into a whole second, so that "now in whole seconds" is
// rounded down, not merely equal.
const START = 1_700_000_000_500
const SECOND = Math.floor(START / 1000)

// A token's identity, as the plugin hands it to the store.
const of = (subject: string | number, issuedAt?: number): TokenIdentity => ({ subject, issuedAt })

t.test('maxEntriesPerSubject is validated like maxEntries', async (t) => {
  for (const maxEntriesPerSubject of [0, -1, 1.5, NaN, Infinity, 2 ** 53, '10' as unknown as number]) {
    t.throws(() => createMemoryDenylist({ maxEntriesPerSubject }), {
      constructor: ConfigError,
      code: 'FST_JWT_AUTH_CONFIG',
      message: /maxEntriesPerSubject/
    }, `maxEntriesPerSubject ${String(maxEntriesPerSubject)} is refused`)
  }
  t.doesNotThrow(() => createMemoryDenylist({ maxEntriesPerSubject: 1 }), '1 is accepted')
})

t.test('one subject past maxEntriesPerSubject is folded into a cut-off', async (t) => {
  fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntries: 5, maxEntriesPerSubject: 3 })
  const exp = SECOND + 3600
  const revoked: Array<[string, number]> = [['a1', SECOND - 300], ['a2', SECOND - 200], ['a3', SECOND - 100]]
  for (const [jti, issuedAt] of revoked) await store.add(jti, exp, of('alice', issuedAt))
  t.equal(await store.has('kept', of('alice', SECOND - 250)), false, 'at the limit, alice\'s other tokens still pass')

  revoked.push(['a4', SECOND - 50])
  await store.add('a4', exp, of('alice', SECOND - 50))
  for (const [jti, issuedAt] of revoked) {
    t.equal(await store.has(jti, of('alice', issuedAt)), true, `${jti} stays revoked after the fold`)
  }
  t.equal(await store.has('kept', of('alice', SECOND - 250)), true, 'the cut-off also refuses alice\'s other older tokens')
  t.equal(await store.has('kept', of('alice', SECOND - 50)), true, 'and those issued in the second of the last folded one')
  t.equal(await store.has('later', of('alice', SECOND - 49)), false, 'a token issued after the cut-off passes')
  t.equal(await store.has('later', of('alice', SECOND)), false, 'a new login in the second of the fold passes too')
  t.equal(await store.has('bobs', of('bob', SECOND - 300)), false, 'another subject is untouched')

  // The four entries became one cut-off: four more entries fit, not five.
  for (const jti of ['p1', 'p2', 'p3', 'p4']) await store.add(jti, exp)
  await t.rejects(store.add('p5', exp), DenylistError, 'the cut-off takes one of maxEntries, the folded entries none')
})

t.test('the cut-off covers tokens issued up to the latest issuedAt, and no further', async (t) => {
  fakeClock(t, START)
  const exp = SECOND + 3600

  t.test('all issued in the past: up to the latest of them, not up to now', async (t) => {
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    for (const jti of ['a1', 'a2', 'a3']) await store.add(jti, exp, of('alice', SECOND - 600))
    t.equal(await store.has('x', of('alice', SECOND - 600)), true, 'a token issued in that second is covered')
    t.equal(await store.has('x', of('alice', SECOND - 599)), false, 'one issued the next second is not')
    t.equal(await store.has('x', of('alice', SECOND)), false, 'nor one issued now: logging in again works at once')
  })

  t.test('a listed token issued later than now (within the leeway): up to its issuedAt', async (t) => {
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    await store.add('a1', exp, of('alice', SECOND + 30))
    await store.add('a2', exp, of('alice', SECOND - 600))
    await store.add('a3', exp, of('alice', SECOND - 600))
    t.equal(await store.has('x', of('alice', SECOND + 30)), true, 'up to the latest listed issuedAt')
    t.equal(await store.has('x', of('alice', SECOND + 31)), false, 'and no further')
  })

  t.test('the revocation that folds issued latest: up to its issuedAt', async (t) => {
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    await store.add('a1', exp, of('alice', SECOND - 600))
    await store.add('a2', exp, of('alice', SECOND - 600))
    await store.add('a3', exp, of('alice', SECOND + 20))
    t.equal(await store.has('x', of('alice', SECOND + 20)), true, 'up to the new token\'s issuedAt')
    t.equal(await store.has('x', of('alice', SECOND + 21)), false, 'and no further')
  })
})

t.test('the cut-off lasts until the last folded revocation would expire; null wins', async (t) => {
  t.test('the latest expiry among the listed ones', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    await store.add('a1', SECOND + 10, of('alice', SECOND - 60))
    await store.add('a2', SECOND + 30, of('alice', SECOND - 60))
    await store.add('a3', SECOND + 20, of('alice', SECOND - 60))
    clock.advance(29_499)
    t.equal(await store.has('a1', of('alice', SECOND - 60)), true, 'every folded token is refused until the latest expiry')
    clock.advance(1)
    t.equal(await store.has('a2', of('alice', SECOND - 60)), false, 'forgotten once the latest has expired')
  })

  t.test('the expiry of the revocation that folds', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    await store.add('b1', SECOND + 10, of('bob', SECOND - 60))
    await store.add('b2', SECOND + 10, of('bob', SECOND - 60))
    await store.add('b3', SECOND + 50, of('bob', SECOND - 60))
    clock.advance((SECOND + 50) * 1000 - START - 1)
    t.equal(await store.has('b1', of('bob', SECOND - 60)), true, 'held until the new revocation expires')
    clock.advance(1)
    t.equal(await store.has('b3', of('bob', SECOND - 60)), false, 'and then forgotten')
  })

  t.test('a revocation forever makes a cut-off forever', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    await store.add('c1', SECOND + 10, of('carol', SECOND - 60))
    await store.add('c2', null, of('carol', SECOND - 60))
    await store.add('c3', SECOND + 10, of('carol', SECOND - 60))
    clock.advance(10 * 365 * 24 * 3600 * 1000)
    t.equal(await store.has('c1', of('carol', SECOND - 60)), true, 'still revoked ten years later')
  })
})

t.test('a token without issuedAt', async (t) => {
  t.test('is listed like any other while its subject has no cut-off', async (t) => {
    fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    await store.add('a1', SECOND + 60, of('alice'))
    t.equal(await store.has('a1', of('alice')), true, 'its jti is revoked')
    t.equal(await store.has('other', of('alice')), false, 'another token without issuedAt is not')
  })

  t.test('folded with no issuedAt at all: the cut-off covers tokens without issuedAt only', async (t) => {
    fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    for (const jti of ['a1', 'a2', 'a3']) await store.add(jti, SECOND + 10, of('alice'))
    t.equal(await store.has('a1', of('alice')), true, 'a folded token without issuedAt stays revoked')
    t.equal(await store.has('other', of('alice')), true, 'as is any token of alice without issuedAt')
    t.equal(await store.has('other', of('alice', 0)), false, 'a token with any issuedAt passes')
    t.equal(await store.has('other', of('alice', SECOND)), false, 'one issued now too')
  })

  t.test('revoked while a cut-off holds: covered, and the cut-off lives as long as it must', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntries: 2, maxEntriesPerSubject: 1 })
    await store.add('a1', SECOND + 10, of('alice', SECOND - 60))
    await store.add('a2', SECOND + 10, of('alice', SECOND - 60))
    await store.add('late', SECOND + 100, of('alice'))
    await store.add('p1', null)
    await t.rejects(store.add('p2', null), DenylistError, 'the covered revocation took no entry')
    clock.advance(50_000)
    t.equal(await store.has('late', of('alice')), true, 'still revoked after the folded ones expired')
    clock.advance(50_000)
    t.equal(await store.has('late', of('alice')), false, 'forgotten once it has expired itself')
  })
})

t.test('revocations the cut-off covers take no room and keep it alive as long as needed', async (t) => {
  const clock = fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntries: 3, maxEntriesPerSubject: 2 })
  for (const jti of ['a1', 'a2', 'a3']) await store.add(jti, SECOND + 10, of('alice', SECOND - 60))
  for (let i = 1; i <= 10; i++) {
    await store.add(`covered-${i}`, SECOND + 50 * i, of('alice', SECOND - i))
  }
  await store.add('p1', null)
  await store.add('p2', null)
  await t.rejects(store.add('p3', null), DenylistError, 'ten covered revocations took no room: the cut-off is one entry')

  clock.advance(499_499)
  t.equal(await store.has('covered-10', of('alice', SECOND - 10)), true, 'the last covered revocation holds until its expiry')
  t.equal(await store.has('a1', of('alice', SECOND - 60)), true, 'and so do the folded ones')
  clock.advance(1)
  t.equal(await store.has('covered-10', of('alice', SECOND - 10)), false, 'then the cut-off is gone')
})

t.test('newer revocations count again, and fold again moving the cut-off forward', async (t) => {
  const clock = fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntries: 4, maxEntriesPerSubject: 2 })
  for (const jti of ['a1', 'a2', 'a3']) await store.add(jti, SECOND + 100, of('alice', SECOND - 10))

  clock.advance(5000) // now SECOND + 5.5
  await store.add('n1', SECOND + 50, of('alice', SECOND + 3))
  await store.add('n2', SECOND + 200, of('alice', SECOND + 4))
  t.equal(await store.has('between', of('alice', SECOND + 2)), false, 'two newer ones listed: the cut-off has not moved')
  await store.add('p1', null)
  await t.rejects(store.add('p2', null), DenylistError, 'the cut-off and the two newer entries count, with p1 the store is full')

  await store.add('n3', SECOND + 60, of('alice', SECOND + 5))
  for (const [jti, issuedAt] of [['a1', SECOND - 10], ['n1', SECOND + 3], ['n2', SECOND + 4], ['n3', SECOND + 5]] as const) {
    t.equal(await store.has(jti, of('alice', issuedAt)), true, `${jti} is revoked after the second fold`)
  }
  t.equal(await store.has('between', of('alice', SECOND + 2)), true, 'the cut-off moved forward')
  t.equal(await store.has('after', of('alice', SECOND + 6)), false, 'to the latest issuedAt, now in whole seconds')
  await store.add('p2', null)
  await store.add('p3', null)
  await t.rejects(store.add('p4', null), DenylistError, 'the subject still takes one entry: two were freed')

  clock.advance(145_000) // SECOND + 150.5: past the first cut-off's expiry
  t.equal(await store.has('a1', of('alice', SECOND - 10)), true, 'the cut-off now lasts until the latest expiry, SECOND + 200')
  clock.advance(49_500)
  t.equal(await store.has('a1', of('alice', SECOND - 10)), false, 'and then ends')
})

t.test('subjects are keyed by type and value: \'1\' is not 1', async (t) => {
  fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntriesPerSubject: 1 })
  await store.add('s1', SECOND + 60, of('1', SECOND - 10))
  await store.add('s2', SECOND + 60, of('1', SECOND - 10))
  t.equal(await store.has('x', of('1', SECOND - 10)), true, 'the string subject \'1\' has a cut-off')
  t.equal(await store.has('x', of(1, SECOND - 10)), false, 'the number 1 is another subject')

  await store.add('n1', SECOND + 60, of(1, SECOND - 10))
  t.equal(await store.has('x', of(1, SECOND - 10)), false, 'one listed revocation of 1: no cut-off yet')
  await store.add('n2', SECOND + 60, of(1, SECOND - 10))
  t.equal(await store.has('x', of(1, SECOND - 10)), true, 'a number subject folds too')
  t.equal(await store.has('x', of(2, SECOND - 10)), false, 'and only that number')
})

t.test('per-subject counts stay exact when entries expire', async (t) => {
  t.test('dropped by an add', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 3 })
    await store.add('a1', SECOND + 10, of('alice', SECOND - 10))
    await store.add('a2', SECOND + 100, of('alice', SECOND - 10))
    await store.add('a3', SECOND + 100, of('alice', SECOND - 10))
    clock.advance(9_500)
    await store.add('a4', SECOND + 100, of('alice', SECOND - 10))
    t.equal(await store.has('kept', of('alice', SECOND - 20)), false, 'no fold: the expired entry no longer counts')
    await store.add('a5', SECOND + 100, of('alice', SECOND - 10))
    t.equal(await store.has('kept', of('alice', SECOND - 20)), true, 'one more past the limit folds')
  })

  t.test('forgotten by a lookup', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 3 })
    await store.add('b1', SECOND + 20, of('bob', SECOND - 10))
    await store.add('b2', SECOND + 100, of('bob', SECOND - 10))
    await store.add('b3', SECOND + 100, of('bob', SECOND - 10))
    clock.advance((SECOND + 20) * 1000 - START)
    t.equal(await store.has('b1', of('bob', SECOND - 10)), false, 'the lookup forgets the expired entry')
    await store.add('b4', SECOND + 100, of('bob', SECOND - 10))
    t.equal(await store.has('kept', of('bob', SECOND - 20)), false, 'no fold: the forgotten entry no longer counts')
  })

  t.test('after a fold, the subject starts counting from zero', async (t) => {
    fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 2 })
    for (const jti of ['c1', 'c2', 'c3']) await store.add(jti, SECOND + 100, of('carol', SECOND - 10))
    await store.add('c4', SECOND + 100, of('carol', SECOND + 5))
    await store.add('c5', SECOND + 100, of('carol', SECOND + 6))
    t.equal(await store.has('between', of('carol', SECOND + 3)), false, 'two newer entries listed: no second fold yet')
    await store.add('c6', SECOND + 100, of('carol', SECOND + 7))
    t.equal(await store.has('between', of('carol', SECOND + 3)), true, 'the third folds')
  })
})

t.test('a cut-off is forgotten once it expires, and its entry is free again', async (t) => {
  const foldAlice = async (t: Test, store: ReturnType<typeof createMemoryDenylist>) => {
    await store.add('a1', SECOND + 10, of('alice', SECOND - 60))
    await store.add('a2', SECOND + 10, of('alice', SECOND - 60))
    await store.add('p', SECOND + 1000)
    await t.rejects(store.add('q', SECOND + 1000), DenylistError, 'the cut-off and p fill maxEntries 2')
  }

  t.test('dropped by an add', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntries: 2, maxEntriesPerSubject: 1 })
    await foldAlice(t, store)
    clock.advance(9_500)
    await store.add('q', SECOND + 1000)
    t.equal(await store.has('q'), true, 'the expired cut-off made room')
    t.equal(await store.has('a1', of('alice', SECOND - 60)), false, 'and no longer refuses alice\'s tokens')
  })

  t.test('forgotten by a lookup', async (t) => {
    const clock = fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntries: 2, maxEntriesPerSubject: 1 })
    await foldAlice(t, store)
    clock.advance(9_500)
    t.equal(await store.has('x', of('alice', SECOND - 60)), false, 'the lookup finds it expired')
    await store.add('q', SECOND + 1000)
    t.equal(await store.has('q'), true, 'and its entry was freed')
    await store.add('a3', SECOND + 1000, of('alice', SECOND - 60))
      .then(() => t.fail('a3 should not fit'), (error: unknown) => t.ok(error instanceof DenylistError, 'full again with p and q'))
  })
})

t.test('lookups that cannot use a cut-off', async (t) => {
  fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntriesPerSubject: 1 })
  await store.add('a1', SECOND + 60, of('alice', SECOND - 10))
  await store.add('a2', SECOND + 60, of('alice', SECOND - 10))
  await store.add('b1', SECOND + 60, of('bob', SECOND - 10))
  // A hook calling has(jti) alone would read "not revoked" for a folded jti.
  await t.rejects(store.has('a1'), { constructor: DenylistError, message: /needs the token's identity/ },
    'once any subject has a cut-off, has(jti) without the token fails closed instead of answering false')
  await t.rejects(store.has('b1'), DenylistError, 'for every jti: the store cannot tell which ones were folded')
  t.equal(await store.has('a1', of('alice', SECOND - 10)), true, 'with the token, the folded jti is revoked')
  t.equal(await store.has('b1', of('bob', SECOND - 10)), true, 'a listed jti is revoked')
  t.equal(await store.has('b2', of('bob', SECOND - 20)), false, 'bob has listed entries but no cut-off')

  const fresh = createMemoryDenylist({ maxEntriesPerSubject: 1 })
  await fresh.add('c1', SECOND + 60, of('carol', SECOND - 10))
  t.equal(await fresh.has('c1'), true, 'with no cut-off anywhere, has(jti) alone still answers')
})

t.test('a jti named again for another subject is kept by jti alone: no fold can take it away', async (t) => {
  // An issuer whose jtis repeat (a per-user counter, one session id on two tokens).
  fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntriesPerSubject: 1 })
  await store.add('shared', SECOND + 60, of('bob', SECOND - 10))
  await store.add('shared', SECOND + 60, of('alice', SECOND - 10))
  await store.add('alice-1', SECOND + 60, of('alice', SECOND - 5))
  await store.add('alice-2', SECOND + 60, of('alice', SECOND - 5))
  t.equal(await store.has('shared', of('bob', SECOND - 10)), true, "bob's revocation survives alice's fold")
  await store.add('bob-1', SECOND + 60, of('bob', SECOND - 5))
  await store.add('bob-2', SECOND + 60, of('bob', SECOND - 5))
  t.equal(await store.has('shared', of('alice', SECOND - 10)), true, "and alice's survives bob's")
  await store.add('plain', SECOND + 60, of('dave', SECOND - 10))
  await store.add('plain', SECOND + 60)
  await store.add('dave-1', SECOND + 60, of('dave', SECOND - 5))
  await store.add('dave-2', SECOND + 60, of('dave', SECOND - 5))
  t.equal(await store.has('plain', of('erin', SECOND)), true, 'named again without a subject: kept by jti alone too')
})

t.test('when full with many subjects, add refuses; folds and covered revocations still go through', async (t) => {
  fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntries: 9, maxEntriesPerSubject: 3 })
  for (const subject of ['s1', 's2', 's3']) {
    for (let i = 1; i <= 3; i++) await store.add(`${subject}-${i}`, SECOND + 60, of(subject, SECOND - 10))
  }
  const refused = await store.add('s4-1', SECOND + 60, of('s4', SECOND - 10)).then(() => null, (e: unknown) => e)
  t.ok(refused instanceof DenylistError, 'a new subject is refused: DenylistError')
  t.match(refused, { code: 'FST_JWT_AUTH_DENYLIST_FAILED', statusCode: 500, message: 'The denylist is full: revocation refused' },
    'with the fixed message')
  t.notMatch((refused as Error).message, /\d/, 'no limit in the message')
  await t.rejects(store.add('plain', SECOND + 60), DenylistError, 'an entry without subject is refused')
  t.equal(await store.has('s4-1', of('s4', SECOND - 10)), false, 'the refused revocation was not stored')

  await store.add('s1-4', SECOND + 60, of('s1', SECOND - 10))
  t.equal(await store.has('s1-4', of('s1', SECOND - 10)), true, 'a fold needs no room')
  await store.add('s4-1', SECOND + 60, of('s4', SECOND - 10))
  await store.add('s4-2', SECOND + 60, of('s4', SECOND - 10))
  await t.rejects(store.add('s4-3', SECOND + 60, of('s4', SECOND - 10)), DenylistError, 'the fold freed two entries, no more')
  await store.add('s1-5', SECOND + 600, of('s1', SECOND - 10))
  t.equal(await store.has('s1-5', of('s1', SECOND - 10)), true, 'a revocation the cut-off covers needs no room')
  await t.rejects(store.add('s1-6', SECOND + 600, of('s1', SECOND - 5)), DenylistError,
    'one issued after the cut-off needs room again')
})

t.test('compacting the heap keeps every cut-off and its expiry', async (t) => {
  const clock = fakeClock(t, START)
  const store = createMemoryDenylist({ maxEntries: 4, maxEntriesPerSubject: 1 })
  // A finite cut-off for a string and for a number subject, one forever, and a subject with a listed entry only.
  await store.add('a1', SECOND + 100, of('alice', SECOND - 10))
  await store.add('a2', SECOND + 100, of('alice', SECOND - 10))
  await store.add('n1', SECOND + 200, of(7, SECOND - 10))
  await store.add('n2', SECOND + 200, of(7, SECOND - 10))
  await store.add('c1', null, of('carol', SECOND - 10))
  await store.add('c2', SECOND + 10, of('carol', SECOND - 10))
  await store.add('d1', SECOND + 300, of('dave', SECOND - 10))
  // Each covered revocation that outlives the cut-off pushes a node: more than 2 × maxEntries of them compact the heap.
  for (let i = 1; i <= 20; i++) await store.add(`a-late-${i}`, SECOND + 100 + i, of('alice', SECOND - 10))
  await t.rejects(store.add('x1', SECOND + 1000), DenylistError, 'four entries: three cut-offs and dave\'s')

  clock.advance(119_499)
  t.equal(await store.has('a1', of('alice', SECOND - 10)), true, 'alice\'s cut-off holds until its last extension')
  await t.rejects(store.add('x1', SECOND + 1000), DenylistError, 'still full')
  clock.advance(1)
  await store.add('x1', SECOND + 1000)
  t.equal(await store.has('a1', of('alice', SECOND - 10)), false, 'alice\'s cut-off expired at SECOND + 120')
  t.equal(await store.has('n1', of(7, SECOND - 10)), true, '7\'s cut-off holds until SECOND + 200')
  await t.rejects(store.add('x2', SECOND + 1000), DenylistError, 'full again')

  clock.advance(80_000)
  await store.add('x2', SECOND + 1000)
  t.equal(await store.has('n1', of(7, SECOND - 10)), false, '7\'s cut-off expired at SECOND + 200')
  clock.advance(100_000)
  await store.add('x3', SECOND + 1000)
  t.equal(await store.has('d1', of('dave', SECOND - 10)), false, 'dave\'s entry expired at SECOND + 300')
  t.equal(await store.has('c2', of('carol', SECOND - 10)), true, 'carol\'s cut-off is forever')
  await t.rejects(store.add('x4', SECOND + 1000), DenylistError, 'carol, x1, x2 and x3 fill the store')
})

t.test('with the default options, one subject revoking without end cannot fill the store, and every revocation holds', async (t) => {
  const clock = fakeClock(t, START)
  const store = createMemoryDenylist()
  const total = 110_000 // more than the default maxEntries
  const issuedAt = (i: number): number => Math.floor((START + 3 * (i + 1)) / 1000)
  for (let i = 0; i < total; i++) {
    clock.advance(3) // a login and a logout every 3 ms
    await store.add(`m-${i}`, issuedAt(i) + 2_592_000, of('mallory', issuedAt(i)))
  }
  let stillRevoked = 0
  for (let i = 0; i < total; i++) {
    if (await store.has(`m-${i}`, of('mallory', issuedAt(i)))) stillRevoked++
  }
  t.equal(stillRevoked, total, 'every one of mallory\'s revocations holds')

  await store.add('bob-1', SECOND + 3600, of('bob', SECOND))
  t.equal(await store.has('bob-1', of('bob', SECOND)), true, 'another subject can still revoke')
  t.equal(await store.has('bob-2', of('bob', SECOND)), false, 'and only what it revoked')

  // Mallory takes at most 100 listed entries and a cut-off, bob one.
  let room = 0
  while (await store.add(`fill-${room}`, null).then(() => true, () => false)) room++
  t.ok(room >= 100_000 - 102, `room is left for ${room} more revocations`)
})
