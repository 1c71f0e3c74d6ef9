// lib/config.ts: the options passed in code and those read from the
// environment made into one checked configuration. Every bad setting is a
// FST_JWT_AUTH_CONFIG error naming it; also the defaults, the forgiving
// spellings (normalisation) and the SameSite warning.
// Unknown and undefined options: explicit-options.test.ts; key checks:
// keys.test.ts; the environment's own parsing: environment.test.ts.
import t from 'tap'
import { ConfigError, createMemoryDenylist, type FastifyJwtAuthOptions } from '../index'
import { resolveConfig } from '../lib/config'
import { optionsSchema } from '../lib/options'
import { keys } from './fixtures/keys'
import { buildApp, expectRegistrationError, registrationError, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { storeWith } from './helpers/recording-store'
import { withEnvironment } from './helpers/environment'
import { warningsDuring, warningsOfRegistration } from './helpers/warnings'

// No AUTHJWT_* variable of the machine running the tests may change them.
withEnvironment(t)

type LooseOptions = Record<string, unknown>

t.test('register with a secret only: every option takes its default', async (t) => {
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
    keySetup: { kind: 'single', algorithm: 'HS256', material: { signingKey: SECRET, verifyingKey: SECRET, publicKey: undefined } }
  }, 'the resolved configuration holds every default')
  t.type(config.denylistStore?.add, 'function', 'an in-memory store by default: add')
  t.type(config.denylistStore?.has, 'function', 'an in-memory store by default: has')
  t.same(warnings, [], 'a long secret logs no warning')

  const app = await buildApp(t, { secretKey: SECRET })
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal((claims.exp as number) - (claims.iat as number), 900, 'access tokens live 900 s by default')
  const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'alice' }))
  t.equal((refresh.exp as number) - (refresh.iat as number), 2592000, 'refresh tokens live 30 days by default')
})

t.test('no secret for HS* algorithms', async (t) => {
  await expectRegistrationError(t, {}, /secretKey/, 'no options at all')
  await expectRegistrationError(t, { algorithm: 'HS384' }, /secretKey is required for HS384/, 'HS384')
  await expectRegistrationError(t, { algorithm: 'HS512', privateKey: keys.rsa.privateKey }, /secretKey/,
    'a private key is no HS* secret')
  await expectRegistrationError(t, { secretKey: '' }, /secretKey must be/, 'an empty secret')
  await expectRegistrationError(t, { secretKey: Buffer.alloc(0) }, /secretKey must be/, 'an empty Buffer')
  await expectRegistrationError(t, { secretKey: 12345678 }, /secretKey must be/, 'a number')
})

t.test('no key for RS*, PS*, ES*, EdDSA', async (t) => {
  for (const algorithm of ['RS256', 'RS512', 'PS256', 'PS384', 'ES256', 'ES512', 'EdDSA']) {
    await expectRegistrationError(t, { algorithm, secretKey: SECRET }, /privateKey or publicKey is required/, algorithm)
  }
  await expectRegistrationError(t, { algorithm: 'RS256', privateKey: '' }, /privateKey must be/, 'an empty private key')
  await expectRegistrationError(t, { algorithm: 'RS256', publicKey: {} }, /publicKey must be/, 'an object as public key')
})

t.test('an unknown algorithm', async (t) => {
  const error = await expectRegistrationError(t, { secretKey: SECRET, algorithm: 'HS1024' }, /^algorithm must be one of HS256, /, 'HS1024')
  t.match(error.message, /EdDSA/, 'the message lists the algorithms')
  await expectRegistrationError(t, { secretKey: SECRET, algorithm: 'hs256' }, /^algorithm must be/, 'algorithms are case-sensitive')
  await expectRegistrationError(t, { secretKey: SECRET, algorithm: 256 }, /^algorithm must be/, 'a number')
  await expectRegistrationError(t, { secretKey: SECRET, decodeAlgorithms: ['HS256', 'XS256'] }, /^decodeAlgorithms must be/,
    'in decodeAlgorithms')
  await expectRegistrationError(t, { secretKey: SECRET, decodeAlgorithms: [] }, /^decodeAlgorithms must be a non-empty list/,
    'an empty decodeAlgorithms')
  await expectRegistrationError(t, { secretKey: SECRET, decodeAlgorithms: 'HS256' }, /^decodeAlgorithms must be/,
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
    await expectRegistrationError(t, { secretKey: SECRET, ...options }, new RegExp(`^${name}: the "none" algorithm is never allowed`),
      JSON.stringify(options))
  }
})

