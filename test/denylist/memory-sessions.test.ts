// The memory store's sessions: refresh-token families (rotation, the grace
// window, reuse revoking the family) and the per-subject cut-offs of "log out
// everywhere", with their expiry and their share of maxEntries. Time is a
// fake clock (test/helpers/clock.ts), so expiry is tested without waiting.
import t, { type Test } from 'tap'
import { DenylistError } from '../../lib/errors'
import { createMemoryDenylist } from '../../lib/denylist/memory-store'
import {
  kLookupNow,
  type DenylistStore,
  type RefreshTokenUse,
  type SynchronousLookup,
  type TokenIdentity
} from '../../lib/denylist/store'
import { fakeClock } from '../helpers/clock'

type MemoryStore = DenylistStore & SynchronousLookup

// Half a second into a whole second, so that milliseconds and seconds differ.
const START = 1_700_000_000_500
const SECOND = Math.floor(START / 1000)
const EXP = SECOND + 3600
const GRACE = 1000

const FULL = { constructor: DenylistError, code: 'FST_JWT_AUTH_DENYLIST_FAILED', message: 'The denylist is full: revocation refused' }

const memoryStore = (maxEntries?: number): MemoryStore =>
  createMemoryDenylist(maxEntries === undefined ? {} : { maxEntries }) as MemoryStore

const use = (family: string, jti: string, successorJti: string, expiresAt: number | null = EXP, graceMs = GRACE): RefreshTokenUse =>
  ({ subject: 'user', issuedAtMs: Date.now(), family, jti, successorJti, graceMs, expiresAt })

/** Asks both ways the plugin can ask, and fails the test if they disagree. */
async function refused (t: Test, store: MemoryStore, jti: string, token: TokenIdentity): Promise<boolean> {
  const viaHas = await store.has(jti, token)
  const viaLookupNow = store[kLookupNow](jti, token.subject, token.issuedAt, token.issuedAtMs, token.family)
  if (viaHas !== viaLookupNow) t.fail(`has says ${String(viaHas)}, kLookupNow says ${String(viaLookupNow)}`)
  return viaHas
}

// A token of a family, or of a subject issued at a millisecond.
const ofFamily = (family: string, subject: string | number = 'alice'): TokenIdentity =>
  ({ subject, issuedAt: SECOND, issuedAtMs: START, family })
const issuedAtMs = (subject: string | number, ms: number | undefined): TokenIdentity =>
  ({ subject, issuedAt: ms === undefined ? undefined : Math.floor(ms / 1000), issuedAtMs: ms })

t.test('families: rotation, and reuse of an older token revokes the family', async (t) => {
  const clock = fakeClock(t, START)
  const store = memoryStore()

  t.same(await store.useRefreshToken(use('F', 'J', 'K')), { outcome: 'rotated', successorJti: 'K' }, 'J\'s first use rotates to K')
  t.equal(await refused(t, store, 'K', ofFamily('F')), false, 'a rotating family is not revoked')
  clock.advance(60_000)
  t.same(await store.useRefreshToken(use('F', 'K', 'L')), { outcome: 'rotated', successorJti: 'L' }, 'K, the current one, rotates to L')
  t.same(await store.useRefreshToken(use('G', 'J', 'X')), { outcome: 'rotated', successorJti: 'X' },
    'another family is a chain of its own, even with the same jtis')

  clock.advance(60_000)
  t.same(await store.useRefreshToken(use('F', 'J', 'M')), { outcome: 'reused' }, 'J, two links back, is reuse')
  t.same(await store.useRefreshToken(use('F', 'L', 'N')), { outcome: 'revoked' }, 'then even the newest token of F is refused')
  t.same(await store.useRefreshToken(use('F', 'J', 'O')), { outcome: 'revoked' }, 'and J again')

  t.equal(await refused(t, store, 'L', ofFamily('F')), true, 'the refresh token of the revoked family is refused')
  t.equal(await refused(t, store, 'an-access-token', ofFamily('F')), true, 'so is any other token carrying its fam')
  t.equal(await refused(t, store, 'an-access-token', ofFamily('F', 'bob')), true, 'whatever its subject')
  t.equal(await refused(t, store, 'X', ofFamily('G')), false, 'another family is not affected')
  t.equal(await refused(t, store, 'an-access-token', issuedAtMs('alice', START)), false, 'nor a token without a family')
  t.same(await store.useRefreshToken(use('G', 'X', 'Y')), { outcome: 'rotated', successorJti: 'Y' }, 'G still rotates')
})

