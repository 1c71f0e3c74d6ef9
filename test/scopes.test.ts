// Scopes: the requirement a scope guard checks (all of its scopes, or one
// with `any`), the scopes a token's claim grants (a space-separated string or
// a list), the 403 and its challenge, where the check sits among the others
// (after the denylist, before the user lookup), the exported guard, and the
// scopes token creation writes and a rotation carries over.
import Fastify, { type FastifyInstance, type FastifyRequest, type preHandlerHookHandler } from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, {
  AuthJwtError,
  InsufficientScopeError,
  jwtScopesRequired,
  type AuthJwtClaims,
  type FastifyJwtAuthOptions
} from '../index'
import { checkScopes, grantedScopes, scopeClaimValue, scopeRequirement } from '../lib/scopes'
import { bearer, buildApp, expectRegistrationError, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { peek } from './helpers/forge'

const challengeFor = (scopes: string) => `Bearer error="insufficient_scope", scope="${scopes}"`

const whoami = async (request: FastifyRequest) => ({ subject: request.authJwt.getJwtSubject() })

/** Claims as a verified token has them, with `extra` on top. */
function claimsWith (extra: Record<string, unknown>): AuthJwtClaims {
  return { sub: 'alice', type: 'access', ...extra } as AuthJwtClaims
}

/** Runs `body` while Object.prototype carries `name`; always cleans up. */
async function withPollutedPrototype<T> (name: string, value: unknown, body: () => T | Promise<T>): Promise<T> {
  const prototype = Object.prototype as Record<string, unknown>
  prototype[name] = value
  try {
    return await body()
  } finally {
    delete prototype[name]
  }
}

// Arguments that must be refused when a scope guard is declared.
const BAD_SCOPE_LISTS: Array<[string, unknown]> = [
  ['an empty list', []],
  ['a string instead of a list', 'posts:read'],
  ['undefined', undefined],
  ['an empty scope', ['']],
  ['a scope with a space', ['posts read']],
  ['a scope with a quote', ['posts"read']],
  ['a scope with a backslash', ['posts\\read']],
  ['a scope with a tab', ['posts\tread']],
  ['a scope with DEL', ['posts\x7f']],
  ['a scope with a non-ASCII letter', ['postés']],
  ['a number', [42]],
  ['null in the list', ['posts:read', null]]
]

const BAD_OPTIONS: Array<[string, unknown, RegExp]> = [
  ['null', null, /options must be \{ any\?: boolean \}/],
  ['a string', 'any', /options must be \{ any\?: boolean \}/],
  ['true', true, /options must be \{ any\?: boolean \}/],
  ['an unknown option', { all: true }, /options must be \{ any\?: boolean \}/],
  ['a misspelt option next to any', { any: true, Any: true }, /options must be \{ any\?: boolean \}/],
  ['any as a string', { any: 'yes' }, /options\.any must be true or false/],
  ['any as a number', { any: 1 }, /options\.any must be true or false/]
]

t.test('scopeRequirement', async t => {
  t.test('a checked, frozen requirement: all of the scopes by default', async t => {
    const requirement = scopeRequirement(['posts:read', 'posts:write'])
    t.same(requirement, { scopes: ['posts:read', 'posts:write'], any: false })
    t.ok(Object.isFrozen(requirement), 'the requirement is frozen')
    t.ok(Object.isFrozen(requirement.scopes), 'its scopes are frozen')
    t.same(scopeRequirement(['a'], { any: true }), { scopes: ['a'], any: true }, 'any: true')
    t.same(scopeRequirement(['a'], { any: false }), { scopes: ['a'], any: false }, 'any: false')
    t.same(scopeRequirement(['a'], {}), { scopes: ['a'], any: false }, 'empty options')
    t.same(scopeRequirement(['a'], undefined), { scopes: ['a'], any: false }, 'no options')
  })

  t.test('duplicated scopes are kept once, in their first order', async t => {
    t.same(scopeRequirement(['b', 'a', 'b', 'a']).scopes, ['b', 'a'])
  })

  t.test('the list is copied: changing it afterwards changes nothing', async t => {
    const scopes = ['posts:read']
    const requirement = scopeRequirement(scopes)
    scopes.push('admin')
    t.same(requirement.scopes, ['posts:read'])
  })

  t.test('every RFC 6749 scope-token character is accepted, at both ends of its ranges', async t => {
    for (const scope of ['!', '#', '[', ']', '~', 'posts:read', 'https://api.example.com/posts.read', 'a+b=c&d']) {
      t.same(scopeRequirement([scope]).scopes, [scope], JSON.stringify(scope))
    }
  })

  t.test('a bad list of scopes is a TypeError', async t => {
    for (const [what, scopes] of BAD_SCOPE_LISTS) {
      t.throws(() => scopeRequirement(scopes), {
        name: 'TypeError',
        message: /^jwtScopesRequired: scopes must be a non-empty list of scopes, each made of printable ASCII/
      }, what)
    }
  })

  t.test('holes in a list are not scopes', async t => {
    // eslint-disable-next-line no-sparse-arrays
    t.throws(() => scopeRequirement([, 'posts:read']), TypeError, 'a hole before a scope')
    t.throws(() => scopeRequirement(new Array(1)), TypeError, 'a list of one hole')
  })

  t.test('bad options are a TypeError', async t => {
    for (const [what, options, message] of BAD_OPTIONS) {
      t.throws(() => scopeRequirement(['a'], options), { name: 'TypeError', message }, what)
    }
  })

  t.test('an `any` inherited from a polluted Object.prototype does not weaken "all"', async t => {
    const requirement = await withPollutedPrototype('any', true, () => scopeRequirement(['a', 'b']))
    t.equal(requirement.any, false)
  })
})

t.test('grantedScopes', async t => {
  t.same(grantedScopes('posts:read posts:write'), ['posts:read', 'posts:write'], 'a space-separated string')
  t.same(grantedScopes('admin'), ['admin'], 'a single scope')
  t.same(grantedScopes(['posts:read', 'admin']), ['posts:read', 'admin'], 'a list of strings')
  t.same(grantedScopes(['posts:read', 3, null, { admin: true }, ['admin']]), ['posts:read'],
    'a list keeps its strings only')
  for (const [what, value] of [['a number', 42], ['an object', { admin: true }], ['null', null],
    ['undefined', undefined], ['true', true]] as const) {
    t.same(grantedScopes(value), [], `${what} grants nothing`)
  }
})

t.test('checkScopes', async t => {
  const all = scopeRequirement(['posts:read', 'posts:write'])
  const any = scopeRequirement(['posts:read', 'admin'], { any: true })

  t.doesNotThrow(() => checkScopes(claimsWith({ scope: 'posts:write posts:read' }), 'scope', all), 'all granted, any order')
  t.doesNotThrow(() => checkScopes(claimsWith({ scope: 'admin' }), 'scope', any), 'one of any')
  t.doesNotThrow(() => checkScopes(claimsWith({ scp: ['posts:read', 'posts:write'] }), 'scp', all), 'a list in another claim')

  const refused = (claims: AuthJwtClaims, requirement = all, claim = 'scope'): unknown => {
    try {
      checkScopes(claims, claim, requirement)
    } catch (error) {
      return error
    }
    return undefined
  }
  const error = refused(claimsWith({ scope: 'posts:read' }))
  t.ok(error instanceof InsufficientScopeError, 'one of two is not all')
  t.same((error as InsufficientScopeError).requiredScopes, ['posts:read', 'posts:write'], 'the error names the requirement')
  t.ok(refused(claimsWith({ scope: 'posts:write' }), any) instanceof InsufficientScopeError, 'none of any')
  t.ok(refused(claimsWith({})) instanceof InsufficientScopeError, 'no claim')
  t.ok(refused(claimsWith({ scope: 'posts:read posts:write' }), all, 'scp') instanceof InsufficientScopeError,
    'the scopes in a claim that is not the scope claim')
  t.ok(refused(claimsWith({ scope: 'posts:readonly posts:writer' })) instanceof InsufficientScopeError,
    'no prefix matching')
  t.ok(refused(claimsWith({ scope: 'POSTS:READ POSTS:WRITE' })) instanceof InsufficientScopeError,
    'case matters')
  t.ok(refused(claimsWith({ scope: 'posts:read,posts:write' })) instanceof InsufficientScopeError,
    'only a space separates scopes')

  t.test('a scope claim inherited from a polluted Object.prototype grants nothing', async t => {
    const inherited = await withPollutedPrototype('scope', 'posts:read posts:write admin',
      () => refused(claimsWith({})))
    t.ok(inherited instanceof InsufficientScopeError)
  })
})

t.test('scopeClaimValue', async t => {
  t.equal(scopeClaimValue(['posts:read', 'posts:write']), 'posts:read posts:write', 'a space-separated string')
  t.equal(scopeClaimValue(['b', 'a', 'b']), 'b a', 'duplicates written once, in their first order')
  t.equal(scopeClaimValue([]), undefined, 'an empty list writes no claim')
  for (const [what, scopes] of BAD_SCOPE_LISTS.filter(([, scopes]) => !(Array.isArray(scopes) && scopes.length === 0))) {
    t.throws(() => scopeClaimValue(scopes), { name: 'TypeError', message: /^scopes must be a list of scopes, each made of/ }, what)
  }
  // eslint-disable-next-line no-sparse-arrays
  t.throws(() => scopeClaimValue([, 'posts:read']), TypeError, 'a list with a hole')
  t.throws(() => scopeClaimValue(new Array(2)), TypeError, 'a list of holes')
})

t.test('InsufficientScopeError', async t => {
  const error = new InsufficientScopeError(['posts:read', 'admin'])
  t.ok(error instanceof AuthJwtError, 'one of the plugin\'s errors')
  t.equal(error.name, 'InsufficientScopeError')
  t.equal(error.code, 'FST_JWT_AUTH_INSUFFICIENT_SCOPE')
  t.equal(error.statusCode, 403)
  t.equal(error.message, 'Insufficient scope')
  t.same(error.requiredScopes, ['posts:read', 'admin'])
  t.same(error.headers, { 'www-authenticate': challengeFor('posts:read admin') }, 'the RFC 6750 §3.1 challenge')
  t.ok(Object.isFrozen(error.headers), 'the headers are frozen')
})

/** An app with scope guards from the decorator: all, any, and a single scope. */
async function scopedApp (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, options)
  app.get('/read', { preHandler: app.jwtScopesRequired(['posts:read']) }, whoami)
  app.get('/read-write', { preHandler: app.jwtScopesRequired(['posts:read', 'posts:write']) }, whoami)
  app.get('/read-or-admin', { preHandler: app.jwtScopesRequired(['posts:read', 'admin'], { any: true }) }, whoami)
  return app
}

