// claimsSchema: the application's claims checked against a TypeBox schema.
// Token creation refuses claims that do not match (naming the path, never the
// value); verification refuses a token whose claims do not match, once per
// token; the reserved claims are left out of both; a schema the plugin cannot
// use fails the registration.
import { FormatRegistry, Type, type TObject } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import t, { type Test } from 'tap'
import { ConfigError, type FastifyJwtAuthOptions } from '../index'
import { compileClaimsSchema } from '../lib/claims-schema'
import { bearer, buildApp, expectRegistrationError, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { forge, peek, raw } from './helpers/forge'

const PROFILE = Type.Object({
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  teams: Type.Optional(Type.Array(Type.String({ maxLength: 8 }))),
  scope: Type.Optional(Type.String())
}, { additionalProperties: false })

// A value a message must never quote: claims may hold personal data.
const PRIVATE = 'alice.private@example.com'

/** A token signed with the app's secret by hand, with every reserved claim a plain access token has. */
function forgedToken (claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000)
  return forge({
    payload: { sub: 'mallory', iat: now, nbf: now, exp: now + 60, jti: `forged-${Math.random()}`, type: 'access', fresh: false, ...claims },
    secret: SECRET
  })
}

async function schemaApp (t: Test, claimsSchema: TObject, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, { claimsSchema, ...options })
  app.get('/me', { preHandler: app.jwtRequired }, async (request: FastifyRequest) => request.authJwt.getRawJwt())
  app.get('/maybe', { preHandler: app.jwtOptional }, async (request: FastifyRequest) => ({ sub: request.authJwt.getJwtSubject() }))
  return app
}

const me = (app: FastifyInstance, token: string, url = '/me') => app.inject({ url, headers: bearer(token) })