t.test('the previous token comes back: within the grace window the same successor, after it reuse', async (t) => {
  t.test('grace edges', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore()
    await store.useRefreshToken(use('F', 'J', 'K'))
    t.same(await store.useRefreshToken(use('F', 'J', 'K2')), { outcome: 'grace', successorJti: 'K' },
      'at once: grace, with the first use\'s successor, not the one given now')
    clock.advance(GRACE)
    t.same(await store.useRefreshToken(use('F', 'J', 'K3')), { outcome: 'grace', successorJti: 'K' }, 'graceMs after: still grace')
    clock.advance(1)
    t.same(await store.useRefreshToken(use('F', 'J', 'K4')), { outcome: 'reused' }, 'one millisecond later: reuse')
    t.equal(await refused(t, store, 'K', ofFamily('F')), true, 'and the family is revoked')
  })

  t.test('a grace window of 0 ms is the millisecond of the first use', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore()
    await store.useRefreshToken(use('F', 'J', 'K', EXP, 0))
    t.same(await store.useRefreshToken(use('F', 'J', 'K2', EXP, 0)), { outcome: 'grace', successorJti: 'K' }, 'the same millisecond')
    clock.advance(1)
    t.same(await store.useRefreshToken(use('F', 'J', 'K3', EXP, 0)), { outcome: 'reused' }, 'the next one')
  })

  t.test('two uses within grace share the successor, and the family stays one chain', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore()
    const [first, second] = await Promise.all([
      store.useRefreshToken(use('F', 'J', 'K1')),
      store.useRefreshToken(use('F', 'J', 'K2'))
    ])
    t.same(first, { outcome: 'rotated', successorJti: 'K1' }, 'two tabs at once: the first rotates')
    t.same(second, { outcome: 'grace', successorJti: 'K1' }, 'the second gets the same successor')

    clock.advance(500)
    t.same(await store.useRefreshToken(use('F', 'K1', 'L1')), { outcome: 'rotated', successorJti: 'L1' },
      'one copy of K1 rotates: the first use of that jti')
    t.same(await store.useRefreshToken(use('F', 'K1', 'L2')), { outcome: 'grace', successorJti: 'L1' },
      'the other copy, within grace of that use, gets L1 too')
    t.same(await store.useRefreshToken(use('F', 'J', 'X')), { outcome: 'reused' },
      'J is now two links back: reuse, though its own grace window has not ended')
  })

  t.test('the uses are decided in the order they were made, each at once', async (t) => {
    fakeClock(t, START)
    const store = memoryStore()
    await store.useRefreshToken(use('F', 'J', 'K'))
    const pending = store.useRefreshToken(use('F', 'K', 'L'))
    const racing = store.useRefreshToken(use('F', 'K', 'L2'))
    t.same(await racing, { outcome: 'grace', successorJti: 'L' }, 'the second call already sees the first one\'s rotation')
    t.same(await pending, { outcome: 'rotated', successorJti: 'L' }, 'which rotated')
  })
})

