// Configuration: every FST_JWT_AUTH_CONFIG case of the design, the defaults,
// the forgiving spellings (normalisation) and the configuration warnings.
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, { ConfigError, type FastifyJwtAuthOptions } from '../index'
import { resolveConfig } from '../lib/config'
import { DEFAULTS, optionsSchema } from '../lib/options'
import { keys } from './fixtures/keys'
import { warningsDuring } from './helpers/warnings'

const SECRET = 'a-secret-of-at-least-thirty-two-bytes-for-hs256'

// No AUTHJWT_* variable of the machine running the tests may change them.
const savedEnv = { ...process.env }
for (const name of Object.keys(process.env)) {
  if (name.startsWith('AUTHJWT_')) delete process.env[name]
}
t.teardown(() => { Object.assign(process.env, savedEnv) })

type LooseOptions = Record<string, unknown>

/** Registers the plugin with `options` and returns the error `ready()` fails with. */
async function registrationError (t: Test, options: LooseOptions): Promise<ConfigError> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
  try {
    await app.ready()
  } catch (error) {
    return error as ConfigError
  }
  throw new Error(`registration with ${Object.keys(options).join(', ')} should have failed`)
}

/** Asserts that registering with `options` fails with a ConfigError whose message matches `message`. */
async function rejects (t: Test, options: LooseOptions, message: RegExp, what: string): Promise<ConfigError> {
  const error = await registrationError(t, options)
  t.ok(error instanceof ConfigError, `${what}: a ConfigError`)
  t.equal(error.code, 'FST_JWT_AUTH_CONFIG', `${what}: code`)
  t.match(error.message, message, `${what}: the message names the setting`)
  return error
}

async function register (t: Test, options: LooseOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
  await app.ready()
  return app
}

t.test('register with a secret only: the defaults of the design', async (t) => {
  let config = resolveConfig({ secretKey: SECRET }, {})
  const warnings = await warningsDuring(() => { config = resolveConfig({ secretKey: SECRET }, {}) })
  t.match(config, {
    algorithm: 'HS256',
    decodeAlgorithms: ['HS256'],
    decodeLeeway: 0,
    encodeIssuer: undefined,
    decodeIssuer: undefined,
    decodeAudience: undefined,
    accessTokenExpires: 900,
    refreshTokenExpires: 2592000,
    tokenLocation: ['headers'],
    headerName: 'Authorization',
    headerType: 'Bearer',
    queryStringName: 'token',
    jsonKey: 'access_token',
    refreshJsonKey: 'refresh_token',
    accessCookieKey: 'access_token_cookie',
    refreshCookieKey: 'refresh_token_cookie',
    accessCookiePath: '/',
    refreshCookiePath: '/',
    cookieMaxAge: undefined,
    cookieDomain: undefined,
    cookieSecure: false,
    cookieSamesite: 'lax',
    cookieCsrfProtect: true,
    accessCsrfCookieKey: 'csrf_access_token',
    refreshCsrfCookieKey: 'csrf_refresh_token',
    accessCsrfCookiePath: '/',
    refreshCsrfCookiePath: '/',
    accessCsrfHeaderName: 'X-CSRF-Token',
    refreshCsrfHeaderName: 'X-CSRF-Token',
    csrfMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    denylistEnabled: false,
    denylistTokenChecks: ['access', 'refresh'],
    tokenInDenylist: undefined,
    keys: { signingKey: SECRET, verifyingKey: SECRET }
  })
  t.type(config.denylistStore.add, 'function', 'an in-memory store by default')
  t.type(config.denylistStore.has, 'function')
  t.same(warnings, [], 'a long secret logs no warning')

  const app = await register(t, { secretKey: SECRET })
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal((claims.exp as number) - (claims.iat as number), 900, 'access tokens live 900 s by default')
  const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'alice' }))
  t.equal((refresh.exp as number) - (refresh.iat as number), 2592000, 'refresh tokens live 30 days by default')
})

t.test('no secret for HS* algorithms', async (t) => {
  await rejects(t, {}, /secretKey/, 'no options at all')
  await rejects(t, { algorithm: 'HS384' }, /secretKey is required for HS384/, 'HS384')
  await rejects(t, { algorithm: 'HS512', privateKey: keys.rsa.privateKey }, /secretKey/,
    'a private key is no HS* secret')
  await rejects(t, { secretKey: '' }, /secretKey must be/, 'an empty secret')
  await rejects(t, { secretKey: Buffer.alloc(0) }, /secretKey must be/, 'an empty Buffer')
  await rejects(t, { secretKey: 12345678 }, /secretKey must be/, 'a number')
})