t.test('an unknown token location', async (t) => {
  await expectRegistrationError(t, { secretKey: SECRET, tokenLocation: 'body' }, /^tokenLocation must be .*headers, cookies, query, json/,
    'a single unknown location')
  await expectRegistrationError(t, { secretKey: SECRET, tokenLocation: ['headers', 'body'] }, /^tokenLocation must be/,
    'one unknown location in a list')
  await expectRegistrationError(t, { secretKey: SECRET, tokenLocation: [] }, /^tokenLocation must be a non-empty list/, 'no location')
  await expectRegistrationError(t, { secretKey: SECRET, tokenLocation: ['Headers'] }, /^tokenLocation must be/, 'case matters')
})

t.test('durations are non-negative whole numbers of seconds, or duration strings', async (t) => {
  for (const name of ['accessTokenExpires', 'refreshTokenExpires', 'decodeLeeway', 'cookieMaxAge']) {
    // 2 ** 60: a whole number, but no longer exact once made milliseconds and
    // added to the clock; refused here rather than on every token creation.
    for (const value of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60', '15 m', '1.5h', '-5m', true, 2 ** 60, '99999999999999d']) {
      await expectRegistrationError(t, { secretKey: SECRET, [name]: value }, new RegExp(`^${name} must be a non-negative whole number`),
        `${name}: ${String(value)}`)
    }
  }
  await expectRegistrationError(t, { secretKey: SECRET, decodeLeeway: false }, /^decodeLeeway must be/, 'only token lifetimes may be false')
  await expectRegistrationError(t, { secretKey: SECRET, cookieMaxAge: false }, /^cookieMaxAge must be/, 'only token lifetimes may be false')
  await expectRegistrationError(t, { secretKey: SECRET, denylistTimeout: 0 }, /^denylistTimeout must be/, 'a denylist timeout of 0')

  const app = await buildApp(t, {
    secretKey: SECRET,
    accessTokenExpires: false,
    refreshTokenExpires: 0,
    decodeLeeway: 0,
    cookieMaxAge: 0
  })
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal(claims.exp, undefined, 'accessTokenExpires false: no exp')
  t.match(resolveConfig({ secretKey: SECRET, refreshTokenExpires: false, cookieMaxAge: 3600 }, {}),
    { refreshTokenExpires: false, cookieMaxAge: 3600 }, 'refreshTokenExpires false and a cookieMaxAge are kept')
  t.match(resolveConfig({ secretKey: SECRET, accessTokenExpires: '15m', refreshTokenExpires: '30d', decodeLeeway: '90s', cookieMaxAge: '2h' }, {}),
    { accessTokenExpires: 900, refreshTokenExpires: 2_592_000, decodeLeeway: 90, cookieMaxAge: 7200 },
    'duration strings become seconds: s, m, h, d')
  const fifteenMinutes = await buildApp(t, { secretKey: SECRET, accessTokenExpires: '15m' })
  const token = fifteenMinutes.authJwt.decodeToken(fifteenMinutes.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal((token.exp as number) - (token.iat as number), 900, "accessTokenExpires: '15m' gives a token living 900 s")
})

t.test('an unknown SameSite value', async (t) => {
  await expectRegistrationError(t, { secretKey: SECRET, cookieSamesite: 'relaxed' }, /^cookieSamesite must be one of strict, lax, none/,
    'relaxed')
  await expectRegistrationError(t, { secretKey: SECRET, cookieSamesite: true }, /^cookieSamesite must be/, 'a boolean')
  await expectRegistrationError(t, { secretKey: SECRET, cookieSamesite: '' }, /^cookieSamesite must be/, 'an empty string')
})

t.test('HS* and asymmetric algorithms mixed in decodeAlgorithms', async (t) => {
  await expectRegistrationError(t, {
    secretKey: SECRET,
    privateKey: keys.rsa.privateKey,
    decodeAlgorithms: ['HS256', 'RS256']
  }, /^decodeAlgorithms mixes HS\* and asymmetric algorithms/, 'HS256 + RS256')
  await expectRegistrationError(t, {
    algorithm: 'ES256',
    privateKey: keys.ecP256.privateKey,
    secretKey: SECRET,
    decodeAlgorithms: ['ES256', 'HS512']
  }, /^decodeAlgorithms mixes/, 'ES256 + HS512')
})

t.test('algorithm must be one of decodeAlgorithms', async (t) => {
  await expectRegistrationError(t, { secretKey: SECRET, algorithm: 'HS512', decodeAlgorithms: ['HS256', 'HS384'] },
    /^algorithm HS512 must be one of decodeAlgorithms \(HS256, HS384\)/, 'HS512 not in the list')
  await expectRegistrationError(t, { privateKey: keys.rsa.privateKey, decodeAlgorithms: ['RS256'] },
    /^algorithm \(default HS256\) must be one of decodeAlgorithms \(RS256\)/, 'the default algorithm is named as such')

  const config = resolveConfig({ secretKey: SECRET, algorithm: 'HS384', decodeAlgorithms: ['HS256', 'HS384', 'HS256'] },
    {})
  t.same(config.decodeAlgorithms, ['HS256', 'HS384'], 'duplicates are dropped')
  t.same(resolveConfig({ secretKey: SECRET, algorithm: 'HS512' }, {}).decodeAlgorithms, ['HS512'],
    'decodeAlgorithms defaults to [algorithm]')
})

t.test('tokenInDenylist must be a function', async (t) => {
  for (const value of ['yes', {}, null, true, 1]) {
    await expectRegistrationError(t, { secretKey: SECRET, tokenInDenylist: value }, /^tokenInDenylist must be a function/,
      JSON.stringify(value))
  }
  const hook = async (): Promise<boolean> => false
  t.equal(resolveConfig({ secretKey: SECRET, tokenInDenylist: hook }, {}).tokenInDenylist, hook, 'kept as given')
})

t.test('denylistStore must have add, has, useRefreshToken and revokeSubject', async (t) => {
  const has = async (): Promise<boolean> => false
  const add = async (): Promise<void> => {}
  for (const value of ['redis', null, 42]) {
    await expectRegistrationError(t, { secretKey: SECRET, denylistStore: value },
      'denylistStore must be an object with async add, has, useRefreshToken, revokeSubject', String(value))
  }
  const cases: Array<[object, string]> = [
    [{}, 'add, has, useRefreshToken, revokeSubject'],
    [{ add }, 'has, useRefreshToken, revokeSubject'],
    [{ add, has }, 'useRefreshToken, revokeSubject'],
    [{ add: 1, has }, 'add, useRefreshToken, revokeSubject']
  ]
  for (const [value, missing] of cases) {
    await expectRegistrationError(t, { secretKey: SECRET, denylistStore: value }, `denylistStore lacks ${missing}: a store must implement`,
      JSON.stringify(value))
  }
  const store = storeWith({ add, has })
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
    await expectRegistrationError(t, { secretKey: SECRET, [name]: value }, new RegExp(`^${name} must be `), `${name}: ${JSON.stringify(value)}`)
  }
})