t.test('compileClaimsSchema', async t => {
  t.test('claims that match: undefined', async t => {
    const mismatch = compileClaimsSchema(PROFILE)
    t.equal(mismatch({ role: 'admin' }), undefined, 'the required claim')
    t.equal(mismatch({ role: 'user', teams: ['blue'], scope: 'a b' }), undefined, 'with the optional ones')
  })

  t.test('claims that do not match: the path of the first error and what was expected', async t => {
    const mismatch = compileClaimsSchema(PROFILE)
    t.match(mismatch({}), /^\/role: /, 'a missing claim')
    t.match(mismatch({ role: 'root' }), /^\/role: /, 'a value outside the union')
    t.equal(mismatch({ role: 'user', teams: ['blue', 7] }), '/teams/1: Expected string', 'a nested path')
    t.equal(mismatch({ role: 'user', extra: true }), '/extra: Unexpected property', 'an unknown claim')
  })

  t.test('an error at the root is reported at "/"', async t => {
    const mismatch = compileClaimsSchema(Type.Object({}, { minProperties: 1 }))
    t.equal(mismatch({}), '/: Expected object to have at least 1 properties')
    t.equal(mismatch({ any: 1 }), undefined)
  })

  t.test('a claims object without a prototype is checked like any other', async t => {
    const claims = Object.create(null) as Record<string, unknown>
    claims.role = 'admin'
    t.equal(compileClaimsSchema(PROFILE)(claims), undefined)
  })

  t.test('the message names the path, never the value', async t => {
    const schema = Type.Object({
      email: Type.Optional(Type.String({ pattern: '^[a-z]+@example\\.org$' })),
      nick: Type.Optional(Type.String({ maxLength: 4 })),
      kind: Type.Optional(Type.Literal('person')),
      age: Type.Optional(Type.Integer({ maximum: 150 })),
      tags: Type.Optional(Type.Array(Type.String(), { maxItems: 1 }))
    }, { additionalProperties: false })
    const mismatch = compileClaimsSchema(schema)
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a pattern', { email: PRIVATE }, '/email'],
      ['a length', { nick: PRIVATE }, '/nick'],
      ['a literal', { kind: PRIVATE }, '/kind'],
      ['a type', { age: PRIVATE }, '/age'],
      ['an array item count', { tags: [PRIVATE, PRIVATE] }, '/tags'],
      ['an unknown claim', { [PRIVATE]: PRIVATE }, `/${PRIVATE}`]
    ]
    for (const [what, claims, path] of cases) {
      const message = mismatch(claims) as string
      t.ok(message.startsWith(`${path}: `), `${what}: the path`)
      t.notOk(message.slice(path.length).includes(PRIVATE), `${what}: not the value`)
    }
  })

  t.test('not a TypeBox object schema: a ConfigError', async t => {
    const cases: Array<[string, unknown]> = [
      ['a JSON schema without TypeBox', { type: 'object', properties: { role: { type: 'string' } } }],
      ['a string schema', Type.String()],
      ['an array schema', Type.Array(Type.String())],
      ['an intersection', Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.String() })])],
      ['null', null],
      ['a string', 'Type.Object({})']
    ]
    for (const [what, schema] of cases) {
      t.throws(() => compileClaimsSchema(schema), {
        name: 'ConfigError',
        code: 'FST_JWT_AUTH_CONFIG',
        message: 'claimsSchema must be a TypeBox object schema of your claims, such as Type.Object({ … })'
      }, what)
    }
  })

  t.test('a schema describing reserved claims: a ConfigError naming them', async t => {
    t.throws(() => compileClaimsSchema(Type.Object({ sub: Type.String(), role: Type.String() })), {
      name: 'ConfigError',
      message: 'claimsSchema cannot describe the reserved claim "sub": the plugin writes and checks it'
    }, 'one')
    t.throws(() => compileClaimsSchema(Type.Object({ exp: Type.Optional(Type.Number()), fam: Type.String(), role: Type.String() })), {
      name: 'ConfigError',
      message: 'claimsSchema cannot describe the reserved claims "exp", "fam": the plugin writes and checks them'
    }, 'several, optional or not')
    for (const name of ['sub', 'iat', 'nbf', 'jti', 'exp', 'type', 'fresh', 'csrf', 'iss', 'aud', 'fam']) {
      t.throws(() => compileClaimsSchema(Type.Object({ [name]: Type.Unknown() })), ConfigError, name)
    }
  })

  t.test('a reserved name below the top level is an application claim like any other', async t => {
    const mismatch = compileClaimsSchema(Type.Object({ profile: Type.Object({ sub: Type.String(), type: Type.String() }) }))
    t.equal(mismatch({ profile: { sub: 'x', type: 'y' } }), undefined)
  })

  t.test('a schema that cannot be compiled: a ConfigError with the reason', async t => {
    t.throws(() => compileClaimsSchema(Type.Object({ team: Type.Ref('Team') })), {
      name: 'ConfigError',
      code: 'FST_JWT_AUTH_CONFIG',
      message: /^claimsSchema could not be compiled: .*'Team'/
    }, 'a reference to an unknown $id')
    t.throws(() => compileClaimsSchema(Type.Object({ n: Type.Unsafe<number>({ type: 'number' }) })), {
      name: 'ConfigError',
      message: /^claimsSchema could not be compiled: /
    }, 'a kind the compiler does not know')
  })
})

t.test('registration with a bad claimsSchema fails with a ConfigError', async t => {
  await expectRegistrationError(t, { secretKey: SECRET, claimsSchema: { type: 'object', properties: {} } },
    /^claimsSchema must be a TypeBox object schema/, 'a plain JSON schema')
  await expectRegistrationError(t, { secretKey: SECRET, claimsSchema: null },
    /^claimsSchema must be a TypeBox object schema/, 'null')
  await expectRegistrationError(t, { secretKey: SECRET, claimsSchema: Type.Object({ aud: Type.String() }) },
    'claimsSchema cannot describe the reserved claim "aud": the plugin writes and checks it', 'a reserved claim')
  await expectRegistrationError(t, { secretKey: SECRET, claimsSchema: Type.Object({ team: Type.Ref('Team') }) },
    /^claimsSchema could not be compiled: /, 'an unknown $id')
})