const get = (app: FastifyInstance, url: string, token?: string) =>
  app.inject({ url, headers: token === undefined ? {} : bearer(token) })

t.test('the scope guard through requests', async t => {
  const app = await scopedApp(t)
  const access = (userClaims: Record<string, unknown>) => app.authJwt.createAccessToken({ subject: 'alice', userClaims })

  t.test('all of the scopes: every one is needed', async t => {
    const both = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:write', 'posts:read'] })
    const response = await get(app, '/read-write', both)
    t.equal(response.statusCode, 200)
    t.same(response.json(), { subject: 'alice' }, 'the handler ran with the token')
    const readOnly = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'] })
    t.equal((await get(app, '/read', readOnly)).statusCode, 200, 'one scope is enough where one is required')
    expectAuthError(t, await get(app, '/read-write', readOnly), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
      message: 'Insufficient scope',
      challenge: challengeFor('posts:read posts:write'),
      what: 'one of two scopes'
    })
  })

  t.test('any: one of the scopes is enough', async t => {
    for (const scopes of [['admin'], ['posts:read'], ['posts:read', 'admin']]) {
      const token = app.authJwt.createAccessToken({ subject: 'alice', scopes })
      t.equal((await get(app, '/read-or-admin', token)).statusCode, 200, scopes.join(' '))
    }
    const other = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:write'] })
    expectAuthError(t, await get(app, '/read-or-admin', other), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
      challenge: challengeFor('posts:read admin'),
      what: 'none of them: the challenge names every one'
    })
  })

  t.test('a list claim grants its strings', async t => {
    t.equal((await get(app, '/read-write', access({ scope: ['posts:read', 'posts:write'] }))).statusCode, 200,
      'a list of strings')
    const mixed = access({ scope: [7, 'posts:read', { scope: 'posts:write' }] })
    t.equal((await get(app, '/read', mixed)).statusCode, 200, 'a string among other values counts')
    expectAuthError(t, await get(app, '/read-write', mixed), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
      challenge: challengeFor('posts:read posts:write'),
      what: 'the other values grant nothing'
    })
  })

  t.test('a claim that is no string nor list, or no claim, is a 403', async t => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['a number', { scope: 1 }],
      ['an object', { scope: { 'posts:read': true } }],
      ['true', { scope: true }],
      ['null', { scope: null }],
      ['an empty string', { scope: '' }],
      ['no claim', {}],
      ['a prefix of the scope', { scope: 'posts' }],
      ['another case', { scope: 'Posts:Read' }]
    ]
    for (const [what, userClaims] of cases) {
      expectAuthError(t, await get(app, '/read', access(userClaims)), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
        challenge: challengeFor('posts:read'), what
      })
    }
  })

  t.test('a scope claim inherited from a polluted Object.prototype grants nothing', async t => {
    const token = access({ role: 'user' })
    const response = await withPollutedPrototype('scope', 'posts:read', () => get(app, '/read', token))
    expectAuthError(t, response, 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', { challenge: challengeFor('posts:read') })
  })

  t.test('no token: 401 missing token, before any scope', async t => {
    expectAuthError(t, await get(app, '/read'), 'FST_JWT_AUTH_MISSING_TOKEN')
  })

  t.test('a refresh token is refused as one, even with the scopes', async t => {
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice', scopes: ['posts:read'] })
    expectAuthError(t, await get(app, '/read', refresh), 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })

  t.test('a token that fails verification is a 401, not a 403', async t => {
    const token = access({})
    expectAuthError(t, await get(app, '/read', `${token}x`), 'FST_JWT_AUTH_TOKEN_INVALID')
  })
})

