// userLookup: the user behind a token, once per request, after every other
// check, failing closed. request.authJwt.currentUser holds what it found.
import Fastify, { type FastifyInstance, type FastifyRequest, type preHandlerHookHandler } from 'fastify'
import t from 'tap'
import fastifyJwtAuth, { UserLookupError, UserNotFoundError, type AuthJwtClaims } from '../index'
import { buildApp, expectRegistrationError, SECRET, type LogLine } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'

interface User { id: string | number, name: string }

function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

const current = async (request: FastifyRequest) => ({
  subject: request.authJwt.getJwtSubject(),
  user: request.authJwt.currentUser
})

t.test('a synchronous lookup: its user is request.authJwt.currentUser, found with the claims and the request', async t => {
  const calls: Array<{ sub: unknown, url: string }> = []
  const app = await buildApp(t, {
    userLookup: (claims: AuthJwtClaims, request: FastifyRequest): User => {
      calls.push({ sub: claims.sub, url: request.url })
      return { id: claims.sub, name: 'Alice' }
    }
  })
  app.get('/me', { preHandler: app.jwtRequired }, current)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const response = await app.inject({ url: '/me', headers: bearer(token) })
  t.equal(response.statusCode, 200, 'the request passes')
  t.same(response.json(), { subject: 'alice', user: { id: 'alice', name: 'Alice' } }, 'the user reaches the handler')
  t.same(calls, [{ sub: 'alice', url: '/me' }], 'called once, with the verified claims and the request')
})

t.test('an asynchronous lookup, and one answering with a thenable, work alike', async t => {
  const app = await buildApp(t, {
    userLookup: async (claims: AuthJwtClaims) => {
      await new Promise(resolve => setImmediate(resolve))
      return { id: claims.sub, name: 'async' }
    }
  })
  app.get('/me', { preHandler: app.jwtRequired }, current)
  const token = app.authJwt.createAccessToken({ subject: 7 })
  t.same((await app.inject({ url: '/me', headers: bearer(token) })).json(), { subject: 7, user: { id: 7, name: 'async' } },
    'the awaited user reaches the handler')

  const thenable = await buildApp(t, {
    // Not a Promise: an object with a then method, as some database clients return.
    userLookup: () => ({ then: (resolve: (user: User) => void) => resolve({ id: 1, name: 'thenable' }) })
  })
  thenable.get('/me', { preHandler: thenable.jwtRequired }, current)
  const response = await thenable.inject({ url: '/me', headers: bearer(thenable.authJwt.createAccessToken({ subject: 1 })) })
  t.same(response.json(), { subject: 1, user: { id: 1, name: 'thenable' } }, 'a thenable is awaited too')
})

t.test('no user found: 401 FST_JWT_AUTH_USER_NOT_FOUND, and nothing is kept on the request', async t => {
  for (const [what, found] of [['null', null], ['undefined', undefined], ['a promise of null', Promise.resolve(null)]] as const) {
    const app = await buildApp(t, { userLookup: () => found })
    app.get('/me', { preHandler: app.jwtRequired }, current)
    app.get('/check', async request => {
      const refused = await request.authJwt.jwtRequired().then(() => null, (error: Error) => error.name)
      return { refused, claims: request.authJwt.getRawJwt(), user: request.authJwt.currentUser }
    })
    const token = app.authJwt.createAccessToken({ subject: 'deleted' })
    expectAuthError(t, await app.inject({ url: '/me', headers: bearer(token) }), 'FST_JWT_AUTH_USER_NOT_FOUND',
      { what: `a lookup answering ${what}`, message: 'User not found' })
    t.same((await app.inject({ url: '/check', headers: bearer(token) })).json(),
      { refused: 'UserNotFoundError', claims: null, user: null },
      `${what}: a check in the handler is refused and keeps neither claims nor user`)
  }
  const app = await buildApp(t, { userLookup: () => { throw new UserNotFoundError() } })
  app.get('/me', { preHandler: app.jwtRequired }, current)
  expectAuthError(t, await app.inject({ url: '/me', headers: bearer(app.authJwt.createAccessToken({ subject: 'x' })) }),
    'FST_JWT_AUTH_USER_NOT_FOUND', { what: 'a lookup throwing UserNotFoundError itself' })
})

