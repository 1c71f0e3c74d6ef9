// The denylist check a guard runs on a verified token: which types it checks,
// how it calls the hook or the store, and that it fails closed. Through the
// guards of a registered plugin, see test/e2e/revocation.test.ts.
import t from 'tap'
import type { FastifyRequest } from 'fastify'
import { resolveConfig } from '../../lib/config'
import { createDenylistCheck } from '../../lib/denylist/check'
import { createDeadlineWatch } from '../../lib/denylist/deadlines'
import { createMemoryDenylist } from '../../lib/denylist/memory-store'
import type { DenylistStore, TokenIdentity } from '../../lib/denylist/store'
import { DenylistError, JWTDecodeError, RevokedTokenError } from '../../lib/errors'
import type { AuthJwtClaims, FastifyJwtAuthOptions, TokenInDenylist } from '../../lib/options'
import { fakeClock } from '../helpers/clock'
import { recordingHook, storeWith } from '../helpers/recording-store'

const SECRET = 'a-denylist-check-test-secret-long-enough-for-hs256'
// Stands for the request being guarded: the check only hands it to the hook.
const request = { url: '/guarded' } as unknown as FastifyRequest

const claimsOf = (jti: string | undefined, type: 'access' | 'refresh' = 'access'): AuthJwtClaims =>
  ({ sub: 'alice', iat: 1_700_000_000, jti, type }) as AuthJwtClaims

// The check as the plugin builds it from these options (denylist enabled),
// with a watch ticking often, so that a timeout is seen soon after the clock passes it.
function check (options: FastifyJwtAuthOptions) {
  const config = resolveConfig({ secretKey: SECRET, denylistEnabled: true, ...options }, {})
  return createDenylistCheck(config, createDeadlineWatch(5))
}

/** What a check did: returned (undefined or a promise's outcome), or threw at once. */
async function outcome (run: () => Promise<void> | undefined): Promise<{ sync: boolean, error?: unknown }> {
  let pending: Promise<void> | undefined
  try {
    pending = run()
  } catch (error) {
    return { sync: true, error }
  }
  if (pending === undefined) return { sync: true }
  return pending.then(() => ({ sync: false }), (error: unknown) => ({ sync: false, error }))
}

t.test('only the types in denylistTokenChecks are checked, and nothing when the denylist is off', async t => {
  const { hook, calls } = recordingHook(() => true)
  const refreshOnly = check({ tokenInDenylist: hook, denylistTokenChecks: ['refresh'] })
  t.equal(refreshOnly(claimsOf('a'), 'access', request), undefined, 'an unchecked type passes at once')
  t.equal(refreshOnly(claimsOf(undefined), 'access', request), undefined, 'even without a jti')
  t.equal(calls.length, 0, 'the hook is not called for an unchecked type')
  t.throws(() => refreshOnly(claimsOf('r', 'refresh'), 'refresh', request), RevokedTokenError, 'a checked type is refused')
  t.equal(calls.length, 1, 'the hook is called for the checked type')

  // Without a jti a checked token would be refused: passing shows nothing was checked.
  const off = createDenylistCheck(resolveConfig({ secretKey: SECRET }, {}), createDeadlineWatch(5))
  for (const type of ['access', 'refresh'] as const) {
    t.equal(off(claimsOf(undefined, type), type, request), undefined, `denylistEnabled false: ${type} passes unchecked`)
  }
})

t.test('a checked token without jti is refused as invalid, before the hook', async t => {
  const { hook, calls } = recordingHook(() => false)
  const checkDenylist = check({ tokenInDenylist: hook })
  for (const type of ['access', 'refresh'] as const) {
    const { sync, error } = await outcome(() => checkDenylist(claimsOf(undefined, type), type, request))
    t.ok(sync, `${type}: refused at once`)
    t.ok(error instanceof JWTDecodeError, `${type}: a JWTDecodeError`)
    t.match(error, { code: 'FST_JWT_AUTH_TOKEN_INVALID', statusCode: 401, message: 'Token is missing the "jti" claim' },
      `${type}: 401 invalid, naming the claim`)
  }
  t.equal(calls.length, 0, 'the hook was not called')
})