t.test('no key for RS*, PS*, ES*, EdDSA', async (t) => {
  for (const algorithm of ['RS256', 'RS512', 'PS256', 'PS384', 'ES256', 'ES512', 'EdDSA']) {
    await rejects(t, { algorithm, secretKey: SECRET }, /privateKey or publicKey is required/, algorithm)
  }
  await rejects(t, { algorithm: 'RS256', privateKey: '' }, /privateKey must be/, 'an empty private key')
  await rejects(t, { algorithm: 'RS256', publicKey: {} }, /publicKey must be/, 'an object as public key')
})

t.test('an unknown algorithm', async (t) => {
  const error = await rejects(t, { secretKey: SECRET, algorithm: 'HS1024' }, /^algorithm must be one of HS256, /, 'HS1024')
  t.match(error.message, /EdDSA/, 'the message lists the algorithms')
  await rejects(t, { secretKey: SECRET, algorithm: 'hs256' }, /^algorithm must be/, 'algorithms are case-sensitive')
  await rejects(t, { secretKey: SECRET, algorithm: 256 }, /^algorithm must be/, 'a number')
  await rejects(t, { secretKey: SECRET, decodeAlgorithms: ['HS256', 'XS256'] }, /^decodeAlgorithms must be/,
    'in decodeAlgorithms')
  await rejects(t, { secretKey: SECRET, decodeAlgorithms: [] }, /^decodeAlgorithms must be a non-empty list/,
    'an empty decodeAlgorithms')
  await rejects(t, { secretKey: SECRET, decodeAlgorithms: 'HS256' }, /^decodeAlgorithms must be/,
    'decodeAlgorithms as a string')
})

t.test('"none" is never allowed', async (t) => {
  const cases: Array<[LooseOptions, string]> = [
    [{ algorithm: 'none' }, 'algorithm'],
    [{ algorithm: 'NONE' }, 'algorithm'],
    [{ decodeAlgorithms: ['HS256', 'none'] }, 'decodeAlgorithms'],
    [{ decodeAlgorithms: ['None'] }, 'decodeAlgorithms'],
    [{ decodeAlgorithms: 'none' }, 'decodeAlgorithms']
  ]
  for (const [options, name] of cases) {
    await rejects(t, { secretKey: SECRET, ...options }, new RegExp(`^${name}: the "none" algorithm is never allowed`),
      JSON.stringify(options))
  }
})

t.test('an unknown token location', async (t) => {
  await rejects(t, { secretKey: SECRET, tokenLocation: 'body' }, /^tokenLocation must be .*headers, cookies, query, json/,
    'a single unknown location')
  await rejects(t, { secretKey: SECRET, tokenLocation: ['headers', 'body'] }, /^tokenLocation must be/,
    'one unknown location in a list')
  await rejects(t, { secretKey: SECRET, tokenLocation: [] }, /^tokenLocation must be a non-empty list/, 'no location')
  await rejects(t, { secretKey: SECRET, tokenLocation: ['Headers'] }, /^tokenLocation must be/, 'case matters')
})

t.test('durations are non-negative whole numbers of seconds', async (t) => {
  for (const name of ['accessTokenExpires', 'refreshTokenExpires', 'decodeLeeway', 'cookieMaxAge']) {
    // 2 ** 60: a whole number, but no longer exact once made milliseconds and
    // added to the clock; refused here rather than on every token creation.
    for (const value of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60', true, 2 ** 60]) {
      await rejects(t, { secretKey: SECRET, [name]: value }, new RegExp(`^${name} must be a non-negative whole number`),
        `${name}: ${String(value)}`)
    }
  }
  await rejects(t, { secretKey: SECRET, decodeLeeway: false }, /^decodeLeeway must be/, 'only token lifetimes may be false')
  await rejects(t, { secretKey: SECRET, cookieMaxAge: false }, /^cookieMaxAge must be/, 'only token lifetimes may be false')
  await rejects(t, { secretKey: SECRET, denylistTimeout: 0 }, /^denylistTimeout must be/, 'a denylist timeout of 0')

  const app = await register(t, {
    secretKey: SECRET,
    accessTokenExpires: false,
    refreshTokenExpires: 0,
    decodeLeeway: 0,
    cookieMaxAge: 0
  })
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal(claims.exp, undefined, 'accessTokenExpires false: no exp')
  t.match(resolveConfig({ secretKey: SECRET, refreshTokenExpires: false, cookieMaxAge: 3600 }, {}),
    { refreshTokenExpires: false, cookieMaxAge: 3600 })
})