t.test('a lookup that throws, rejects or hangs fails closed with a 500; the cause is logged, never sent', async t => {
  const secretCause = 'connect ECONNREFUSED db.internal:5432 password=hunter2'
  const cases = [
    ['throws', () => { throw new Error(secretCause) }, 'The user lookup failed'],
    ['rejects', async () => { throw new Error(secretCause) }, 'The user lookup failed'],
    ['hangs', () => new Promise<never>(() => {}), 'The user lookup did not answer in time']
  ] as const
  for (const [what, userLookup, message] of cases) {
    const logs: LogLine[] = []
    const app = await buildApp(t, { userLookup, userLookupTimeout: 1 }, { logs })
    app.get('/me', { preHandler: app.jwtRequired }, current)
    const started = performance.now()
    const response = await app.inject({ url: '/me', headers: bearer(app.authJwt.createAccessToken({ subject: 'alice' })) })
    expectAuthError(t, response, 'FST_JWT_AUTH_USER_LOOKUP_FAILED', { what: `a lookup that ${what}`, message })
    t.notMatch(response.body, /hunter2|ECONNREFUSED/, `${what}: the cause is not sent`)
    if (what === 'hangs') t.ok(performance.now() - started < 5000, 'a hung lookup is answered after userLookupTimeout')
    const logged = logs.find(line => line.err?.code === 'FST_JWT_AUTH_USER_LOOKUP_FAILED')
    t.ok(logged, `${what}: the failure is logged`)
    if (what !== 'hangs') t.match(JSON.stringify(logged), /ECONNREFUSED/, `${what}: with its cause`)
  }
  const error = new UserLookupError('x', { cause: new Error('y') })
  t.equal(error.statusCode, 500, 'UserLookupError is a 500')
  t.equal(error.headers, undefined, 'without a challenge: the client is not at fault')
})

t.test('once per request: two guards and a check in the handler share one lookup', async t => {
  let lookups = 0
  const app = await buildApp(t, {
    userLookup: async (claims: AuthJwtClaims) => ({ id: claims.sub, name: `lookup ${++lookups}` })
  })
  app.get('/twice', { preHandler: [app.jwtRequired, app.freshJwtRequired] }, async request => {
    await request.authJwt.jwtRequired()
    return current(request)
  })
  const token = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  t.same((await app.inject({ url: '/twice', headers: bearer(token) })).json(),
    { subject: 'alice', user: { id: 'alice', name: 'lookup 1' } }, 'one lookup served three checks')
  t.equal(lookups, 1, 'the lookup ran once')
  await app.inject({ url: '/twice', headers: bearer(token) })
  t.equal(lookups, 2, 'and once again on the next request: users are not cached across requests')
})

