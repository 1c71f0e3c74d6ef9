// The guards exported by the package (`import { jwtRequired } from
// 'fastify-jwt-auth'`): they exist before the plugin has loaded, find the
// plugin on the route's instance when a request arrives, and fail closed
// where it is not registered.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest, type LightMyRequestResponse, type preHandlerHookHandler } from 'fastify'
import fastifyJwtAuth, {
  freshJwtRequired,
  jwtOptional,
  jwtRefreshTokenRequired,
  jwtRequired,
  type FastifyJwtAuthOptions
} from '../index'
import { bearer, buildApp, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'

const OTHER_SECRET = 'another-test-secret-that-is-long-enough!!'
const GUARDS = { jwtRequired, jwtOptional, jwtRefreshTokenRequired, freshJwtRequired }

const whoami = async (request: FastifyRequest) => ({ subject: request.authJwt.getJwtSubject() })

/** The 500 a guard answers where no instance of the plugin serves the route; its message says what to do. */
function assertNotRegistered (t: Test, response: LightMyRequestResponse, what: string): void {
  expectAuthError(t, response, 'FST_JWT_AUTH_CONFIG', { message: /not registered for this route.*await app\.register\(fastifyJwtAuth/, what })
}

t.test('a registration without await: the decorator leaves the route open, the exported guard does not', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  // Not awaited: the plugin loads later, at ready().
  app.register(fastifyJwtAuth, { secretKey: SECRET })
  t.equal(app.jwtRequired, undefined, 'the decorator does not exist yet')

  // Fastify takes an undefined preHandler as no preHandler and accepts the
  // route: it is open to anyone. This is why the package exports its guards.
  let runs = 0
  app.get('/decorator', { preHandler: app.jwtRequired }, async () => {
    runs++
    return { secret: true }
  })
  app.get('/exported', { preHandler: jwtRequired }, async () => {
    runs++
    return { secret: true }
  })
  await app.ready()

  const open = await app.inject({ url: '/decorator' })
  t.equal(open.statusCode, 200, 'the route behind the undefined decorator answers without a token')
  t.equal(runs, 1, 'its handler ran')

  expectAuthError(t, await app.inject({ url: '/exported' }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'the route behind the exported guard refuses a request without a token' })
  t.equal(runs, 1, 'its handler did not run')

  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const allowed = await app.inject({ url: '/exported', headers: bearer(token) })
  t.equal(allowed.statusCode, 200, 'a valid token passes the exported guard')
  t.equal(runs, 2, 'its handler ran for the authenticated request')
})

t.test('an undefined decorator inside a preHandler array is refused by Fastify', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(fastifyJwtAuth, { secretKey: SECRET })
  t.throws(() => app.get('/array', { preHandler: [app.jwtRequired] }, whoami), { code: 'FST_ERR_HOOK_INVALID_HANDLER' },
    'only a lone undefined preHandler slips through')
})

t.test('exported guards on routes declared before the plugin is registered', async t => {
  const app = await buildApp(t, {}, {
    before: app => {
      app.get('/required', { preHandler: jwtRequired }, whoami)
      app.get('/both', { preHandler: [jwtRequired, freshJwtRequired] }, whoami)
    }
  })

  expectAuthError(t, await app.inject({ url: '/required' }), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'no token: refused' })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  t.same((await app.inject({ url: '/required', headers: bearer(access) })).json(), { subject: 'alice' },
    'a valid token passes and the handler sees its subject')
  expectAuthError(t, await app.inject({ url: '/both', headers: bearer(access) }), 'FST_JWT_AUTH_FRESH_REQUIRED',
    { what: 'in an array, every guard runs' })
  const fresh = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  t.equal((await app.inject({ url: '/both', headers: bearer(fresh) })).statusCode, 200, 'in an array, all guards pass')
})