t.test('an unknown SameSite value', async (t) => {
  await rejects(t, { secretKey: SECRET, cookieSamesite: 'relaxed' }, /^cookieSamesite must be one of strict, lax, none/,
    'relaxed')
  await rejects(t, { secretKey: SECRET, cookieSamesite: true }, /^cookieSamesite must be/, 'a boolean')
  await rejects(t, { secretKey: SECRET, cookieSamesite: '' }, /^cookieSamesite must be/, 'an empty string')
})

t.test('HS* and asymmetric algorithms mixed in decodeAlgorithms', async (t) => {
  await rejects(t, {
    secretKey: SECRET,
    privateKey: keys.rsa.privateKey,
    decodeAlgorithms: ['HS256', 'RS256']
  }, /^decodeAlgorithms mixes HS\* and asymmetric algorithms/, 'HS256 + RS256')
  await rejects(t, {
    algorithm: 'ES256',
    privateKey: keys.ecP256.privateKey,
    secretKey: SECRET,
    decodeAlgorithms: ['ES256', 'HS512']
  }, /^decodeAlgorithms mixes/, 'ES256 + HS512')
})

t.test('algorithm must be one of decodeAlgorithms', async (t) => {
  await rejects(t, { secretKey: SECRET, algorithm: 'HS512', decodeAlgorithms: ['HS256', 'HS384'] },
    /^algorithm HS512 must be one of decodeAlgorithms \(HS256, HS384\)/, 'HS512 not in the list')
  await rejects(t, { privateKey: keys.rsa.privateKey, decodeAlgorithms: ['RS256'] },
    /^algorithm \(default HS256\) must be one of decodeAlgorithms \(RS256\)/, 'the default algorithm is named as such')

  const config = resolveConfig({ secretKey: SECRET, algorithm: 'HS384', decodeAlgorithms: ['HS256', 'HS384', 'HS256'] },
    {})
  t.same(config.decodeAlgorithms, ['HS256', 'HS384'], 'duplicates are dropped')
  t.same(resolveConfig({ secretKey: SECRET, algorithm: 'HS512' }, {}).decodeAlgorithms, ['HS512'],
    'decodeAlgorithms defaults to [algorithm]')
})

t.test('tokenInDenylist must be a function', async (t) => {
  for (const value of ['yes', {}, null, true, 1]) {
    await rejects(t, { secretKey: SECRET, tokenInDenylist: value }, /^tokenInDenylist must be a function/,
      JSON.stringify(value))
  }
  const hook = async (): Promise<boolean> => false
  t.equal(resolveConfig({ secretKey: SECRET, tokenInDenylist: hook }, {}).tokenInDenylist, hook, 'kept as given')
})

t.test('denylistStore must have add and has', async (t) => {
  const has = async (): Promise<boolean> => false
  const add = async (): Promise<void> => {}
  for (const value of ['redis', {}, null, { add }, { has }, { add: 1, has }, 42]) {
    await rejects(t, { secretKey: SECRET, denylistStore: value }, /^denylistStore must be an object with async add/,
      JSON.stringify(value) ?? String(value))
  }
  const store = { add, has }
  t.equal(resolveConfig({ secretKey: SECRET, denylistStore: store }, {}).denylistStore, store, 'kept as given')
})

t.test('other settings are checked and named too', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['headerName', 'Bad Header'],
    ['headerName', ''],
    ['headerType', 'Bearer token'],
    ['queryStringName', ''],
    ['jsonKey', ''],
    ['refreshJsonKey', 5],
    ['accessCookieKey', 'a;b'],
    ['refreshCookieKey', ''],
    ['accessCookiePath', 'api'],
    ['refreshCsrfCookiePath', ''],
    ['accessCsrfCookieKey', 'x y'],
    ['accessCsrfHeaderName', 'X CSRF'],
    ['cookieDomain', ''],
    ['cookieSecure', 'yes'],
    ['cookieCsrfProtect', 1],
    ['csrfMethods', ['POST', 'P O S T']],
    ['csrfMethods', 'POST'],
    ['csrfMethods', ['post', 5]],
    ['denylistEnabled', 'true'],
    ['denylistTokenChecks', ['access', 'id']],
    ['encodeIssuer', ''],
    ['decodeIssuer', 42],
    ['decodeAudience', ''],
    ['decodeAudience', []],
    ['decodeAudience', ['api', '']]
  ]
  for (const [name, value] of cases) {
    await rejects(t, { secretKey: SECRET, [name]: value }, new RegExp(`^${name} must be `), `${name}: ${JSON.stringify(value)}`)
  }
})