t.test('a ConfigError is what ready() rejects with, and it says nothing of the secret', async (t) => {
  const error = await registrationError(t, { secretKey: SECRET, accessTokenExpires: -1 })
  t.ok(error instanceof ConfigError, 'a ConfigError')
  t.ok(error instanceof Error, 'an Error')
  t.equal(error.name, 'ConfigError', 'named ConfigError')
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
  t.equal(options.tokenLocation, 'query', "the caller's single location is left alone")

  t.same(resolveConfig({ secretKey: SECRET, tokenLocation: ['query', 'headers', 'query', 'headers'] }, {}).tokenLocation,
    ['query', 'headers'], 'duplicate locations are dropped, the first place kept')
  t.equal(resolveConfig({ secretKey: SECRET, cookieSamesite: 'STRICT' as 'strict' }, {}).cookieSamesite, 'strict',
    'SameSite STRICT is strict')
  t.same(resolveConfig({ secretKey: SECRET, csrfMethods: [] }, {}).csrfMethods, [], 'no CSRF method at all')
})

t.test('normalisation takes effect: a single location, lower-case csrfMethods, SameSite Lax', async (t) => {
  const queryApp = await buildApp(t, { tokenLocation: 'query' })
  queryApp.get('/q', { preHandler: queryApp.jwtRequired }, async request => ({ sub: request.authJwt.getJwtSubject() }))
  const token = queryApp.authJwt.createAccessToken({ subject: 'alice' })
  const ok = await queryApp.inject({ url: `/q?token=${token}` })
  t.equal(ok.statusCode, 200, 'the token is read from the query string')
  t.same(ok.json(), { sub: 'alice' }, 'the subject of the query token reaches the handler')
  const header = await queryApp.inject({ url: '/q', headers: { authorization: `Bearer ${token}` } })
  expectAuthError(t, header, 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'headers are not a location any more' })

  const app = await buildApp(t, {
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
  expectAuthError(t, read, 'FST_JWT_AUTH_CSRF_MISSING', { what: 'GET is a CSRF method now' })
  const write = await app.inject({ method: 'POST', url: '/write', headers: { cookie } })
  t.equal(write.statusCode, 200, 'POST is not one any more')
})

t.test('cookieSamesite none without cookieSecure emits a process warning', async (t) => {
  const warnings = async (options: LooseOptions): Promise<string[]> =>
    (await warningsOfRegistration(t, options)).map(warning => `${warning.code}: ${warning.message}`)
  t.match(await warnings({ secretKey: SECRET, tokenLocation: ['cookies'], cookieSamesite: 'none' }),
    [/^FST_JWT_AUTH_INSECURE_COOKIE: .*cookieSamesite "none" without cookieSecure/], 'one warning, with its code')
  t.equal((await warnings({ secretKey: SECRET, tokenLocation: ['headers', 'cookies'], cookieSamesite: 'None' })).length,
    1, 'None is none')
  t.same(await warnings({ secretKey: SECRET, tokenLocation: ['cookies'], cookieSamesite: 'none', cookieSecure: true }),
    [], 'no warning with cookieSecure')
  t.same(await warnings({ secretKey: SECRET, cookieSamesite: 'none' }), [],
    'no warning when cookies are not used')
  t.same(await warnings({ secretKey: SECRET, tokenLocation: ['cookies'] }), [],
    'no warning with the default SameSite')
})

t.test('risky or idle settings emit a process warning, once per registration', async (t) => {
  const codes = async (options: LooseOptions): Promise<string[]> =>
    (await warningsOfRegistration(t, { secretKey: SECRET, ...options })).map(warning => `${warning.code}: ${warning.message}`)
  t.match(await codes({ tokenLocation: ['cookies'], cookieCsrfProtect: false }),
    [/^FST_JWT_AUTH_WEAK_SETTING: .*cookieCsrfProtect is off/], 'cookies without CSRF protection')
  t.same(await codes({ cookieCsrfProtect: false }), [], 'CSRF protection off without cookies: nothing to protect')
  t.match(await codes({ decodeLeeway: 301 }), [/^FST_JWT_AUTH_WEAK_SETTING: .*decodeLeeway is over 300 s/], 'a leeway over 5 minutes')
  t.same(await codes({ decodeLeeway: 300 }), [], 'a leeway of 5 minutes is fine')
  t.match(await codes({ tokenInDenylist: () => false }),
    [/^FST_JWT_AUTH_IDLE_DENYLIST: .*denylistEnabled is false: no token is checked/], 'a hook nobody calls')
  t.match(await codes({ denylistStore: createMemoryDenylist() }), [/^FST_JWT_AUTH_IDLE_DENYLIST: /], 'a store nobody reads')
  t.same(await codes({ denylistEnabled: true, tokenInDenylist: () => false }), [], 'a hook with the denylist on is fine')
  t.match(await codes({ denylistEnabled: true, denylistTokenChecks: [] }),
    [/^FST_JWT_AUTH_IDLE_DENYLIST: .*denylistTokenChecks is empty/], 'a denylist that checks no token type')
  t.match(await codes({ tokenLocation: ['cookies'], csrfMethods: ['POST', 'DELETE'] }),
    [/^FST_JWT_AUTH_WEAK_SETTING: .*csrfMethods leaves out PUT, PATCH: cookie-authenticated requests/],
    'csrfMethods without some state-changing methods, with cookies')
  t.same(await codes({ csrfMethods: ['POST'] }), [], 'csrfMethods narrowed without cookies: nothing to protect')
  t.match(await codes({ accessTokenExpires: false }),
    [/^FST_JWT_AUTH_WEAK_SETTING: .*accessTokenExpires is false: access tokens never expire/], 'access tokens without exp')
  t.same(await codes({ refreshTokenExpires: false }), [], 'refresh tokens without exp are a documented choice')
  t.same(await codes({}), [], 'the defaults warn about nothing')
})

t.test('explicit options are not touched by register', async (t) => {
  const options = Object.freeze({ secretKey: SECRET, tokenLocation: Object.freeze(['headers', 'headers']) })
  const app = await buildApp(t, options)
  await app.ready()
  t.ok(app.authJwt, 'frozen options are fine')
})

t.test('the resolved configuration carries the default of every option whose schema has one', async (t) => {
  const config = resolveConfig({ secretKey: SECRET }, {}) as unknown as Record<string, unknown>
  const withDefaults = Object.entries(optionsSchema.properties).filter(([, schema]) => 'default' in schema)
  for (const [name, schema] of withDefaults) {
    t.same(config[name], (schema as { default: unknown }).default, `${name}: the schema's default`)
  }
})