t.test('a family\'s state is kept until expiresAt, the latest one given', async (t) => {
  t.test('rotation state', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore()
    await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
    await store.useRefreshToken(use('G', 'J', 'K', SECOND + 10))
    clock.advance(9_499)
    t.same(await store.useRefreshToken(use('F', 'J', 'K2', SECOND + 10)), { outcome: 'reused' }, 'just before expiry: still known')
    clock.advance(1)
    t.same(await store.useRefreshToken(use('G', 'J', 'K2', SECOND + 20)), { outcome: 'rotated', successorJti: 'K2' },
      'at expiry: forgotten, so the use is a first one')
  })

  t.test('a rotation or a grace answer keeps it longer, never shorter', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore()
    await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
    await store.useRefreshToken(use('F', 'K', 'L', SECOND + 20))
    await store.useRefreshToken(use('F', 'K', 'L2', SECOND + 30)) // grace: L is issued again, expiring later
    await store.useRefreshToken(use('F', 'K', 'L3', SECOND + 5)) // an earlier expiry shortens nothing
    clock.advance(29_499)
    t.same(await store.useRefreshToken(use('F', 'J', 'X', SECOND + 40)), { outcome: 'reused' }, 'held until the grace answer\'s expiry')

    await store.useRefreshToken(use('G', 'J', 'K', null))
    clock.advance(10 * 365 * 24 * 3600 * 1000)
    t.same(await store.useRefreshToken(use('G', 'J', 'X')), { outcome: 'reused' }, 'null: kept for ever (else this were a first use)')
  })

  t.test('a revoked family', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore()
    await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
    await store.useRefreshToken(use('F', 'K', 'L', SECOND + 10))
    await store.useRefreshToken(use('F', 'J', 'X', SECOND + 20)) // reuse
    t.same(await store.useRefreshToken(use('F', 'L', 'M', SECOND + 100)), { outcome: 'revoked' }, 'revoked')
    clock.advance(19_499)
    t.equal(await refused(t, store, 'L', ofFamily('F')), true, 'revoked until the reuse\'s expiresAt, and no longer than that')
    clock.advance(1)
    t.equal(await refused(t, store, 'L', ofFamily('F')), false, 'then forgotten: every token of the family has expired')
    t.same(await store.useRefreshToken(use('F', 'L', 'M', SECOND + 100)), { outcome: 'rotated', successorJti: 'M' },
      'and the family name is free again')

    await store.useRefreshToken(use('G', 'J', 'K', null))
    await store.useRefreshToken(use('G', 'K', 'L', null))
    await store.useRefreshToken(use('G', 'J', 'X', null))
    clock.advance(10 * 365 * 24 * 3600 * 1000)
    t.equal(await refused(t, store, 'L', ofFamily('G')), true, 'a family revoked with null stays revoked')
  })

  t.test('an expiresAt already past stores nothing', async (t) => {
    fakeClock(t, START)
    const store = memoryStore(1)
    await store.add('fills-the-store', null)
    t.same(await store.useRefreshToken(use('F', 'J', 'K', SECOND - 1)), { outcome: 'rotated', successorJti: 'K' },
      'rotated, taking no room in a full store')
    t.same(await store.useRefreshToken(use('F', 'J', 'K2', SECOND - 1)), { outcome: 'rotated', successorJti: 'K2' },
      'and nothing was kept to answer grace or reuse from')
  })
})