t.test('a ConfigError is what ready() rejects with, and it says nothing of the secret', async (t) => {
  const error = await registrationError(t, { secretKey: SECRET, accessTokenExpires: -1 })
  t.ok(error instanceof ConfigError)
  t.ok(error instanceof Error)
  t.equal(error.name, 'ConfigError')
  t.notMatch(error.message, SECRET, 'the secret is not in the message')
})

t.test('normalisation: forgiving spellings of one meaning', async (t) => {
  const options: FastifyJwtAuthOptions = {
    secretKey: SECRET,
    cookieSamesite: 'Lax' as 'lax',
    csrfMethods: ['post', 'Put'],
    tokenLocation: 'query'
  }
  const config = resolveConfig(options, {})
  t.equal(config.cookieSamesite, 'lax', 'SameSite Lax is lax')
  t.same(config.csrfMethods, ['POST', 'PUT'], 'methods are upper-cased')
  t.same(config.tokenLocation, ['query'], 'a single location is a list of one')
  t.same(options.csrfMethods, ['post', 'Put'], 'the caller\'s options are left alone')
  t.equal(options.tokenLocation, 'query')

  t.same(resolveConfig({ secretKey: SECRET, tokenLocation: ['query', 'headers', 'query', 'headers'] }, {}).tokenLocation,
    ['query', 'headers'], 'duplicate locations are dropped, the first place kept')
  t.equal(resolveConfig({ secretKey: SECRET, cookieSamesite: 'STRICT' as 'strict' }, {}).cookieSamesite, 'strict')
  t.same(resolveConfig({ secretKey: SECRET, csrfMethods: [] }, {}).csrfMethods, [], 'no CSRF method at all')
})

t.test('normalisation takes effect: a single location, lower-case csrfMethods, SameSite Lax', async (t) => {
  const queryApp = Fastify({ logger: false })
  t.teardown(() => queryApp.close())
  await queryApp.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: 'query' })
  queryApp.get('/q', { preHandler: queryApp.jwtRequired }, async request => ({ sub: request.authJwt.getJwtSubject() }))
  const token = queryApp.authJwt.createAccessToken({ subject: 'alice' })
  const ok = await queryApp.inject({ url: `/q?token=${token}` })
  t.equal(ok.statusCode, 200, 'the token is read from the query string')
  t.same(ok.json(), { sub: 'alice' })
  const header = await queryApp.inject({ url: '/q', headers: { authorization: `Bearer ${token}` } })
  t.equal(header.statusCode, 401, 'headers are not a location any more')

  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyJwtAuth, {
    secretKey: SECRET,
    tokenLocation: ['cookies', 'cookies'],
    csrfMethods: ['get'],
    cookieSamesite: 'Lax' as 'lax'
  })
  app.get('/login', async (request, reply) => {
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject: 'alice' }))
    return { ok: true }
  })
  app.get('/read', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
  app.post('/write', { preHandler: app.jwtRequired }, async () => ({ ok: true }))

  const login = await app.inject({ url: '/login' })
  const jwtCookie = login.cookies.find(cookie => cookie.name === 'access_token_cookie')
  t.ok(jwtCookie, 'the access cookie is set')
  t.equal(jwtCookie?.sameSite, 'Lax', 'SameSite=Lax')
  const cookie = `access_token_cookie=${jwtCookie?.value}`

  const read = await app.inject({ url: '/read', headers: { cookie } })
  t.equal(read.statusCode, 401, 'GET is a CSRF method now')
  t.equal(read.json().code, 'FST_JWT_AUTH_CSRF_MISSING')
  const write = await app.inject({ method: 'POST', url: '/write', headers: { cookie } })
  t.equal(write.statusCode, 200, 'POST is not one any more')
})

/** Registers the plugin with `options` and returns the plugin's warnings. */
async function warningsOfRegistration (options: LooseOptions): Promise<string[]> {
  const app = Fastify({ logger: false })
  const warnings = await warningsDuring(async () => {
    await app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
    await app.ready()
  })
  await app.close()
  return warnings.map(warning => `${warning.code}: ${warning.message}`)
}

t.test('cookieSamesite none without cookieSecure emits a process warning', async (t) => {
  t.match(await warningsOfRegistration({ secretKey: SECRET, tokenLocation: ['cookies'], cookieSamesite: 'none' }),
    [/^FST_JWT_AUTH_INSECURE_COOKIE: .*cookieSamesite "none" without cookieSecure/], 'one warning, with its code')
  t.equal((await warningsOfRegistration({ secretKey: SECRET, tokenLocation: ['headers', 'cookies'], cookieSamesite: 'None' })).length,
    1, 'None is none')
  t.same(await warningsOfRegistration({ secretKey: SECRET, tokenLocation: ['cookies'], cookieSamesite: 'none', cookieSecure: true }),
    [], 'no warning with cookieSecure')
  t.same(await warningsOfRegistration({ secretKey: SECRET, cookieSamesite: 'none' }), [],
    'no warning when cookies are not used')
  t.same(await warningsOfRegistration({ secretKey: SECRET, tokenLocation: ['cookies'] }), [],
    'no warning with the default SameSite')
})

