// Time-ordered token ids (UUIDv7) and the identity of a token as stores see it.
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import fastifyJwtAuth, { createMemoryDenylist, tokenIdentity, type AuthJwtClaims } from '../index'
import { isVerifiedClaims, issuedAtMsOf, newJti } from '../lib/token-identity'
import { bearer, buildGuardedApp, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { fakeClock } from './helpers/clock'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('newJti: a UUIDv7 holding the time of issue to the millisecond, never repeated', async t => {
  const at = 1_800_000_000_123
  const ids = new Set<string>()
  // More than one block of random bytes.
  for (let i = 0; i < 1000; i++) {
    const jti = newJti(at + i)
    t.match(jti, V7)
    t.equal(parseInt(jti.slice(0, 8) + jti.slice(9, 13), 16), at + i)
    ids.add(jti)
  }
  t.equal(ids.size, 1000)
})

t.test('issuedAtMsOf: the jti\'s time within the iat second, else the start of that second', async t => {
  const ms = 1_800_000_000_456
  const iat = Math.floor(ms / 1000)
  t.equal(issuedAtMsOf({ sub: 'a', iat, jti: newJti(ms) }), ms, 'the plugin\'s own token')
  t.equal(issuedAtMsOf({ sub: 'a', iat: iat - 1, jti: newJti(ms) }), (iat - 1) * 1000, 'a jti of another second')
  t.equal(issuedAtMsOf({ sub: 'a', iat, jti: 'c1b5e5b0-6a5f-4c1e-9d3e-2f0d6b9c8a71' }), iat * 1000, 'a UUIDv4 jti')
  t.equal(issuedAtMsOf({ sub: 'a', iat }), iat * 1000, 'no jti')
  t.equal(issuedAtMsOf({ sub: 'a', jti: newJti(ms) }), undefined, 'no iat')
})

t.test('tokenIdentity: sub, iat, the time of issue and the family', async t => {
  const ms = 1_800_000_000_789
  const claims: AuthJwtClaims = { sub: 7, iat: Math.floor(ms / 1000), jti: newJti(ms), fam: 'f-1' }
  t.same(tokenIdentity(claims), { subject: 7, issuedAt: claims.iat, issuedAtMs: ms, family: 'f-1' })
  t.same(tokenIdentity({ sub: 'x', fam: 42 } as unknown as AuthJwtClaims),
    { subject: 'x', issuedAt: undefined, issuedAtMs: undefined, family: undefined })
})

t.test('a tokenInDenylist hook that reads the store with tokenIdentity honours "log out everywhere"', async t => {
  const store = createMemoryDenylist()
  const app = await buildGuardedApp(t, {
    denylistEnabled: true,
    denylistStore: store,
    tokenInDenylist: claims => store.has(claims.jti as string, tokenIdentity(claims))
  })
  const clock = fakeClock(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  clock.advance(1)
  await app.authJwt.revokeAllTokens('alice')
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
})

t.test('claims verified by an instance without a denylist are marked too, and revoked through another one they fold', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  let reader: FastifyInstance | undefined
  let revoker: FastifyInstance | undefined
  // A scope that only reads tokens, and one that revokes them into a small store.
  app.register(async scope => {
    await scope.register(fastifyJwtAuth, { secretKey: SECRET })
    reader = scope
  })
  app.register(async scope => {
    await scope.register(fastifyJwtAuth, {
      secretKey: SECRET, denylistEnabled: true, denylistStore: createMemoryDenylist({ maxEntries: 10, maxEntriesPerSubject: 2 })
    })
    revoker = scope
  })
  await app.ready()
  const read = (reader as FastifyInstance).authJwt
  const { authJwt } = revoker as FastifyInstance
  const ms = Date.now()
  const token = authJwt.createAccessToken({ subject: 'mallory' })
  const claims = read.decodeToken(token)
  t.ok(isVerifiedClaims(claims), 'marked as verified')
  t.same(tokenIdentity(claims), tokenIdentity(authJwt.decodeToken(token)), 'the same identity as the revoking instance sees')
  t.ok(Math.abs((issuedAtMsOf(claims) as number) - ms) < 1000, 'the time of issue, worked out when asked for')
  // Thirty revocations of one subject fold into a cut-off instead of filling the store.
  for (let i = 0; i < 30; i++) await authJwt.revokeToken(read.decodeToken(authJwt.createAccessToken({ subject: 'mallory' })))
  await t.resolves(authJwt.revokeToken(authJwt.createAccessToken({ subject: 'alice' })), 'the store still takes another user\'s revocation')
})

t.test('the verified mark: invisible to reflection, carried by no copy, never inherited, never forged', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyJwtAuth, { secretKey: SECRET, denylistEnabled: true })
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.ok(isVerifiedClaims(claims), 'the verifier\'s claims are marked')
  t.same(Reflect.ownKeys(claims), Object.keys(claims), 'no hidden key: not even a symbol shows the mark')
  t.ok(Object.isFrozen(claims), 'frozen after marking')
  t.ok(Number.isFinite(issuedAtMsOf(claims)), 'the mark holds the time of issue for an instance with a denylist')
  const copies: Array<[string, object]> = [
    ['a spread copy', { ...claims }],
    ['a JSON copy', JSON.parse(JSON.stringify(claims)) as object],
    ['Object.assign onto a new object', Object.assign({}, claims)],
    ['an object inheriting from the claims', Object.create(claims) as object],
    ['a structured clone', structuredClone(claims)]
  ]
  for (const [what, copy] of copies) t.notOk(isVerifiedClaims(copy), `${what} is not verified`)
  // A hand-built object that copies every key, symbols included, is still not verified.
  const forged: Record<PropertyKey, unknown> = {}
  for (const key of Reflect.ownKeys(claims)) forged[key] = (claims as unknown as Record<PropertyKey, unknown>)[key]
  t.notOk(isVerifiedClaims(forged), 'every own key copied by reflection does not forge it')
  t.notOk(isVerifiedClaims(new Proxy(claims, {})), 'a proxy of verified claims is not verified')
  for (const primitive of ['claims', 42, null]) {
    t.notOk(isVerifiedClaims(primitive as unknown as object), `${String(primitive)} is not verified, and does not throw`)
  }
})