t.test('revokeSubject: tokens of the subject issued before the cut-off are refused', async (t) => {
  t.test('before, at, after the cut-off; no time of issue; other subjects', async (t) => {
    fakeClock(t, START)
    const store = memoryStore()
    t.equal(await store.revokeSubject('alice', START, EXP), undefined, 'resolves to nothing')
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START - 1)), true, 'issued a millisecond before: refused')
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START)), false, 'issued at the cut-off: passes')
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START + 1)), false, 'issued after it: passes')
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', undefined)), true, 'no time of issue: counted as before, refused')
    t.equal(await refused(t, store, 'x', issuedAtMs('bob', START - 1)), false, 'another subject is not affected')
    t.equal(await refused(t, store, 'x', { ...issuedAtMs('alice', START), family: 'F' }), false,
      'a token of a family passes when issued after the cut-off')
    t.equal(await refused(t, store, 'x', { ...issuedAtMs('alice', START - 1), family: 'F' }), true,
      'and is refused when issued before it')
  })

  t.test('\'1\' and 1 are two subjects', async (t) => {
    fakeClock(t, START)
    const store = memoryStore()
    await store.revokeSubject('1', START, EXP)
    t.equal(await refused(t, store, 'x', issuedAtMs('1', START - 1)), true, 'the string subject \'1\' is cut off')
    t.equal(await refused(t, store, 'x', issuedAtMs(1, START - 1)), false, 'the number 1 is not')
    await store.revokeSubject(1, START - 1000, EXP)
    t.equal(await refused(t, store, 'x', issuedAtMs(1, START - 1001)), true, 'the number 1 gets its own cut-off')
    t.equal(await refused(t, store, 'x', issuedAtMs(1, START - 1000)), false, 'at its own time')
    t.equal(await refused(t, store, 'x', issuedAtMs('1', START - 1000)), true, 'leaving \'1\'s alone')
  })

  t.test('a later cut-off replaces an earlier one, never the reverse, and the longer expiry stays', async (t) => {
    const clock = fakeClock(t, START)
    const store = memoryStore(1)
    await store.revokeSubject('alice', START - 5000, SECOND + 100)
    await store.revokeSubject('alice', START, SECOND + 10)
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START - 1)), true, 'the later cut-off replaced the earlier')
    await store.revokeSubject('alice', START - 60_000, SECOND + 50)
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START - 1)), true, 'an earlier one does not move it back')
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START)), false, 'nor forward')
    clock.advance(99_499)
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START - 1)), true, 'kept until the longest expiry given')
    clock.advance(1)
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START - 1)), false, 'then forgotten')

    await store.revokeSubject('bob', START, null)
    await store.revokeSubject('bob', START + 1, SECOND + 200)
    clock.advance(10 * 365 * 24 * 3600 * 1000)
    t.equal(await refused(t, store, 'x', issuedAtMs('bob', START)), true, 'null: for ever, a later finite expiry shortens nothing')
  })

  t.test('an expiresAt already past stores nothing', async (t) => {
    fakeClock(t, START)
    const store = memoryStore(1)
    await store.revokeSubject('alice', START, SECOND - 1)
    t.equal(await refused(t, store, 'x', issuedAtMs('alice', START - 1)), false, 'no cut-off: its tokens have expired anyway')
    await store.add('a', null)
    t.pass('and it took no room')
  })

  t.test('with a folded cut-off of the same subject: both hold, each by its own rule', async (t) => {
    fakeClock(t, START)
    const store = createMemoryDenylist({ maxEntriesPerSubject: 1 }) as MemoryStore
    await store.add('a1', EXP, { subject: 'alice', issuedAt: SECOND - 100 })
    await store.add('a2', EXP, { subject: 'alice', issuedAt: SECOND - 100 }) // folds: issued up to SECOND - 100, inclusive
    await store.revokeSubject('alice', START - 50_000, EXP)
    const token = (issuedAt: number, ms: number): TokenIdentity => ({ subject: 'alice', issuedAt, issuedAtMs: ms })
    t.equal(await refused(t, store, 'x', token(SECOND - 100, START)), true, 'the fold covers its second, whatever the milliseconds say')
    t.equal(await refused(t, store, 'x', token(SECOND - 99, START - 50_001)), true, 'the cut-off covers what the fold does not')
    t.equal(await refused(t, store, 'x', token(SECOND - 99, START - 50_000)), false, 'a token after both passes')
    t.equal(await refused(t, store, 'a2', token(SECOND - 10, START)), false, 'the folded jti is kept under the subject, not listed')
  })
})