t.test('on an instance without the plugin every exported guard fails closed', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  let runs = 0
  for (const [name, guard] of Object.entries(GUARDS)) {
    app.get(`/${name}`, { preHandler: guard }, async () => {
      runs++
      return 'ran'
    })
  }
  // A valid token, from an instance that has the plugin, gets no further.
  const issuer = await buildApp(t)
  const token = issuer.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  for (const name of Object.keys(GUARDS)) {
    assertNotRegistered(t, await app.inject({ url: `/${name}` }), `${name} without a token`)
    assertNotRegistered(t, await app.inject({ url: `/${name}`, headers: bearer(token) }), `${name} with a token`)
  }
  t.equal(runs, 0, 'no handler ran')
})

t.test('names an application can define do not stand in for the plugin', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const letEveryoneIn: preHandlerHookHandler = (_request, _reply, done) => done()
  const everyone = Object.freeze({ access: letEveryoneIn, optional: letEveryoneIn, refresh: letEveryoneIn, fresh: letEveryoneIn })
  app.decorate('jwtRequired', letEveryoneIn)
  app.decorate(Symbol.for('fastify-jwt-auth.guards'), everyone)
  app.decorate('fastify-jwt-auth.guards', everyone)
  let runs = 0
  app.get('/x', { preHandler: jwtRequired }, async () => {
    runs++
    return 'ran'
  })
  assertNotRegistered(t, await app.inject({ url: '/x' }), 'with look-alike decorators')
  t.equal(runs, 0, 'the handler did not run')
})