t.test('duplicated scopes are required, and named, once', async t => {
  const seen: unknown[] = []
  const app = await buildApp(t)
  app.setErrorHandler((error, _request, reply) => {
    seen.push(error)
    return reply.code(403).send({ refused: true })
  })
  app.get('/twice', { preHandler: app.jwtScopesRequired(['a', 'b', 'a']) }, whoami)
  const token = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['b'] })
  t.equal((await get(app, '/twice', token)).statusCode, 403)
  t.equal(seen.length, 1)
  t.ok(seen[0] instanceof InsufficientScopeError, 'the error handler gets an InsufficientScopeError')
  t.same((seen[0] as InsufficientScopeError).requiredScopes, ['a', 'b'], 'requiredScopes, de-duplicated')
  t.same((seen[0] as InsufficientScopeError).headers, { 'www-authenticate': challengeFor('a b') })
})

t.test('a custom scopeClaim', async t => {
  const app = await scopedApp(t, { scopeClaim: 'scp' })

  t.test('token creation writes it, as a string, and not the default claim', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read', 'posts:write'] })
    const { payload } = peek(token)
    t.equal(payload.scp, 'posts:read posts:write')
    t.notOk('scope' in payload, 'no "scope" claim')
    t.equal((await get(app, '/read-write', token)).statusCode, 200)
  })

  t.test('a list in it grants its scopes', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { scp: ['posts:read'] } })
    t.equal((await get(app, '/read', token)).statusCode, 200)
  })

  t.test('the default claim grants nothing there', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { scope: 'posts:read' } })
    expectAuthError(t, await get(app, '/read', token), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', { challenge: challengeFor('posts:read') })
  })

  t.test('userClaims.scope is then an ordinary claim, next to scopes', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'], userClaims: { scope: 'x' } })
    t.match(peek(token).payload, { scp: 'posts:read', scope: 'x' })
  })

  t.test('the conflict is with userClaims of the custom claim', async t => {
    t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', scopes: ['a'], userClaims: { scp: 'b' } }),
      { name: 'TypeError', message: 'scopes and userClaims.scp both set the scope claim: give one of them' })
  })
})