t.test('has(jti) without the token fails closed once a family or a subject is revoked', async (t) => {
  const clock = fakeClock(t, START)
  const store = memoryStore()
  await store.add('plain', EXP)
  await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
  t.equal(await store.has('plain'), true, 'a rotating family hides no revocation: has(jti) answers')

  await store.useRefreshToken(use('F', 'J', 'X', SECOND + 10))
  t.equal(await store.has('plain'), true, 'nor does a grace answer')
  clock.advance(GRACE + 1)
  await store.useRefreshToken(use('F', 'J', 'X', SECOND + 10))
  await t.rejects(store.has('plain'), { constructor: DenylistError, message: /needs the token's identity/ },
    'a revoked family: its tokens are known by fam only, so has(jti) refuses to answer')
  clock.advance(10_000)
  t.equal(await refused(t, store, 'K', ofFamily('F')), false, 'once the revocation has expired (a lookup forgets it)')
  t.equal(await store.has('plain'), true, 'has(jti) answers again')

  await store.revokeSubject('alice', START, EXP)
  await t.rejects(store.has('plain'), { constructor: DenylistError, message: /needs the token's identity/ },
    'a subject\'s cut-off: the same')
})

t.test('kLookupNow with part of the identity', async (t) => {
  fakeClock(t, START)
  const store = memoryStore()
  await store.useRefreshToken(use('F', 'J', 'K'))
  await store.useRefreshToken(use('F', 'K', 'L'))
  await store.useRefreshToken(use('F', 'J', 'X'))
  await store.useRefreshToken(use('G', 'J', 'K'))
  await store.revokeSubject('alice', START, EXP)
  t.equal(store[kLookupNow]('x', undefined, undefined, undefined, 'F'), true, 'a family without a subject: refused by its family')
  t.equal(store[kLookupNow]('x', undefined, undefined, undefined, 'G'), false, 'a rotating family is not revoked')
  t.equal(store[kLookupNow]('x', undefined, undefined, undefined, 'H'), false, 'nor an unknown one')
  t.equal(store[kLookupNow]('x'), false, 'no subject and no family: only the jti is looked up')
  t.equal(store[kLookupNow]('x', 'alice'), true, 'a subject without a time of issue: refused by the cut-off')
})

t.test('maxEntries bounds rotation states, revoked families and cut-offs with the jtis', async (t) => {
  fakeClock(t, START)
  const store = memoryStore(4)
  await store.add('a', EXP)
  await store.useRefreshToken(use('F', 'J', 'K'))
  await store.useRefreshToken(use('R', 'J', 'K'))
  await store.revokeSubject('alice', START, EXP)

  const refusedAdd = await store.add('b', EXP).then(() => null, (error: unknown) => error)
  t.match(refusedAdd, FULL, 'one jti, two families and a cut-off fill maxEntries 4')
  t.notMatch((refusedAdd as Error).message, /\d/, 'the message does not reveal maxEntries')
  await t.rejects(store.useRefreshToken(use('G', 'J', 'K')), FULL, 'a family without state is refused: fail closed')
  await t.rejects(store.useRefreshToken(use('G', 'J', 'K2')), FULL, 'and it got none: the next try is still a first use')
  await t.rejects(store.revokeSubject('bob', START, EXP), FULL, 'a subject without a cut-off is refused')
  t.equal(await refused(t, store, 'x', issuedAtMs('bob', START - 1)), false, 'and it got none')

  t.same(await store.useRefreshToken(use('F', 'K', 'L')), { outcome: 'rotated', successorJti: 'L' },
    'a family with state rotates in a full store')
  t.same(await store.useRefreshToken(use('F', 'K', 'L2')), { outcome: 'grace', successorJti: 'L' }, 'answers grace')
  t.same(await store.useRefreshToken(use('F', 'J', 'X')), { outcome: 'reused' }, 'and revokes on reuse: in place of its state')
  t.equal(await refused(t, store, 'L', ofFamily('F')), true, 'the family is revoked')
  await store.revokeSubject('alice', START + 1000, EXP + 100)
  t.equal(await refused(t, store, 'x', issuedAtMs('alice', START + 999)), true, 'a subject with a cut-off moves it in a full store')
  await t.rejects(store.add('b', EXP), FULL, 'still four entries')
})

t.test('expired states, revocations and cut-offs free their entries, whichever write comes next', async (t) => {
  const fills: Array<[string, (store: MemoryStore) => Promise<unknown>]> = [
    ['a rotation state', async (store) => await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))],
    ['a revoked family', async (store) => {
      await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
      await store.useRefreshToken(use('F', 'K', 'L', SECOND + 10))
      await store.useRefreshToken(use('F', 'J', 'X', SECOND + 10))
    }],
    ['a cut-off', async (store) => await store.revokeSubject('alice', START, SECOND + 10)]
  ]
  const writes: Array<[string, (store: MemoryStore) => Promise<unknown>]> = [
    ['add', async (store) => await store.add('new', EXP)],
    ['useRefreshToken', async (store) => await store.useRefreshToken(use('NEW', 'J', 'K'))],
    ['revokeSubject', async (store) => await store.revokeSubject('bob', START, EXP)]
  ]
  for (const [kind, fill] of fills) {
    for (const [name, write] of writes) {
      t.test(`${kind}, then ${name}`, async (t) => {
        const clock = fakeClock(t, START)
        const store = memoryStore(1)
        await fill(store)
        await t.rejects(write(store), FULL, `${kind} fills maxEntries 1`)
        clock.advance(9_499)
        await t.rejects(write(store), FULL, 'still there just before its expiry')
        clock.advance(1)
        await write(store)
        t.pass(`at its expiry, ${name} dropped it and took its entry`)
        t.equal(await refused(t, store, 'x', { ...issuedAtMs('alice', START - 1), family: 'F' }), false, 'and it refuses nothing more')
      })
    }
  }
})