t.test('token creation', async t => {
  const app = await schemaApp(t, PROFILE)

  t.test('claims that match are written as given', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin', teams: ['blue'] } })
    t.match(peek(token).payload, { role: 'admin', teams: ['blue'] })
    t.match(peek(app.authJwt.createRefreshToken({ subject: 'alice', userClaims: { role: 'user' } })).payload, { role: 'user' },
      'a refresh token too')
  })

  t.test('claims that do not match: a TypeError naming the path, not the value', async t => {
    const cases: Array<[string, Record<string, unknown>, RegExp | string]> = [
      ['a missing claim', {}, /^userClaims do not match claimsSchema at \/role: /],
      ['a bad value', { role: PRIVATE }, /^userClaims do not match claimsSchema at \/role: /],
      ['a nested value', { role: 'user', teams: ['blue', PRIVATE] },
        'userClaims do not match claimsSchema at /teams/1: Expected string length less or equal to 8'],
      ['an unknown claim', { role: 'user', email: PRIVATE }, 'userClaims do not match claimsSchema at /email: Unexpected property']
    ]
    for (const [what, userClaims, message] of cases) {
      for (const create of [app.authJwt.createAccessToken, app.authJwt.createRefreshToken]) {
        const error = t.throws(() => create({ subject: 'alice', userClaims }), { name: 'TypeError', message }, what) as Error
        t.notMatch(error.message, PRIVATE, `${what}: the value is not quoted`)
      }
    }
  })

  t.test('the scope claim is checked too, as it will be written', async t => {
    const strict = await buildApp(t, { claimsSchema: Type.Object({ role: Type.String() }, { additionalProperties: false }) })
    t.throws(() => strict.authJwt.createAccessToken({ subject: 'a', userClaims: { role: 'user' }, scopes: ['posts:read'] }),
      { name: 'TypeError', message: 'userClaims do not match claimsSchema at /scope: Unexpected property' },
      'a schema that does not describe the scope claim refuses scopes')
    t.notOk('scope' in peek(strict.authJwt.createAccessToken({ subject: 'a', userClaims: { role: 'user' }, scopes: [] })).payload,
      'an empty list writes no claim, so passes')

    const described = await buildApp(t, {
      claimsSchema: Type.Object({ scope: Type.String({ pattern: '^posts:(read|write)( posts:(read|write))?$' }) })
    })
    t.equal(peek(described.authJwt.createAccessToken({ subject: 'a', scopes: ['posts:read', 'posts:write'] })).payload.scope,
      'posts:read posts:write', 'the joined string is what is checked')
    t.throws(() => described.authJwt.createAccessToken({ subject: 'a', scopes: ['admin'] }),
      { name: 'TypeError', message: /^userClaims do not match claimsSchema at \/scope: / }, 'a scope the schema does not allow')
    t.throws(() => described.authJwt.createAccessToken({ subject: 'a' }),
      { name: 'TypeError', message: /^userClaims do not match claimsSchema at \/scope: / }, 'a required scope claim left out')
  })

  t.test('a root-level error is reported at "/"', async t => {
    const rooted = await buildApp(t, { claimsSchema: Type.Object({}, { minProperties: 1 }) })
    t.throws(() => rooted.authJwt.createAccessToken({ subject: 'alice' }), {
      name: 'TypeError',
      message: 'userClaims do not match claimsSchema at /: Expected object to have at least 1 properties'
    })
    t.ok(rooted.authJwt.createAccessToken({ subject: 'alice', scopes: ['a'] }), 'the scope claim counts as a claim')
  })
})