t.test('a short secret is accepted with a process warning, even with the logger off', async (t) => {
  const short = await warningsOfRegistration({ secretKey: 'tiny-secret' })
  t.match(short, [/^FST_JWT_AUTH_WEAK_SECRET: .*secretKey is shorter than 32 bytes/], 'one warning, with its code')
  t.notMatch(short.join('\n'), 'tiny-secret', 'the secret is not in the warning')
  t.same(await warningsOfRegistration({ secretKey: SECRET }), [], 'no warning for a long secret')

  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const twice = await warningsDuring(async () => {
    await app.register(fastifyJwtAuth, { secretKey: 'tiny-secret' })
    await app.ready()
    app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  })
  t.equal(twice.length, 1, 'once per registration, not per token')
})

t.test('explicit options are not touched by register', async (t) => {
  const options = Object.freeze({ secretKey: SECRET, tokenLocation: Object.freeze(['headers', 'headers']) })
  const app = await register(t, options as unknown as LooseOptions)
  t.ok(app.authJwt, 'frozen options are fine')
})

t.test('an unknown option is refused and the intended one suggested', async (t) => {
  // The typo registers today in JavaScript and tokens silently live the default 900 s.
  await rejects(t, { secretKey: SECRET, accesTokenExpires: 60 },
    /^unknown option accesTokenExpires \(did you mean accessTokenExpires\?\)$/, 'a missing letter')
  await rejects(t, { secretKey: SECRET, SecretKey: SECRET }, /^unknown option SecretKey \(did you mean secretKey\?\)$/,
    'another case')
  await rejects(t, { secretKey: SECRET, cookieSameSite: 'strict' },
    /^unknown option cookieSameSite \(did you mean cookieSamesite\?\)$/, 'the spelling of the Python originals')
  await rejects(t, { secretKey: SECRET, denylistEnabeld: true },
    /^unknown option denylistEnabeld \(did you mean denylistEnabled\?\)$/, 'two letters swapped')
  await rejects(t, { secretKey: SECRET, expires: 60 }, /^unknown option expires$/, 'nothing close: no suggestion')
  await rejects(t, { secretKey: SECRET, blacklistEnabled: true }, /^unknown option blacklistEnabled$/,
    'the environment alias is not an option name')
  t.throws(() => resolveConfig({ secretKey: SECRET, algorthm: 'HS256' } as FastifyJwtAuthOptions, {}),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^unknown option algorthm \(did you mean algorithm\?\)$/ },
    'resolveConfig checks the names itself')
})

t.test("Fastify's own registration options are not mistaken for ours", async (t) => {
  const app = await register(t, { secretKey: SECRET, prefix: '/api', logLevel: 'warn', logSerializers: {} })
  t.ok(app.authJwt, 'prefix, logLevel and logSerializers are accepted')
})

t.test('an option passed as undefined is refused, naming it', async (t) => {
  // The usual cause: `secretKey: process.env.JWT_SECRT`, a misspelt variable.
  const error = await rejects(t, { secretKey: undefined }, /^secretKey was passed as undefined: give it a value, or leave it out/,
    'secretKey')
  t.equal(error.statusCode, 500, 'answered as a 500 if it ever reached a request')
  await rejects(t, { secretKey: SECRET, cookieDomain: undefined }, /^cookieDomain was passed as undefined/, 'any option')
  await rejects(t, { secretKey: SECRET, tokenInDenylist: undefined }, /^tokenInDenylist was passed as undefined/,
    'an option that never comes from the environment')
})

t.test('every default comes from the option schema, and the resolved configuration carries it', async (t) => {
  const config = resolveConfig({ secretKey: SECRET }, {}) as unknown as Record<string, unknown>
  const withDefaults = Object.entries(optionsSchema.properties).filter(([, schema]) => 'default' in schema)
  t.ok(withDefaults.length >= 25, 'most options have their default in the schema')
  for (const [name, schema] of withDefaults) {
    t.same(config[name], (schema as { default: unknown }).default, `${name}: the schema's default`)
  }
  t.ok(Object.isFrozen(DEFAULTS) && Object.isFrozen(DEFAULTS.csrfMethods), 'the shared defaults cannot be changed')
})