t.test('a revocation a lookup finds expired is forgotten there, and its name can be revoked again', async (t) => {
  const clock = fakeClock(t, START)
  const store = memoryStore(2)
  await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
  await store.useRefreshToken(use('F', 'K', 'L', SECOND + 10))
  await store.useRefreshToken(use('F', 'J', 'X', SECOND + 10))
  await store.revokeSubject('alice', START, SECOND + 10)
  clock.advance(10_000)
  t.equal(await refused(t, store, 'x', { ...issuedAtMs('alice', START - 1), family: 'F' }), false, 'both expired: the lookup passes')
  t.equal(await store.has('x'), false, 'both were forgotten: has(jti) answers again')

  await store.useRefreshToken(use('F', 'M', 'N', SECOND + 30))
  await store.useRefreshToken(use('F', 'N', 'O', SECOND + 30))
  await store.useRefreshToken(use('F', 'M', 'Y', SECOND + 30))
  await store.revokeSubject('alice', START + 5000, SECOND + 30)
  clock.advance(19_499) // SECOND + 30, less a millisecond
  t.equal(await refused(t, store, 'O', ofFamily('F', 'bob')), true, 'the family revoked again holds until its own expiry')
  t.equal(await refused(t, store, 'x', issuedAtMs('alice', START + 4999)), true, 'and so does the new cut-off')
  await t.rejects(store.add('z', EXP), FULL, 'the two take their entries')
})

t.test('stale expiries pile up no further than maxEntries allows, and every expiry holds', async (t) => {
  const clock = fakeClock(t, START)
  const store = memoryStore(3)
  await store.revokeSubject('carol', START, null)
  await store.revokeSubject(7, START, SECOND + 50)
  // Each rotation extends F's expiry and leaves its previous heap node behind:
  // more than 2 × maxEntries nodes rebuild the heap from the live records.
  for (let i = 1; i <= 12; i++) await store.useRefreshToken(use('F', `J${i - 1}`, `J${i}`, SECOND + 100 + i))
  await t.rejects(store.add('x', EXP), FULL, 'three records: carol\'s, 7\'s and F')

  clock.advance(49_499)
  t.equal(await refused(t, store, 'x', issuedAtMs(7, START - 1)), true, '7\'s cut-off holds until SECOND + 50')
  clock.advance(1)
  await store.add('x', EXP)
  t.equal(await refused(t, store, 'x2', issuedAtMs(7, START - 1)), false, 'then the next write drops it')

  clock.advance(61_999) // SECOND + 112, less a millisecond
  t.same(await store.useRefreshToken(use('F', 'J0', 'Z', SECOND + 112)), { outcome: 'reused' }, 'F\'s state holds until its last extension')
  clock.advance(1)
  t.equal(await refused(t, store, 'J12', ofFamily('F')), false, 'then goes')
  await store.add('y', EXP)
  t.equal(await refused(t, store, 'x2', issuedAtMs('carol', START - 1)), true, 'carol\'s cut-off is for ever')
  await t.rejects(store.add('z', EXP), FULL, 'carol, x and y fill the store')
})