t.test('scopeClaim cannot be a reserved claim', async t => {
  for (const claim of ['sub', 'iat', 'nbf', 'jti', 'exp', 'type', 'fresh', 'csrf', 'iss', 'aud', 'fam']) {
    await expectRegistrationError(t, { secretKey: SECRET, scopeClaim: claim },
      `scopeClaim cannot be the reserved claim "${claim}"`, claim)
  }
  await expectRegistrationError(t, { secretKey: SECRET, scopeClaim: '' }, /^scopeClaim must be/, 'an empty name')
})

t.test('the denylist is checked first: a revoked token is a 401 revoked, not a 403', async t => {
  t.test('with the memory store (a synchronous lookup)', async t => {
    const app = await scopedApp(t, { denylistEnabled: true })
    const withoutScopes = app.authJwt.createAccessToken({ subject: 'alice' })
    expectAuthError(t, await get(app, '/read', withoutScopes), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE',
      { challenge: challengeFor('posts:read'), what: 'before the revocation' })
    await app.authJwt.revokeToken(withoutScopes)
    expectAuthError(t, await get(app, '/read', withoutScopes), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'without the scopes' })
    const withScopes = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'] })
    await app.authJwt.revokeToken(withScopes)
    expectAuthError(t, await get(app, '/read', withScopes), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'with the scopes' })
  })

  t.test('with an asynchronous hook: the scopes are checked once it has answered', async t => {
    const revoked = new Set<unknown>()
    let lookups = 0
    const app = await scopedApp(t, {
      denylistEnabled: true,
      tokenInDenylist: async claims => {
        lookups++
        return revoked.has(claims.jti)
      }
    })
    const withoutScopes = app.authJwt.createAccessToken({ subject: 'alice' })
    const withScopes = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'] })
    expectAuthError(t, await get(app, '/read', withoutScopes), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE',
      { challenge: challengeFor('posts:read'), what: 'not revoked, no scope' })
    t.equal(lookups, 1, 'the denylist was asked before the scopes refused the token')
    t.equal((await get(app, '/read', withScopes)).statusCode, 200, 'not revoked, with the scope')
    revoked.add(app.authJwt.decodeToken(withoutScopes).jti)
    expectAuthError(t, await get(app, '/read', withoutScopes), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'revoked, no scope' })
  })
})