t.test('only on guards that pass with a token, after every other check', async t => {
  const looked: unknown[] = []
  const revoked = new Set<string>()
  const app = await buildApp(t, {
    denylistEnabled: true,
    tokenInDenylist: (claims: AuthJwtClaims) => revoked.has(claims.jti as string),
    userLookup: (claims: AuthJwtClaims) => {
      looked.push(claims.sub)
      return { id: claims.sub, name: 'n' }
    }
  })
  app.get('/open', current)
  app.get('/optional', { preHandler: app.jwtOptional }, current)
  app.get('/admin', { preHandler: app.jwtScopesRequired(['admin']) }, current)
  app.get('/fresh', { preHandler: app.freshJwtRequired }, current)
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, current)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  t.same((await app.inject({ url: '/open', headers: bearer(token) })).json(), { subject: null, user: null },
    'a route without a guard: no lookup, no user')
  t.same((await app.inject({ url: '/optional' })).json(), { subject: null, user: null }, 'jwtOptional without a token: none')
  t.same(looked, [], 'no lookup so far')
  t.same((await app.inject({ url: '/optional', headers: bearer(token) })).json(), { subject: 'alice', user: { id: 'alice', name: 'n' } },
    'jwtOptional with a token: looked up')
  const refresh = app.authJwt.createRefreshToken({ subject: 'bob' })
  t.same((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json(),
    { subject: 'bob', user: { id: 'bob', name: 'n' } }, 'a refresh token guard looks its user up too: a deleted user cannot refresh')
  looked.length = 0

  expectAuthError(t, await app.inject({ url: '/admin', headers: bearer(token) }), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE',
    { what: 'a missing scope', challenge: 'Bearer error="insufficient_scope", scope="admin"' })
  expectAuthError(t, await app.inject({ url: '/fresh', headers: bearer(token) }), 'FST_JWT_AUTH_FRESH_REQUIRED',
    { what: 'a stale token' })
  revoked.add(app.authJwt.getJti(token) as string)
  expectAuthError(t, await app.inject({ url: '/optional', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'a revoked token' })
  t.same(looked, [], 'refused tokens cost no lookup')
})

t.test('without userLookup, currentUser is null', async t => {
  const app = await buildApp(t)
  app.get('/me', { preHandler: app.jwtRequired }, current)
  t.same((await app.inject({ url: '/me', headers: bearer(app.authJwt.createAccessToken({ subject: 'a' })) })).json(),
    { subject: 'a', user: null }, 'no lookup, no user')
})

t.test('bad settings are refused at registration', async t => {
  for (const value of ['findUser', 42, {}, null]) {
    await expectRegistrationError(t, { secretKey: SECRET, userLookup: value }, /^userLookup must be a function/,
      `userLookup ${JSON.stringify(value)}`)
  }
  for (const value of [0, 1.5, -1, 'soon']) {
    await expectRegistrationError(t, { secretKey: SECRET, userLookupTimeout: value }, /^userLookupTimeout must be a whole number of seconds from 1 to 60/,
      `userLookupTimeout ${JSON.stringify(value)}`)
  }
})

t.test('an answer that is no user object fails closed: false is nobody, a primitive is a 500', async t => {
  const answers = [
    ['false', false, 'FST_JWT_AUTH_USER_NOT_FOUND'],
    ['a promise of false', Promise.resolve(false), 'FST_JWT_AUTH_USER_NOT_FOUND'],
    ['0', 0, 'FST_JWT_AUTH_USER_LOOKUP_FAILED'],
    ['an empty string', '', 'FST_JWT_AUTH_USER_LOOKUP_FAILED'],
    ['a user name', 'alice', 'FST_JWT_AUTH_USER_LOOKUP_FAILED'],
    ['NaN', NaN, 'FST_JWT_AUTH_USER_LOOKUP_FAILED'],
    ['true', true, 'FST_JWT_AUTH_USER_LOOKUP_FAILED'],
    ['a symbol', Symbol('user'), 'FST_JWT_AUTH_USER_LOOKUP_FAILED']
  ] as const
  for (const [what, answer, code] of answers) {
    const app = await buildApp(t, { userLookup: () => answer })
    let ran = false
    app.get('/me', { preHandler: app.jwtRequired }, async () => { ran = true })
    const response = await app.inject({ url: '/me', headers: bearer(app.authJwt.createAccessToken({ subject: 'alice' })) })
    expectAuthError(t, response, code, {
      what: `a lookup answering ${what}`,
      ...(code === 'FST_JWT_AUTH_USER_LOOKUP_FAILED' ? { message: 'The user lookup answered neither a user object nor null' } : {})
    })
    t.notOk(ran, `${what}: the handler never runs`)
  }
  const app = await buildApp(t, { userLookup: () => () => 'a function is an object too' })
  app.get('/me', { preHandler: app.jwtRequired }, async request => typeof request.authJwt.currentUser)
  t.equal((await app.inject({ url: '/me', headers: bearer(app.authJwt.createAccessToken({ subject: 'a' })) })).body,
    'function', 'a function is kept as the user')
})

t.test('an answer whose then cannot be read fails closed, and what it throws is logged, not sent', async t => {
  const row = { id: 'alice', passwordHash: '$argon2id$secret-hash' }
  const answers = [
    ['a then getter that throws', { get then () { throw new Error(`row ${JSON.stringify(row)}`) } }],
    ['a revoked proxy', (() => {
      const { proxy, revoke } = Proxy.revocable(row, {})
      revoke()
      return proxy
    })()]
  ] as const
  for (const [what, answer] of answers) {
    const logs: LogLine[] = []
    const app = await buildApp(t, { userLookup: () => answer }, { logs })
    app.get('/me', { preHandler: app.jwtRequired }, current)
    const response = await app.inject({ url: '/me', headers: bearer(app.authJwt.createAccessToken({ subject: 'alice' })) })
    expectAuthError(t, response, 'FST_JWT_AUTH_USER_LOOKUP_FAILED', { what, message: 'The user lookup failed' })
    t.notMatch(response.body, /argon2|secret-hash|revoked/, `${what}: nothing of the cause is sent`)
    t.ok(logs.some(line => line.err?.code === 'FST_JWT_AUTH_USER_LOOKUP_FAILED'), `${what}: logged`)
  }
})

t.test('userLookupTimeout is at most a minute', async t => {
  for (const value of [61, 1e300]) {
    await expectRegistrationError(t, { secretKey: SECRET, userLookupTimeout: value },
      'userLookupTimeout must be a whole number of seconds from 1 to 60', `userLookupTimeout ${value}`)
  }
})

t.test('guards of two instances on one route: each instance looks the user up with its own lookup', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const calls: string[] = []
  let publicGuard: preHandlerHookHandler | undefined
  let admin: FastifyInstance | undefined
  app.register(async scope => {
    await scope.register(fastifyJwtAuth, {
      secretKey: SECRET,
      userLookup: (claims: AuthJwtClaims) => { calls.push('public'); return { id: claims.sub, admin: false } }
    })
    publicGuard = scope.jwtRequired
  })
  app.register(async scope => {
    await scope.register(fastifyJwtAuth, {
      secretKey: SECRET,
      // This instance's lookup refuses everyone but root.
      userLookup: (claims: AuthJwtClaims) => { calls.push('admin'); return claims.sub === 'root' ? { id: claims.sub, admin: true } : null }
    })
    admin = scope
    scope.get('/admin', { preHandler: [publicGuard as preHandlerHookHandler, scope.jwtRequired] }, current)
  })
  await app.ready()
  const token = (admin as FastifyInstance).authJwt.createAccessToken({ subject: 'alice' })
  expectAuthError(t, await app.inject({ url: '/admin', headers: bearer(token) }), 'FST_JWT_AUTH_USER_NOT_FOUND',
    { what: 'the second instance\'s lookup refuses alice' })
  t.same(calls, ['public', 'admin'], 'both lookups ran, once each')
  const root = (admin as FastifyInstance).authJwt.createAccessToken({ subject: 'root' })
  t.same((await app.inject({ url: '/admin', headers: bearer(root) })).json(),
    { subject: 'root', user: { id: 'root', admin: true } }, 'root passes both, and the user is the last instance\'s')
})