t.test('additionalProperties: false works with every reserved claim a token carries', async t => {
  const app = await schemaApp(t, PROFILE, {
    tokenLocation: ['headers', 'cookies'],
    encodeIssuer: 'https://issuer.example',
    decodeIssuer: 'https://issuer.example',
    decodeAudience: 'web',
    denylistEnabled: true
  })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => request.authJwt.refreshTokens())
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice', userClaims: { role: 'user' }, scopes: ['posts:read'] })
  const family = app.authJwt.decodeToken(refresh).fam as string
  const access = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin' }, fresh: 60, family })
  const claims = app.authJwt.decodeToken(access)
  t.same(Object.keys(claims).sort(), ['aud', 'csrf', 'exp', 'fam', 'fresh', 'iat', 'iss', 'jti', 'nbf', 'role', 'sub', 'type'],
    'the token carries every reserved claim and the application\'s')
  t.equal((await me(app, access)).statusCode, 200, 'the guard lets it through')
  t.equal(app.authJwt.decodeToken(refresh).scope, 'posts:read', 'a refresh token with scopes verifies')

  const rotated = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })
  t.equal(rotated.statusCode, 200, 'a rotation writes the carried claims under the schema')
  t.match(app.authJwt.decodeToken(rotated.json().accessToken), { role: 'user', scope: 'posts:read' })
})