t.test('the user is looked up only for a token with the scopes', async t => {
  const looked: unknown[] = []
  const app = await scopedApp(t, {
    userLookup: claims => {
      looked.push(claims.sub)
      return { id: claims.sub }
    }
  })
  app.get('/me', { preHandler: app.jwtScopesRequired(['posts:read']) }, async request => request.authJwt.currentUser)
  const withoutScopes = app.authJwt.createAccessToken({ subject: 'bob' })
  expectAuthError(t, await get(app, '/read', withoutScopes), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', { challenge: challengeFor('posts:read') })
  t.same(looked, [], 'no lookup for a token refused for its scopes')
  const withScopes = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'] })
  const response = await get(app, '/me', withScopes)
  t.equal(response.statusCode, 200)
  t.same(response.json(), { id: 'alice' }, 'the user found reaches the handler')
  t.same(looked, ['alice'], 'one lookup, once the scopes passed')
})

t.test('bad arguments to jwtScopesRequired are a TypeError when the route is declared', async t => {
  const app = await buildApp(t)
  const declarations: Array<[string, (scopes: unknown, options?: unknown) => preHandlerHookHandler]> = [
    ['the decorator', (scopes, options) => app.jwtScopesRequired(scopes as string[], options as { any?: boolean })],
    ['the exported guard', (scopes, options) => jwtScopesRequired(scopes as string[], options as { any?: boolean })]
  ]
  for (const [which, declare] of declarations) {
    for (const [what, scopes] of BAD_SCOPE_LISTS) {
      t.throws(() => declare(scopes), { name: 'TypeError', message: /scopes must be a non-empty list/ }, `${which}: ${what}`)
    }
    for (const [what, options, message] of BAD_OPTIONS) {
      t.throws(() => declare(['a'], options), { name: 'TypeError', message }, `${which}: options ${what}`)
    }
  }
})

t.test('the exported jwtScopesRequired', async t => {
  t.test('on routes declared before the plugin is registered', async t => {
    const app = await buildApp(t, {}, {
      before: app => {
        app.get('/read', { preHandler: jwtScopesRequired(['posts:read']) }, whoami)
        app.get('/read-or-admin', { preHandler: jwtScopesRequired(['posts:read', 'admin'], { any: true }) }, whoami)
      }
    })
    expectAuthError(t, await get(app, '/read'), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'no token' })
    const reader = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'] })
    t.same((await get(app, '/read', reader)).json(), { subject: 'alice' }, 'the scope passes')
    const admin = app.authJwt.createAccessToken({ subject: 'root', scopes: ['admin'] })
    t.equal((await get(app, '/read-or-admin', admin)).statusCode, 200, 'any: one scope passes')
    expectAuthError(t, await get(app, '/read', admin), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE',
      { challenge: challengeFor('posts:read'), what: 'another scope' })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice', scopes: ['posts:read'] })
    expectAuthError(t, await get(app, '/read', refresh), 'FST_JWT_AUTH_ACCESS_REQUIRED', { what: 'a refresh token' })
  })

  t.test('a registration without await: the guard finds the plugin at request time', async t => {
    const app = Fastify({ logger: false })
    t.teardown(() => app.close())
    app.register(fastifyJwtAuth, { secretKey: SECRET })
    app.get('/read', { preHandler: jwtScopesRequired(['posts:read']) }, whoami)
    await app.ready()
    const token = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read'] })
    t.equal((await get(app, '/read', token)).statusCode, 200)
    expectAuthError(t, await get(app, '/read'), 'FST_JWT_AUTH_MISSING_TOKEN')
  })

  t.test('without the plugin: a 500, never the handler', async t => {
    const app = Fastify({ logger: false })
    t.teardown(() => app.close())
    let runs = 0
    app.get('/read', { preHandler: jwtScopesRequired(['posts:read']) }, async () => {
      runs++
      return { secret: true }
    })
    expectAuthError(t, await get(app, '/read'), 'FST_JWT_AUTH_CONFIG',
      { message: /not registered for this route/, what: 'no token' })
    expectAuthError(t, await get(app, '/read', 'a.b.c'), 'FST_JWT_AUTH_CONFIG', { what: 'a token' })
    t.equal(runs, 0, 'the handler never ran')
  })

  t.test('in a sibling of the plugin\'s instance: a 500', async t => {
    const app = Fastify({ logger: false })
    t.teardown(() => app.close())
    await app.register(async child => {
      await child.register(fastifyJwtAuth, { secretKey: SECRET })
    })
    await app.register(async sibling => {
      sibling.get('/read', { preHandler: jwtScopesRequired(['posts:read']) }, whoami)
    })
    expectAuthError(t, await get(app, '/read'), 'FST_JWT_AUTH_CONFIG')
  })
})