t.test('a synchronous answer is judged at once, without a promise', async t => {
  const checkFalse = check({ tokenInDenylist: () => false })
  t.equal(checkFalse(claimsOf('a'), 'access', request), undefined, 'false: passes, returning nothing to wait for')
  const checkTrue = check({ tokenInDenylist: () => true })
  const { sync, error } = await outcome(() => checkTrue(claimsOf('a'), 'access', request))
  t.ok(sync, 'true: refused at once')
  t.ok(error instanceof RevokedTokenError, 'true: as revoked')
  t.match(error, { code: 'FST_JWT_AUTH_TOKEN_REVOKED', statusCode: 401, message: 'Token has been revoked' },
    'true: 401 revoked')
})

t.test('an asynchronous answer is awaited', async t => {
  for (const revoked of [true, false]) {
    const checkDenylist = check({
      tokenInDenylist: async () => {
        await new Promise(resolve => setImmediate(resolve))
        return revoked
      }
    })
    const pending = checkDenylist(claimsOf('a'), 'access', request)
    t.ok(pending instanceof Promise, `resolves ${revoked}: the check returns a promise`)
    const { error } = await outcome(() => pending)
    if (revoked) t.ok(error instanceof RevokedTokenError, 'resolves true: refused as revoked')
    else t.equal(error, undefined, 'resolves false: passes')
  }
})

t.test('the hook gets the verified claims and the request', async t => {
  const { hook, calls } = recordingHook(() => false)
  const claims = claimsOf('the-jti')
  check({ tokenInDenylist: hook })(claims, 'access', request)
  t.equal(calls.length, 1, 'called once')
  t.equal(calls[0].claims, claims, 'with the claims as verified')
  t.equal(calls[0].request, request, 'and the request being guarded')
})

t.test('fails closed: a hook that cannot answer is a DenylistError', async t => {
  const boom = new Error('lookup of secret-jti failed')
  const cases: Array<[string, TokenInDenylist, boolean, string, unknown]> = [
    // name, hook, refused at once, message, cause
    ['a hook that throws', () => { throw boom }, true, 'The denylist check failed', boom],
    ['a hook that rejects', async () => { throw boom }, false, 'The denylist check failed', boom],
    ['a hook that answers undefined', (() => undefined) as unknown as TokenInDenylist, false,
      'The denylist check answered neither true nor false', undefined],
    ['a hook that resolves undefined', (async () => undefined) as unknown as TokenInDenylist, false,
      'The denylist check answered neither true nor false', undefined],
    ["a hook that answers 'yes'", (() => 'yes') as unknown as TokenInDenylist, false,
      'The denylist check answered neither true nor false', undefined],
    ['a hook that resolves 1', (async () => 1) as unknown as TokenInDenylist, false,
      'The denylist check answered neither true nor false', undefined],
    ['a hook that answers null', (() => null) as unknown as TokenInDenylist, false,
      'The denylist check answered neither true nor false', undefined]
  ]
  for (const [name, hook, atOnce, message, cause] of cases) {
    const { sync, error } = await outcome(() => check({ tokenInDenylist: hook })(claimsOf('secret-jti'), 'access', request))
    t.equal(sync, atOnce, `${name}: ${atOnce ? 'thrown at once' : 'a rejected promise'}`)
    t.ok(error instanceof DenylistError, `${name}: DenylistError`)
    t.match(error, { code: 'FST_JWT_AUTH_DENYLIST_FAILED', statusCode: 500, message }, `${name}: 500 with a fixed message`)
    t.equal((error as Error).cause, cause, `${name}: the cause kept for the logs`)
  }
})

t.test('a DenylistError of the hook is kept as is', async t => {
  const own = new DenylistError('Denylist store is down')
  for (const [name, hook] of [
    ['thrown', () => { throw own }],
    ['rejected', async () => { throw own }]
  ] as Array<[string, TokenInDenylist]>) {
    const { error } = await outcome(() => check({ tokenInDenylist: hook })(claimsOf('a'), 'access', request))
    t.equal(error, own, `${name}: the hook's own error`)
  }
})