t.test('sibling encapsulated contexts each have their own plugin', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const tokens: Record<string, string> = {}
  for (const [name, secretKey] of [['a', SECRET], ['b', OTHER_SECRET]]) {
    await app.register(async child => {
      await child.register(fastifyJwtAuth, { secretKey })
      child.get('/whoami', { preHandler: jwtRequired }, async request => ({ context: name, subject: request.authJwt.getJwtSubject() }))
      tokens[name] = child.authJwt.createAccessToken({ subject: `user of ${name}` })
    }, { prefix: `/${name}` })
  }
  app.get('/root', { preHandler: jwtRequired }, whoami)
  await app.register(async child => {
    child.get('/whoami', { preHandler: jwtRequired }, whoami)
  }, { prefix: '/c' })

  t.same((await app.inject({ url: '/a/whoami', headers: bearer(tokens.a) })).json(), { context: 'a', subject: 'user of a' },
    'context a accepts its own token')
  t.same((await app.inject({ url: '/b/whoami', headers: bearer(tokens.b) })).json(), { context: 'b', subject: 'user of b' },
    'context b accepts its own token')
  expectAuthError(t, await app.inject({ url: '/b/whoami', headers: bearer(tokens.a) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Signature verification failed', what: 'context b refuses a token of context a: it verifies with its own secret' })
  expectAuthError(t, await app.inject({ url: '/a/whoami', headers: bearer(tokens.b) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { what: 'context a refuses a token of context b' })
  assertNotRegistered(t, await app.inject({ url: '/root', headers: bearer(tokens.a) }), 'the parent of the contexts')
  assertNotRegistered(t, await app.inject({ url: '/c/whoami', headers: bearer(tokens.a) }), 'a sibling context without the plugin')
})

t.test('each requirement through the exported guards', async t => {
  const app = await buildApp(t, {}, {
    before: app => {
      for (const [name, guard] of Object.entries(GUARDS)) app.get(`/${name}`, { preHandler: guard }, whoami)
    }
  })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const fresh = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  const call = (name: string, token?: string) => app.inject({ url: `/${name}`, headers: token === undefined ? {} : bearer(token) })

  t.same((await call('jwtRequired', access)).json(), { subject: 'alice' }, 'jwtRequired: an access token passes')
  expectAuthError(t, await call('jwtRequired'), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'jwtRequired: no token is refused' })
  expectAuthError(t, await call('jwtRequired', refresh), 'FST_JWT_AUTH_ACCESS_REQUIRED', { what: 'jwtRequired: a refresh token is refused' })

  t.same((await call('jwtOptional')).json(), { subject: null }, 'jwtOptional: no token runs anonymously')
  t.same((await call('jwtOptional', access)).json(), { subject: 'alice' }, 'jwtOptional: an access token is read')
  expectAuthError(t, await call('jwtOptional', 'garbage'), 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'jwtOptional: a bad token is refused' })

  t.same((await call('jwtRefreshTokenRequired', refresh)).json(), { subject: 'alice' }, 'jwtRefreshTokenRequired: a refresh token passes')
  expectAuthError(t, await call('jwtRefreshTokenRequired', access), 'FST_JWT_AUTH_REFRESH_REQUIRED',
    { what: 'jwtRefreshTokenRequired: an access token is refused' })

  t.same((await call('freshJwtRequired', fresh)).json(), { subject: 'alice' }, 'freshJwtRequired: a fresh token passes')
  expectAuthError(t, await call('freshJwtRequired', access), 'FST_JWT_AUTH_FRESH_REQUIRED', { what: 'freshJwtRequired: a stale token is refused' })
})

t.test('an asynchronous denylist hook through an exported guard', async t => {
  const revoked = new Set<string>()
  let failing = false
  const options: FastifyJwtAuthOptions = {
    denylistEnabled: true,
    // A hook answering through a promise: the guard's asynchronous path.
    tokenInDenylist: async claims => {
      if (failing) throw new Error('store down')
      return revoked.has(claims.jti as string)
    }
  }
  const app = await buildApp(t, options, { before: app => { app.get('/x', { preHandler: jwtRequired }, whoami) } })
  const kept = app.authJwt.createAccessToken({ subject: 'kept' })
  const dropped = app.authJwt.createAccessToken({ subject: 'dropped' })
  revoked.add(app.authJwt.getJti(dropped) as string)

  t.same((await app.inject({ url: '/x', headers: bearer(kept) })).json(), { subject: 'kept' }, 'a token not revoked passes')
  expectAuthError(t, await app.inject({ url: '/x', headers: bearer(dropped) }), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'a revoked token is refused' })
  failing = true
  expectAuthError(t, await app.inject({ url: '/x', headers: bearer(kept) }), 'FST_JWT_AUTH_DENYLIST_FAILED',
    { what: 'a failing hook fails closed' })
})

t.test('a caller passing its own callback, as @fastify/auth does', async t => {
  const app = await buildApp(t)
  const callbacks: Array<Error | undefined> = []
  // Runs the guard with a callback of its own and answers from what it got.
  app.get('/x', async function (this: FastifyInstance, request, reply) {
    const error = await new Promise<Error | undefined>(resolve => {
      jwtRequired.call(this, request, reply, (error?: Error) => {
        callbacks.push(error)
        resolve(error)
      })
    })
    return { refused: error?.name ?? null, subject: request.authJwt.getJwtSubject() }
  })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.same((await app.inject({ url: '/x', headers: bearer(token) })).json(), { refused: null, subject: 'alice' },
    'a valid token: the callback gets no error and the claims are kept')
  t.same((await app.inject({ url: '/x' })).json(), { refused: 'MissingTokenError', subject: null },
    'no token: the callback gets the error')
  t.equal(callbacks.length, 2, 'the callback ran exactly once per call')
})

// The plugin keeps its guards for the exported ones under a symbol, not a name.
t.test('the plugin adds no public instance decorators beyond its six', async t => {
  const bare = Fastify({ logger: false })
  t.teardown(() => bare.close())
  const withPlugin = await buildApp(t)
  await Promise.all([bare.ready(), withPlugin.ready()])
  const before = new Set(Object.getOwnPropertyNames(bare))
  const added = Object.getOwnPropertyNames(withPlugin).filter(name => !before.has(name)).sort()
  t.same(added, [
    'authJwt', 'freshJwtRequired', 'jwtOptional', 'jwtRefreshTokenRequired', 'jwtRequired', 'jwtScopesRequired'
  ], 'only the documented decorators have names')
})