t.test('token creation with scopes', async t => {
  const app = await buildApp(t)

  t.test('access and refresh tokens get the scope claim as a space-separated string', async t => {
    const access = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['posts:read', 'posts:write', 'posts:read'] })
    t.equal(peek(access).payload.scope, 'posts:read posts:write', 'duplicates written once')
    t.equal(app.authJwt.decodeToken(access).scope, 'posts:read posts:write', 'and verified as written')
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice', scopes: ['offline'] })
    t.equal(peek(refresh).payload.scope, 'offline')
  })

  t.test('an empty list, or none, writes no claim', async t => {
    t.notOk('scope' in peek(app.authJwt.createAccessToken({ subject: 'alice', scopes: [] })).payload, 'an empty list')
    t.notOk('scope' in peek(app.authJwt.createAccessToken({ subject: 'alice' })).payload, 'no scopes')
  })

  t.test('a scope claim through userClaims, without scopes, is written as given', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { scope: ['a', 'b'] } })
    t.same(peek(token).payload.scope, ['a', 'b'])
  })

  t.test('scopes and userClaims.scope together are a TypeError, even with an empty list', async t => {
    for (const scopes of [['a'], []]) {
      t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', scopes, userClaims: { scope: 'b' } }),
        { name: 'TypeError', message: 'scopes and userClaims.scope both set the scope claim: give one of them' },
        `scopes ${JSON.stringify(scopes)}`)
    }
    t.throws(() => app.authJwt.createRefreshToken({ subject: 'alice', scopes: ['a'], userClaims: { scope: 'b' } }),
      TypeError, 'a refresh token too')
  })

  t.test('bad scopes are a TypeError', async t => {
    for (const [what, scopes] of BAD_SCOPE_LISTS.filter(([, scopes]) => scopes !== undefined && !(Array.isArray(scopes) && scopes.length === 0))) {
      t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', scopes: scopes as string[] }),
        { name: 'TypeError', message: /^scopes must be a list of scopes/ }, what)
    }
  })

  t.test('bad scopes never reach a token: the message does not quote them', async t => {
    const error = t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', scopes: ['secret-value with space'] }))
    t.notMatch((error as Error).message, 'secret-value')
  })
})