t.test('a hook that never answers fails after denylistTimeout', async t => {
  const clock = fakeClock(t)
  let settle: (revoked: boolean) => void = () => {}
  const checkDenylist = check({
    tokenInDenylist: () => new Promise<boolean>(resolve => { settle = resolve }),
    denylistTimeout: 2
  })
  const pending = checkDenylist(claimsOf('a'), 'access', request) as Promise<void>
  clock.advance(2000)
  const { error } = await outcome(() => pending)
  t.ok(error instanceof DenylistError, 'DenylistError once the timeout has passed')
  t.match(error, { code: 'FST_JWT_AUTH_DENYLIST_FAILED', message: 'The denylist check did not answer in time' },
    'with a fixed message that does not reveal the timeout')

  settle(false)
  await new Promise(resolve => setImmediate(resolve))
  const late = await outcome(() => pending)
  t.equal(late.error, error, 'a late "not revoked" changes nothing')
})

t.test('a hook slower than usual but within the timeout is awaited', async t => {
  const clock = fakeClock(t)
  const checkDenylist = check({
    tokenInDenylist: () => new Promise<boolean>(resolve => setImmediate(() => {
      clock.advance(999) // most of the second it was given
      resolve(false)
    })),
    denylistTimeout: 1
  })
  const { error } = await outcome(() => checkDenylist(claimsOf('a'), 'access', request))
  t.equal(error, undefined, 'passes')
})

t.test('without a hook, the store decides, with the token\'s subject and iat', async t => {
  t.test('a store that answers at once (the memory store): no promise, and has() is not used', async t => {
    const store = createMemoryDenylist({ maxEntriesPerSubject: 1 })
    let hasCalls = 0
    const has = store.has.bind(store)
    store.has = async (jti, token) => {
      hasCalls++
      return has(jti, token)
    }
    const checkDenylist = check({ denylistStore: store })
    const alice = (jti: string, iat: number) => ({ ...claimsOf(jti), iat })
    await store.add('revoked', null, { subject: 'alice', issuedAt: 1_700_000_000 })
    t.equal(checkDenylist(alice('kept', 1_700_000_000), 'access', request), undefined, 'a token nobody revoked passes at once')
    t.throws(() => checkDenylist(alice('revoked', 1_700_000_000), 'access', request), RevokedTokenError,
      'a revoked one is refused at once')

    // A second revocation folds alice's into a cut-off: found only with her subject and iat.
    await store.add('revoked-too', null, { subject: 'alice', issuedAt: 1_700_000_000 })
    t.throws(() => checkDenylist(alice('kept', 1_700_000_000), 'access', request), RevokedTokenError,
      'the subject and iat reached the store: an older token of a folded subject is refused')
    t.equal(checkDenylist(alice('later', 1_700_000_001), 'access', request), undefined, 'a newer one passes')
    t.equal(hasCalls, 0, 'has() was never called')
  })

  t.test('any other store: has(), with the token\'s identity', async t => {
    const asked: Array<[string, TokenIdentity | undefined]> = []
    const store: DenylistStore = storeWith({
      add: async () => {},
      has: async (jti, token) => {
        asked.push([jti, token])
        return jti === 'revoked'
      }
    })
    const checkDenylist = check({ denylistStore: store })
    const passed = await outcome(() => checkDenylist(claimsOf('kept'), 'access', request))
    t.same(passed, { sync: false }, 'awaited, and passes when has() answers false')
    const refused = await outcome(() => checkDenylist(claimsOf('revoked', 'refresh'), 'refresh', request))
    t.ok(refused.error instanceof RevokedTokenError, 'refused when has() answers true')
    t.same(asked, [
      ['kept', { subject: 'alice', issuedAt: 1_700_000_000, issuedAtMs: 1_700_000_000_000, family: undefined }],
      ['revoked', { subject: 'alice', issuedAt: 1_700_000_000, issuedAtMs: 1_700_000_000_000, family: undefined }]
    ], 'has() got each jti with the token\'s identity')
  })

  t.test('a store whose has() throws or rejects fails closed', async t => {
    const boom = new Error('no secret-jti')
    for (const [name, has] of [
      ['throws', () => { throw boom }],
      ['rejects', async () => { throw boom }]
    ] as Array<[string, DenylistStore['has']]>) {
      const checkDenylist = check({ denylistStore: storeWith({ add: async () => {}, has }) })
      const { error } = await outcome(() => checkDenylist(claimsOf('secret-jti'), 'access', request))
      t.ok(error instanceof DenylistError, `has() ${name}: DenylistError`)
      t.match(error, { message: 'The denylist check failed', cause: boom }, `has() ${name}: fixed message, cause kept`)
    }
  })
})