t.test('while no family is revoked and no subject cut off, a lookup costs one map get', async (t) => {
  const clock = fakeClock(t, START)
  const store = memoryStore()
  const realGet = Map.prototype.get
  /** The answer of a lookup, and how many Map gets it made. */
  const counted = (jti: string, family?: string): [boolean, number] => {
    let gets = 0
    // Counts every Map read during one synchronous lookup, and is put back
    // before anything else runs.
    /* eslint-disable no-extend-native */
    Map.prototype.get = function (this: Map<unknown, unknown>, key: unknown) {
      gets++
      return realGet.call(this, key)
    }
    try {
      return [store[kLookupNow](jti, 'alice', SECOND, START, family), gets]
    } finally {
      Map.prototype.get = realGet
    }
    /* eslint-enable no-extend-native */
  }

  await store.add('revoked', EXP)
  await store.useRefreshToken(use('F', 'J', 'K', SECOND + 10))
  t.same(counted('K', 'F'), [false, 1], 'a rotating family: the jti\'s get only')
  t.same(counted('revoked', 'F'), [true, 1], 'a revoked jti: the same')

  await store.useRefreshToken(use('G', 'J', 'K', SECOND + 10))
  await store.useRefreshToken(use('G', 'K', 'L', SECOND + 10))
  await store.useRefreshToken(use('G', 'J', 'X', SECOND + 10))
  const [revoked, gets] = counted('L', 'G')
  t.equal(revoked, true, 'once a family is revoked, the lookup reads the families')
  t.ok(gets > 1, `with more gets (${gets})`)
  clock.advance(10_000)
  t.equal(counted('L', 'G')[0], false, 'an expired revocation is forgotten by the lookup')
  t.same(counted('K', 'F'), [false, 1], 'and the lookup is one get again')

  await store.revokeSubject('bob', START, EXP)
  t.ok(counted('K', 'F')[1] > 1, 'a cut-off of any subject makes the lookup read the cut-offs')
})

t.test('bad arguments reject with TypeError, never naming the subject, and store nothing', async (t) => {
  fakeClock(t, START)
  const store = memoryStore(1)
  const loose = store as unknown as {
    useRefreshToken: (use: unknown) => Promise<unknown>
    revokeSubject: (...args: unknown[]) => Promise<void>
  }
  const rejection = async (promise: Promise<unknown>): Promise<unknown> => await promise.then(() => null, (error: unknown) => error)

  const good = use('F', 'J', 'K')
  const badUses: Array<[unknown, RegExp]> = [
    [null, /use/], ['F', /use/],
    [{ ...good, family: '' }, /family/], [{ ...good, family: 7 }, /family/],
    [{ ...good, jti: '' }, /jti/], [{ ...good, successorJti: undefined }, /jti/],
    [{ ...good, graceMs: -1 }, /graceMs/], [{ ...good, graceMs: 1.5 }, /graceMs/],
    [{ ...good, subject: '' }, /use\.subject/], [{ ...good, subject: undefined }, /use\.subject/],
    [{ ...good, issuedAtMs: 1.5 }, /use\.issuedAtMs/], [{ ...good, issuedAtMs: undefined }, /use\.issuedAtMs/],
    [{ ...good, expiresAt: NaN }, /expiresAt/], [{ ...good, expiresAt: undefined }, /expiresAt/]
  ]
  for (const [bad, message] of badUses) {
    t.match(await rejection(loose.useRefreshToken(bad)), { constructor: TypeError, message }, `useRefreshToken(${JSON.stringify(bad)})`)
  }

  for (const subject of ['', 2 ** 60, NaN, null, undefined, {}, true]) {
    const error = await rejection(loose.revokeSubject(subject, START, EXP))
    t.match(error, { constructor: TypeError, message: /subject/ }, `revokeSubject checks the subject ${String(subject)}`)
    t.notMatch((error as Error).message, /1152921504606846976|NaN|object|true/, 'without quoting it')
  }
  for (const issuedBeforeMs of [NaN, Infinity, '5', undefined, null]) {
    const error = await rejection(loose.revokeSubject('alice-secret', issuedBeforeMs, EXP))
    t.match(error, { constructor: TypeError, message: /issuedBeforeMs/ }, `revokeSubject checks issuedBeforeMs ${String(issuedBeforeMs)}`)
    t.notMatch((error as Error).message, /alice-secret/, 'without naming the subject')
  }
  for (const expiresAt of [NaN, '5', undefined]) {
    const error = await rejection(loose.revokeSubject('alice-secret', START, expiresAt))
    t.match(error, { constructor: TypeError, message: /expiresAt/ }, `revokeSubject checks expiresAt ${String(expiresAt)}`)
    t.notMatch((error as Error).message, /alice-secret/, 'without naming the subject')
  }

  await t.rejects(store.has('x', { subject: 'alice', family: '' }), { constructor: TypeError, message: /family/ },
    'has checks the token\'s family')
  await t.rejects(store.has('x', { subject: 'alice', issuedAtMs: NaN }), { constructor: TypeError, message: /issuedAtMs/ },
    'and its issuedAtMs')

  await store.add('x', EXP)
  t.pass('nothing was stored: the one entry was free')
})