t.test('a rotation carries the refresh token\'s scopes to the new pair', async t => {
  const app = await scopedApp(t, { denylistEnabled: true })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens())
  const login = app.authJwt.createRefreshToken({ subject: 'alice', scopes: ['posts:read', 'posts:write'] })
  const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(login) })
  t.equal(response.statusCode, 200)
  const { accessToken, refreshToken } = response.json() as { accessToken: string, refreshToken: string }
  t.equal(app.authJwt.decodeToken(accessToken).scope, 'posts:read posts:write', 'the access token')
  t.equal(app.authJwt.decodeToken(refreshToken).scope, 'posts:read posts:write', 'the next refresh token')
  t.equal((await get(app, '/read-write', accessToken)).statusCode, 200, 'the new access token passes the scope guard')

  const unscoped = app.authJwt.createRefreshToken({ subject: 'bob' })
  const pair = (await app.inject({ method: 'POST', url: '/refresh', headers: bearer(unscoped) })).json() as { accessToken: string }
  t.notOk('scope' in app.authJwt.decodeToken(pair.accessToken), 'a refresh token without scopes gives none')
  expectAuthError(t, await get(app, '/read', pair.accessToken), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE',
    { challenge: challengeFor('posts:read') })
})

t.test('a rotation keeps the scopes when it is given new user claims, and replaces them when given scopes', async t => {
  const app = await scopedApp(t, { denylistEnabled: true })
  app.post<{ Body: { userClaims?: Record<string, unknown>, scopes?: string[] } }>('/refresh',
    { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens(request.body))
  const rotate = async (body: object) => {
    const login = app.authJwt.createRefreshToken({ subject: 'alice', scopes: ['posts:read', 'posts:write'], userClaims: { team: 'blue' } })
    const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(login), payload: body })
    t.equal(response.statusCode, 200, `rotated with ${JSON.stringify(body)}`)
    const { accessToken, refreshToken } = response.json() as { accessToken: string, refreshToken: string }
    return [app.authJwt.decodeToken(accessToken), app.authJwt.decodeToken(refreshToken)]
  }

  for (const claims of await rotate({ userClaims: { team: 'red' } })) {
    t.match(claims, { team: 'red', scope: 'posts:read posts:write' }, 'new user claims: the login\'s scopes are kept')
  }
  for (const claims of await rotate({ userClaims: { team: 'red', scope: 'posts:read' } })) {
    t.match(claims, { team: 'red', scope: 'posts:read' }, 'user claims naming the scope claim: theirs')
  }
  for (const claims of await rotate({ scopes: ['posts:read'] })) {
    t.match(claims, { team: 'blue', scope: 'posts:read' }, 'new scopes: the other claims carried, the scopes replaced')
  }
  for (const claims of await rotate({ scopes: [] })) {
    t.notOk('scope' in claims, 'no scopes: the claim is gone')
    t.equal(claims.team, 'blue', 'and the other claims stay')
  }
  for (const claims of await rotate({ scopes: ['admin'], userClaims: { team: 'green' } })) {
    t.match(claims, { team: 'green', scope: 'admin' }, 'both given: both used')
  }
  const unscoped = app.authJwt.createRefreshToken({ subject: 'bob', userClaims: { team: 'blue' } })
  const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(unscoped), payload: { userClaims: { team: 'red' } } })
  const { accessToken } = response.json() as { accessToken: string }
  t.notOk('scope' in app.authJwt.decodeToken(accessToken), 'no scopes before, new user claims: still none')
})

