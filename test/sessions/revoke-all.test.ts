// Log out everywhere: fastify.authJwt.revokeAllTokens(subject) and
// request.authJwt.revokeAllTokens(), on the memory store.
import t from 'tap'
import { createMemoryDenylist, type DenylistStore } from '../../index'
import { bearer, buildApp, buildGuardedApp, expectRegistrationError } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { fakeClock } from '../helpers/clock'
import { recordingStore } from '../helpers/recording-store'

t.test('every token of the subject issued before the call is refused; one issued after passes', async t => {
  const app = await buildGuardedApp(t, { denylistEnabled: true })
  const clock = fakeClock(t, 1_800_000_000_500)
  const before = app.authJwt.createAccessToken({ subject: 'alice' })
  const refreshBefore = app.authJwt.createRefreshToken({ subject: 'alice' })
  const other = app.authJwt.createAccessToken({ subject: 'bob' })
  const numeric = app.authJwt.createAccessToken({ subject: 1 })
  clock.advance(1)
  await app.authJwt.revokeAllTokens('alice')
  clock.advance(1)
  // Within the same second as the cut-off.
  const after = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal(app.authJwt.decodeToken(after).iat, app.authJwt.decodeToken(before).iat, 'the same second')
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(before) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
  expectAuthError(t, await app.inject({ url: '/refresh', headers: bearer(refreshBefore) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
  t.equal((await app.inject({ url: '/required', headers: bearer(after) })).statusCode, 200, 'issued after the call')
  t.equal((await app.inject({ url: '/required', headers: bearer(other) })).statusCode, 200, 'another subject')
  t.equal((await app.inject({ url: '/required', headers: bearer(numeric) })).statusCode, 200, 'the subject 1 is not "1"')
})

t.test('request.authJwt.revokeAllTokens() logs the current subject out everywhere', async t => {
  const app = await buildGuardedApp(t, { denylistEnabled: true })
  app.post('/logout-everywhere', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeAllTokens()
    return 'ok'
  })
  app.post('/anonymous', async request => request.authJwt.revokeAllTokens())
  const clock = fakeClock(t)
  const phone = app.authJwt.createAccessToken({ subject: 42 })
  const laptop = app.authJwt.createAccessToken({ subject: 42 })
  clock.advance(1)
  t.equal((await app.inject({ method: 'POST', url: '/logout-everywhere', headers: bearer(laptop) })).statusCode, 200)
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(phone) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
  expectAuthError(t, await app.inject({ method: 'POST', url: '/anonymous' }), 'FST_JWT_AUTH_MISSING_TOKEN')
})

t.test('the store gets one cut-off, kept as long as the longest token lifetime', async t => {
  const { store, cutoffs } = recordingStore()
  const app = await buildApp(t, { denylistEnabled: true, denylistStore: store, refreshTokenExpires: 7200, decodeLeeway: 5 })
  const clock = fakeClock(t, 1_800_000_000_250)
  await app.authJwt.revokeAllTokens('carol')
  // Up to and including this millisecond.
  t.same(cutoffs, [['carol', clock.now() + 1, 1_800_000_001 + 7200 + 5]])
  const forever = recordingStore()
  const endless = await buildApp(t, { denylistEnabled: true, denylistStore: forever.store, refreshTokenExpires: false })
  await endless.authJwt.revokeAllTokens('carol')
  t.equal(forever.cutoffs[0][2], null, 'tokens without end: kept for ever')
})

t.test('within one millisecond: a token issued before the call is refused, a login right after it passes', async t => {
  const app = await buildGuardedApp(t, { denylistEnabled: true })
  fakeClock(t, 1_800_000_000_777)
  const before = app.authJwt.createAccessToken({ subject: 'ivy' })
  await app.authJwt.revokeAllTokens('ivy')
  const after = app.authJwt.createAccessToken({ subject: 'ivy' })
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(before) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
  t.equal((await app.inject({ url: '/required', headers: bearer(after) })).statusCode, 200)
})

t.test('revokeAllTokens needs both token types checked: an unchecked one would go on working', async t => {
  for (const checks of [['refresh'], ['access']] as const) {
    const app = await buildApp(t, { denylistEnabled: true, denylistTokenChecks: [...checks] })
    await t.rejects(app.authJwt.revokeAllTokens('a'),
      { code: 'FST_JWT_AUTH_CONFIG', message: 'revokeAllTokens needs both access and refresh in denylistTokenChecks' }, checks.join())
  }
})

t.test('revokeAllTokens needs the denylist and a store, and a subject', async t => {
  const off = await buildApp(t, {})
  await t.rejects(off.authJwt.revokeAllTokens('a'), { code: 'FST_JWT_AUTH_CONFIG', message: 'revokeAllTokens needs denylistEnabled: true' })
  const hook = await buildApp(t, { denylistEnabled: true, tokenInDenylist: () => false })
  await t.rejects(hook.authJwt.revokeAllTokens('a'), { code: 'FST_JWT_AUTH_CONFIG', message: /revokeAllTokens needs a denylistStore/ })
  const app = await buildApp(t, { denylistEnabled: true })
  for (const subject of ['', NaN, 2 ** 60, null, {}]) {
    await t.rejects(app.authJwt.revokeAllTokens(subject as string), TypeError, `subject ${String(subject)}`)
  }
})

t.test('a store that fails or hangs: DenylistError', async t => {
  const memory = createMemoryDenylist()
  for (const [what, revokeSubject] of [
    ['rejects', async () => { throw new Error('down') }],
    ['hangs', () => new Promise<void>(() => {})]
  ] as const) {
    const store = { ...memory, revokeSubject } as DenylistStore
    const app = await buildApp(t, { denylistEnabled: true, denylistStore: store, denylistTimeout: 1 })
    await t.rejects(app.authJwt.revokeAllTokens('x'), { code: 'FST_JWT_AUTH_DENYLIST_FAILED' }, what)
  }
})

t.test('a store without the session methods is refused at registration', async t => {
  const old = { add: async () => {}, has: async () => false }
  await expectRegistrationError(t, { denylistEnabled: true, denylistStore: old },
    'denylistStore lacks useRefreshToken, revokeSubject: a store must implement add, has, useRefreshToken, revokeSubject (see "Writing a store" in the README)',
    'a store of add and has')
  await expectRegistrationError(t, { denylistEnabled: true, denylistStore: 'redis' },
    'denylistStore must be an object with async add, has, useRefreshToken, revokeSubject', 'not an object')
})