t.test('one subject past maxEntriesPerSubject families: they fold into a cut-off, and nobody else pays', async t => {
  const clock = fakeClock(t, 1_800_000_000_000)
  const store = createMemoryDenylist({ maxEntries: 10, maxEntriesPerSubject: 3 })
  const mallory = (family: string): RefreshTokenUse =>
    ({ ...use(family, `${family}-j`, `${family}-k`, 1_800_000_900), subject: 'mallory', issuedAtMs: clock.now() })
  for (const family of ['m1', 'm2', 'm3']) {
    t.equal((await store.useRefreshToken(mallory(family))).outcome, 'rotated')
    clock.advance(1)
  }
  const oldToken = { subject: 'mallory', issuedAt: 1_800_000_000, issuedAtMs: clock.now() - 1, family: 'm1' }
  t.equal(await store.has('old-access', oldToken), false, 'before the fold, an older session is fine')
  // The fourth family folds the three before it.
  const fourth = mallory('m4')
  t.equal((await store.useRefreshToken(fourth)).outcome, 'rotated', 'the new session rotates')
  t.equal(await store.has('old-access', oldToken), true, 'the older sessions are cut off')
  t.equal(await store.has('new-access', { subject: 'mallory', issuedAt: 1_800_000_000, issuedAtMs: fourth.issuedAtMs, family: 'm4' }), false,
    'the new pair passes')
  // A thousand more sessions of mallory never fill the store.
  for (let i = 0; i < 1000; i++) {
    clock.advance(1)
    await store.useRefreshToken(mallory(`n${i}`))
  }
  const alice = { ...use('a1', 'a-j', 'a-k', 1_800_000_900), subject: 'alice', issuedAtMs: clock.now() }
  t.equal((await store.useRefreshToken(alice)).outcome, 'rotated', 'alice still rotates')
  // The subject 1 is not "1": its families are counted apart.
  for (const subject of [1, '1', 1]) {
    const numeric = { ...use(`s-${typeof subject}-${clock.now()}`, 'j', 'k', 1_800_000_900), subject, issuedAtMs: clock.now() }
    clock.advance(1)
    t.equal((await store.useRefreshToken(numeric)).outcome, 'rotated', `subject ${JSON.stringify(subject)}`)
  }
  await t.resolves(store.add('alice-jti', 1_800_000_900, { subject: 'alice', issuedAt: 1_800_000_001 }), 'and still revokes')
})