t.test('options inherited from a polluted Object.prototype are not written into tokens', async t => {
  const app = await scopedApp(t, { denylistEnabled: true })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens())
  const prototype = Object.prototype as Record<string, unknown>
  const polluted = { scopes: ['posts:read'], audience: 'evil', headers: { kid: 'evil' }, fresh: true, userClaims: { role: 'admin' } }
  let access: string
  let rotated: string
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  try {
    Object.assign(prototype, polluted)
    access = app.authJwt.createAccessToken({ subject: 'alice' })
    rotated = (await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh), payload: {} })).json().accessToken
  } finally {
    for (const name of Object.keys(polluted)) delete prototype[name]
  }
  for (const [what, token] of [['a new token', access], ['a rotated token', rotated]] as const) {
    const { header, payload } = peek(token)
    t.notOk(Object.hasOwn(payload, 'scope'), `${what}: no scope from the prototype`)
    t.notOk(Object.hasOwn(payload, 'aud') || Object.hasOwn(payload, 'role'), `${what}: no audience or claim from the prototype`)
    t.equal(payload.fresh, false, `${what}: not fresh`)
    t.notOk(Object.hasOwn(header, 'kid'), `${what}: no header from the prototype`)
    expectAuthError(t, await get(app, '/read', token), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE',
      { what: `${what} does not pass a scope guard`, challenge: challengeFor('posts:read') })
  }
})

t.test('scopeClaim cannot be a name a claims object cannot hold', async t => {
  for (const name of ['__proto__', 'toJSON']) {
    await expectRegistrationError(t, { secretKey: SECRET, scopeClaim: name },
      `scopeClaim cannot be "${name}": a claims object cannot hold it as a claim`, `scopeClaim ${name}`)
  }
})

t.test('scope lists are copied by index before they are checked', async t => {
  // A list whose iterator yields something else than its members.
  const crafted = ['read']
  Object.defineProperty(crafted, Symbol.iterator, { value: function * () { yield 'read", error_uri="https://evil.example' } })
  t.same(scopeRequirement(crafted).scopes, ['read'], 'the requirement holds the checked members')
  t.equal(scopeClaimValue(crafted), 'read', 'the claim value too')
  const error = new InsufficientScopeError(['read', 'x" , error_uri="https://evil.example', 'a b', 'ok:scope'])
  t.equal(error.headers?.['www-authenticate'], 'Bearer error="insufficient_scope", scope="read ok:scope"',
    'an error built by hand puts only scope tokens in its challenge')
  t.same(error.requiredScopes, ['read', 'ok:scope'], 'and keeps only those')
  t.same(new InsufficientScopeError('admin' as unknown as string[]).requiredScopes, [], 'a string is no list of scopes')
  t.same(scopeRequirement(['a'], { any: undefined }), { scopes: ['a'], any: false }, '{ any: undefined } means all')
})