t.test('verification refuses a token whose claims do not match', async t => {
  const app = await schemaApp(t, PROFILE)
  const cases: Array<[string, string]> = [
    ['a missing claim', forgedToken({})],
    ['a bad value', forgedToken({ role: 'root' })],
    ['a nested bad value', forgedToken({ role: 'user', teams: [1] })],
    ['an unknown claim', forgedToken({ role: 'user', admin: true })],
    ['a bad scope claim', forgedToken({ role: 'user', scope: ['a'] })],
    ['a "__proto__" claim', forge({
      payload: raw(`{"sub":"mallory","iat":${Math.floor(Date.now() / 1000)},"type":"access","role":"user","__proto__":{"role":"admin"}}`),
      secret: SECRET
    })]
  ]
  for (const [what, token] of cases) {
    t.throws(() => app.authJwt.decodeToken(token), {
      name: 'JWTDecodeError',
      code: 'FST_JWT_AUTH_TOKEN_INVALID',
      message: 'Invalid claims'
    }, `${what}: decodeToken`)
    expectAuthError(t, await me(app, token), 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid claims', what: `${what}: jwtRequired` })
    expectAuthError(t, await me(app, token, '/maybe'), 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid claims', what: `${what}: jwtOptional` })
  }
  t.match(app.authJwt.decodeToken(forgedToken({ role: 'admin' })), { sub: 'mallory', role: 'admin' },
    'the same forgery with claims that match verifies: the signature is good')
})

t.test('a token with no application claims against a schema that needs one: refused', async t => {
  const app = await schemaApp(t, Type.Object({}, { minProperties: 1 }))
  const bare = forgedToken({})
  const response = await me(app, bare)
  expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid claims' })
  t.equal((await me(app, forgedToken({ team: 'blue' }))).statusCode, 200, 'one application claim is enough')
})

t.test('without claimsSchema, any claims pass', async t => {
  const app = await schemaApp(t, Type.Object({ role: Type.String() }))
  const free = await buildApp(t)
  free.get('/me', { preHandler: free.jwtRequired }, async request => request.authJwt.getRawJwt())
  const token = forgedToken({ role: 42, anything: { at: 'all' } })
  expectAuthError(t, await me(app, token), 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid claims', what: 'with the schema' })
  t.equal((await me(free, token)).statusCode, 200, 'without it')
})

t.test('claims are checked once per token, not once per request', async t => {
  // A format whose check counts its calls: it runs each time the compiled schema checks the claim.
  const format = 'claims-schema-test-counted'
  let checks = 0
  FormatRegistry.Set(format, value => {
    checks++
    return value !== 'nobody'
  })
  t.teardown(() => FormatRegistry.Delete(format))
  const app = await schemaApp(t, Type.Object({ team: Type.String({ format }) }))

  const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { team: 'blue' } })
  t.equal(checks, 1, 'creating the token checks its claims once')
  for (let request = 1; request <= 5; request++) {
    t.equal((await me(app, token)).statusCode, 200, `request ${request}`)
  }
  // A token enters the claims cache on its second verification (one sent
  // once never does): two checks, then none.
  t.equal(checks, 3, 'five requests: two more checks, as the first two requests verified the token')
  app.authJwt.decodeToken(token)
  t.equal((await me(app, token, '/maybe')).statusCode, 200)
  t.equal(checks, 3, 'decodeToken and another guard take the cached claims as they are')

  const other = app.authJwt.createAccessToken({ subject: 'bob', userClaims: { team: 'red' } })
  for (let request = 1; request <= 4; request++) t.equal((await me(app, other)).statusCode, 200)
  t.equal(checks, 6, 'another token: checked when created, then on its first two verifications')

  // A refused token is not kept as verified: it is refused every time.
  const refused = forgedToken({ team: 'nobody' })
  for (let request = 1; request <= 3; request++) {
    const before = checks
    expectAuthError(t, await me(app, refused), 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid claims', what: `refused ${request}` })
    t.ok(checks > before, `refused ${request}: checked again`)
  }
})

t.test('formats: one TypeBox does not know fails the registration; one that throws refuses the claims', async t => {
  await expectRegistrationError(t, { secretKey: SECRET, claimsSchema: Type.Object({ mail: Type.String({ format: 'email' }) }) },
    /^claimsSchema uses the format "email", which is not registered: add it with FormatRegistry\.Set/, 'an unregistered format')
  await expectRegistrationError(t,
    { secretKey: SECRET, claimsSchema: Type.Object({ list: Type.Array(Type.Object({ at: Type.String({ format: 'date-time' }) })) }) },
    /format "date-time"/, 'an unregistered format, nested deep')
  // A schema object that refers to itself is walked once, not for ever.
  const cyclic = Type.Object({ a: Type.String() }) as TObject & { self?: unknown }
  cyclic.self = cyclic
  t.doesNotThrow(() => compileClaimsSchema(cyclic), 'a self-referring schema object is walked once')

  const format = 'claims-schema-test-throwing'
  FormatRegistry.Set(format, value => {
    if (value === PRIVATE) throw new Error(`lookup failed for ${value}`)
    return true
  })
  t.teardown(() => FormatRegistry.Delete(format))
  const app = await schemaApp(t, Type.Object({ mail: Type.String({ format }) }))
  t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', userClaims: { mail: PRIVATE } }),
    { constructor: TypeError, message: 'userClaims do not match claimsSchema at /: the schema\'s check failed' },
    'creation: a TypeError, without the value')
  const response = await me(app, forgedToken({ mail: PRIVATE }))
  expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid claims', what: 'verification: a 401, never a 500' })
  t.notMatch(response.body, /private/, 'the value is not sent')
  t.equal((await me(app, app.authJwt.createAccessToken({ subject: 'bob', userClaims: { mail: 'bob@example.com' } }))).statusCode,
    200, 'a value the format accepts passes')
})

t.test('creation checks the claims as they will be signed: after JSON', async t => {
  const app = await schemaApp(t, Type.Object({ at: Type.String(), note: Type.Optional(Type.String()) }))
  const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { at: new Date(0), note: undefined } })
  t.equal(peek(token).payload.at, '1970-01-01T00:00:00.000Z', 'a Date is signed as its string, which the schema allows')
  t.equal((await me(app, token)).statusCode, 200, 'and the token verifies')

  const dated = await schemaApp(t, Type.Object({ at: Type.Date() }))
  t.throws(() => dated.authJwt.createAccessToken({ subject: 'alice', userClaims: { at: new Date(0) } }),
    { constructor: TypeError, message: /^userClaims do not match claimsSchema at \/at: / },
    'a schema that wants a Date refuses it: the token would carry a string, and never verify')
  const bytes = await schemaApp(t, Type.Object({ key: Type.Uint8Array() }))
  t.throws(() => bytes.authJwt.createAccessToken({ subject: 'alice', userClaims: { key: new Uint8Array([1]) } }),
    { constructor: TypeError, message: /^userClaims do not match claimsSchema at \/key: / }, 'nor bytes, which JSON writes as an object')
})
