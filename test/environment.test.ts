// lib/environment.ts: options read from AUTHJWT_* variables and from a .env
// file: each kind of option, bad values, precedence, the BLACKLIST alias, and
// no fastify.config. Which variables are not read because their option is
// passed in code (key material as one setting): explicit-options.test.ts.
import fastifyEnv from '@fastify/env'
import { createSigner } from 'fast-jwt'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { ConfigError, type FastifyJwtAuthOptions } from '../index'
import { parseEnvironment } from '../lib/environment'
import { keys } from './fixtures/keys'
import { buildApp, expectRegistrationError, registrationError, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { inEmptyDirectory as inEmptyDir, withEnvironment as withEnv } from './helpers/environment'

/** The plugin registered with `options` only: the key material comes from the environment. */
async function build (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  return await buildApp(t, options, { testSecret: false })
}

function lifetime (app: FastifyInstance): number | undefined {
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  return claims.exp === undefined ? undefined : claims.exp - (claims.iat as number)
}

function parseError (t: Test, raw: Record<string, string>, variable: string, message: RegExp): void {
  try {
    parseEnvironment(raw)
    t.fail(`${JSON.stringify(raw)} should be refused`)
  } catch (error) {
    t.ok(error instanceof ConfigError, `${JSON.stringify(raw)}: a ConfigError`)
    t.equal((error as ConfigError).code, 'FST_JWT_AUTH_CONFIG', `${JSON.stringify(raw)}: code FST_JWT_AUTH_CONFIG`)
    t.ok((error as Error).message.startsWith(variable + ' '), `${JSON.stringify(raw)}: names ${variable}`)
    t.match((error as Error).message, message, `${JSON.stringify(raw)}: says what is wrong`)
  }
}

t.test('parseEnvironment: strings are taken as they are', async (t) => {
  t.same(parseEnvironment({
    AUTHJWT_SECRET_KEY: ' spaced secret ',
    AUTHJWT_ALGORITHM: 'HS512',
    AUTHJWT_HEADER_NAME: 'X-Auth',
    AUTHJWT_HEADER_TYPE: '',
    AUTHJWT_ENCODE_ISSUER: 'https://issuer.example',
    AUTHJWT_COOKIE_SAMESITE: 'Strict'
  }), {
    secretKey: ' spaced secret ',
    algorithm: 'HS512',
    headerName: 'X-Auth',
    headerType: '',
    encodeIssuer: 'https://issuer.example',
    cookieSamesite: 'Strict'
  }, 'spaces, case and empty values are kept')
  t.same(parseEnvironment({}), {}, 'nothing set, nothing read')
  t.same(parseEnvironment({ AUTHJWT_UNKNOWN: 'x', PATH: '/bin' }), {}, 'unknown variables are ignored')
  t.same(parseEnvironment({ AUTHJWT_TOKEN_IN_DENYLIST: 'x', AUTHJWT_DENYLIST_STORE: 'redis' }), {},
    'options that only code can give are not read')
})

t.test('parseEnvironment: booleans', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['true', true], ['TRUE', true], ['1', true], ['yes', true], ['Yes', true], ['on', true], [' true ', true],
    ['false', false], ['False', false], ['0', false], ['no', false], ['NO', false], ['off', false]
  ]
  for (const [text, value] of cases) {
    t.same(parseEnvironment({ AUTHJWT_COOKIE_SECURE: text }), { cookieSecure: value }, JSON.stringify(text))
  }
  for (const text of ['maybe', '', '2', 'yess', 'true false']) {
    parseError(t, { AUTHJWT_COOKIE_SECURE: text }, 'AUTHJWT_COOKIE_SECURE', /must be true or false/)
  }
  parseError(t, { AUTHJWT_COOKIE_CSRF_PROTECT: 'nope' }, 'AUTHJWT_COOKIE_CSRF_PROTECT', /must be true or false/)
})

t.test('parseEnvironment: integers', async (t) => {
  t.same(parseEnvironment({ AUTHJWT_DECODE_LEEWAY: '30', AUTHJWT_COOKIE_MAX_AGE: ' 0 ', AUTHJWT_DENYLIST_TIMEOUT: '2' }),
    { decodeLeeway: 30, cookieMaxAge: 0, denylistTimeout: 2 }, 'whole numbers, spaces trimmed')
  for (const text of ['-1', '1.5', 'abc', '', '1e3', '0x10', 'false']) {
    parseError(t, { AUTHJWT_DECODE_LEEWAY: text }, 'AUTHJWT_DECODE_LEEWAY', /must be a non-negative whole number/)
  }
  parseError(t, { AUTHJWT_COOKIE_MAX_AGE: '1 day' }, 'AUTHJWT_COOKIE_MAX_AGE', /non-negative whole number/)
  for (const text of ['-1', '1.5', '5s', 'abc']) {
    parseError(t, { AUTHJWT_DENYLIST_TIMEOUT: text }, 'AUTHJWT_DENYLIST_TIMEOUT', /^AUTHJWT_DENYLIST_TIMEOUT must be a non-negative whole number$/)
  }
})

t.test('parseEnvironment: durations, "false" included', async (t) => {
  t.same(parseEnvironment({ AUTHJWT_ACCESS_TOKEN_EXPIRES: '600', AUTHJWT_REFRESH_TOKEN_EXPIRES: 'false' }),
    { accessTokenExpires: 600, refreshTokenExpires: false }, 'seconds, or false')
  t.same(parseEnvironment({ AUTHJWT_ACCESS_TOKEN_EXPIRES: 'FALSE' }), { accessTokenExpires: false }, 'FALSE is false')
  t.same(parseEnvironment({ AUTHJWT_ACCESS_TOKEN_EXPIRES: '0' }), { accessTokenExpires: 0 }, '0 is a number, not false')
  t.same(parseEnvironment({ AUTHJWT_ACCESS_TOKEN_EXPIRES: '15m', AUTHJWT_REFRESH_TOKEN_EXPIRES: '30d', AUTHJWT_DECODE_LEEWAY: '90s', AUTHJWT_COOKIE_MAX_AGE: '2h' }),
    { accessTokenExpires: 900, refreshTokenExpires: 2_592_000, decodeLeeway: 90, cookieMaxAge: 7200 },
    'durations as people write them: s, m, h, d')
  for (const text of ['-5', '15 min', '1.5', '1.5h', 'no', '']) {
    parseError(t, { AUTHJWT_ACCESS_TOKEN_EXPIRES: text }, 'AUTHJWT_ACCESS_TOKEN_EXPIRES',
      /must be a non-negative whole number of seconds, or a duration such as 15m or 30d/)
  }
  parseError(t, { AUTHJWT_REFRESH_TOKEN_EXPIRES: 'never' }, 'AUTHJWT_REFRESH_TOKEN_EXPIRES', /whole number/)
})

t.test('parseEnvironment: comma lists', async (t) => {
  t.same(parseEnvironment({ AUTHJWT_TOKEN_LOCATION: 'cookies, headers' }), { tokenLocation: ['cookies', 'headers'] },
    'comma separated, in order')
  t.same(parseEnvironment({ AUTHJWT_TOKEN_LOCATION: ' headers ,, query , ' }), { tokenLocation: ['headers', 'query'] },
    'spaces and empty items are dropped')
  t.same(parseEnvironment({ AUTHJWT_TOKEN_LOCATION: 'json' }), { tokenLocation: ['json'] }, 'one item is a list of one')
  t.same(parseEnvironment({ AUTHJWT_DECODE_ALGORITHMS: 'RS256,PS256' }), { decodeAlgorithms: ['RS256', 'PS256'] },
    'AUTHJWT_DECODE_ALGORITHMS is a list')
  t.same(parseEnvironment({ AUTHJWT_CSRF_METHODS: 'post, delete' }), { csrfMethods: ['post', 'delete'] },
    'AUTHJWT_CSRF_METHODS is a list, its case left to the configuration')
  t.same(parseEnvironment({ AUTHJWT_DENYLIST_TOKEN_CHECKS: 'refresh' }), { denylistTokenChecks: ['refresh'] },
    'AUTHJWT_DENYLIST_TOKEN_CHECKS is a list')
})

t.test('parseEnvironment: decodeAudience is a string or a list', async (t) => {
  t.same(parseEnvironment({ AUTHJWT_DECODE_AUDIENCE: 'api' }), { decodeAudience: 'api' }, 'one value: a string')
  t.same(parseEnvironment({ AUTHJWT_DECODE_AUDIENCE: ' api ' }), { decodeAudience: 'api' }, 'trimmed')
  t.same(parseEnvironment({ AUTHJWT_DECODE_AUDIENCE: 'api, admin' }), { decodeAudience: ['api', 'admin'] },
    'several values: a list')
  t.throws(() => parseEnvironment({ AUTHJWT_DECODE_AUDIENCE: '' }),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^AUTHJWT_DECODE_AUDIENCE is empty/ }, 'nothing: refused')
})

t.test('parseEnvironment: PEM keys with escaped newlines', async (t) => {
  const pem = keys.rsa.privateKey
  const escaped = pem.replace(/\n/g, '\\n')
  t.notMatch(escaped, '\n', 'the escaped key is one line')
  t.same(parseEnvironment({ AUTHJWT_PRIVATE_KEY: escaped }), { privateKey: pem }, 'escaped newlines are restored')
  t.same(parseEnvironment({ AUTHJWT_PUBLIC_KEY: keys.rsa.publicKey }), { publicKey: keys.rsa.publicKey },
    'a key with real newlines is kept as it is')
  const mixed = 'line one\nline\\ntwo'
  t.same(parseEnvironment({ AUTHJWT_PUBLIC_KEY: mixed }), { publicKey: mixed },
    'a value with real newlines is not unescaped')
})

t.test('parseEnvironment: AUTHJWT_BLACKLIST_ENABLED is an alias of AUTHJWT_DENYLIST_ENABLED', async (t) => {
  t.same(parseEnvironment({ AUTHJWT_BLACKLIST_ENABLED: 'true' }), { denylistEnabled: true }, 'the alias turns it on')
  t.same(parseEnvironment({ AUTHJWT_BLACKLIST_ENABLED: 'no' }), { denylistEnabled: false }, 'and off')
  t.same(parseEnvironment({ AUTHJWT_DENYLIST_ENABLED: 'false', AUTHJWT_BLACKLIST_ENABLED: 'true' }),
    { denylistEnabled: false }, 'the DENYLIST name wins')
  t.same(parseEnvironment({ AUTHJWT_DENYLIST_ENABLED: 'yes', AUTHJWT_BLACKLIST_ENABLED: 'garbage' }),
    { denylistEnabled: true }, 'a shadowed alias is not even read')
  parseError(t, { AUTHJWT_BLACKLIST_ENABLED: 'maybe' }, 'AUTHJWT_BLACKLIST_ENABLED', /must be true or false/)
  parseError(t, { AUTHJWT_DENYLIST_ENABLED: 'maybe' }, 'AUTHJWT_DENYLIST_ENABLED', /must be true or false/)

  const raw = { AUTHJWT_BLACKLIST_ENABLED: '1' }
  parseEnvironment(raw)
  t.same(raw, { AUTHJWT_BLACKLIST_ENABLED: '1' }, 'the variables given are left alone')
})

t.test('register: every kind of option from process.env', async (t) => {
  inEmptyDir(t)
  withEnv(t, {
    AUTHJWT_ALGORITHM: 'RS256',
    AUTHJWT_PRIVATE_KEY: keys.rsa.privateKey.replace(/\n/g, '\\n'),
    AUTHJWT_DECODE_ALGORITHMS: 'RS256, PS512',
    AUTHJWT_ENCODE_ISSUER: 'issuer',
    AUTHJWT_DECODE_ISSUER: 'issuer',
    AUTHJWT_DECODE_AUDIENCE: 'api, admin',
    AUTHJWT_ACCESS_TOKEN_EXPIRES: '120',
    AUTHJWT_REFRESH_TOKEN_EXPIRES: 'false',
    AUTHJWT_TOKEN_LOCATION: 'query, headers',
    AUTHJWT_QUERY_STRING_NAME: 'jwt',
    AUTHJWT_HEADER_NAME: 'X-Auth',
    AUTHJWT_HEADER_TYPE: '',
    AUTHJWT_DENYLIST_ENABLED: 'yes'
  })
  const app = await build(t)
  app.get('/me', { preHandler: app.jwtRequired }, async request => request.authJwt.getRawJwt())
  await app.ready()

  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal(app.authJwt.getUnverifiedJwtHeaders(token).alg, 'RS256', 'AUTHJWT_ALGORITHM + AUTHJWT_PRIVATE_KEY')
  const claims = app.authJwt.decodeToken(token)
  t.equal((claims.exp as number) - (claims.iat as number), 120, 'AUTHJWT_ACCESS_TOKEN_EXPIRES')
  t.equal(claims.iss, 'issuer', 'AUTHJWT_ENCODE_ISSUER')
  t.same(claims.aud, ['api', 'admin'], 'AUTHJWT_DECODE_AUDIENCE as a list')
  t.equal(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'alice' })).exp, undefined,
    'AUTHJWT_REFRESH_TOKEN_EXPIRES=false')
  const ps512 = app.authJwt.createAccessToken({ subject: 'alice', algorithm: 'PS512' })
  t.equal(app.authJwt.decodeToken(ps512).sub, 'alice', 'AUTHJWT_DECODE_ALGORITHMS')

  const byQuery = await app.inject({ url: `/me?jwt=${token}` })
  t.equal(byQuery.statusCode, 200, 'AUTHJWT_TOKEN_LOCATION + AUTHJWT_QUERY_STRING_NAME')
  const byHeader = await app.inject({ url: '/me', headers: { 'x-auth': token } })
  t.equal(byHeader.statusCode, 200, 'AUTHJWT_HEADER_NAME + empty AUTHJWT_HEADER_TYPE: the bare token')
  const wrongAudience = app.authJwt.createAccessToken({ subject: 'alice', audience: 'other' })
  t.throws(() => app.authJwt.decodeToken(wrongAudience), { code: 'FST_JWT_AUTH_TOKEN_INVALID' },
    'AUTHJWT_DECODE_AUDIENCE is enforced')

  await t.resolves(app.authJwt.revokeToken(token), 'AUTHJWT_DENYLIST_ENABLED=yes')
  const revoked = await app.inject({ url: `/me?jwt=${token}` })
  expectAuthError(t, revoked, 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'the revoked token is refused by the guard' })
})

t.test('register: a single audience from the environment stays a string', async (t) => {
  inEmptyDir(t)
  withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_DECODE_AUDIENCE: 'api' })
  const app = await build(t)
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal(claims.aud, 'api', 'aud is the one audience, not a list')
})

t.test('register: booleans from the environment', async (t) => {
  inEmptyDir(t)
  const cases: Array<[Record<string, string>, boolean, string]> = [
    [{ AUTHJWT_DENYLIST_ENABLED: '1' }, true, 'DENYLIST=1'],
    [{ AUTHJWT_DENYLIST_ENABLED: 'no' }, false, 'DENYLIST=no'],
    [{ AUTHJWT_BLACKLIST_ENABLED: 'true' }, true, 'BLACKLIST=true'],
    [{ AUTHJWT_DENYLIST_ENABLED: '0', AUTHJWT_BLACKLIST_ENABLED: '1' }, false, 'DENYLIST=0 wins over BLACKLIST=1'],
    [{}, false, 'the default']
  ]
  for (const [variables, enabled, what] of cases) {
    await t.test(what, async (t) => {
      withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, ...variables })
      const app = await build(t)
      const revoke = app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
      if (enabled) await t.resolves(revoke, 'the denylist is on')
      else await t.rejects(revoke, { code: 'FST_JWT_AUTH_CONFIG', message: /denylistEnabled/ }, 'the denylist is off')
    })
  }
})

t.test('register: a bad variable is a ConfigError naming it', async (t) => {
  inEmptyDir(t)
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ AUTHJWT_ACCESS_TOKEN_EXPIRES: 'abc' }, /^AUTHJWT_ACCESS_TOKEN_EXPIRES must be a non-negative whole number/],
    [{ AUTHJWT_COOKIE_SECURE: 'sometimes' }, /^AUTHJWT_COOKIE_SECURE must be true or false/],
    [{ AUTHJWT_BLACKLIST_ENABLED: 'perhaps' }, /^AUTHJWT_BLACKLIST_ENABLED must be true or false/],
    [{ AUTHJWT_COOKIE_SAMESITE: 'relaxed' }, /^cookieSamesite \(from AUTHJWT_COOKIE_SAMESITE\) must be one of strict, lax, none/],
    [{ AUTHJWT_TOKEN_LOCATION: 'headers,body' }, /^tokenLocation \(from AUTHJWT_TOKEN_LOCATION\) must be/],
    [{ AUTHJWT_TOKEN_LOCATION: ' , ' }, /^AUTHJWT_TOKEN_LOCATION is empty/],
    [{ AUTHJWT_ALGORITHM: 'none' }, /^algorithm \(from AUTHJWT_ALGORITHM\): the "none" algorithm is never allowed/],
    [{ AUTHJWT_DECODE_ALGORITHMS: 'HS256,none' }, /^decodeAlgorithms \(from AUTHJWT_DECODE_ALGORITHMS\): the "none" algorithm/],
    [{ AUTHJWT_ALGORITHM: 'HS1024' }, /^algorithm \(from AUTHJWT_ALGORITHM\) must be one of/],
    [{ AUTHJWT_DECODE_AUDIENCE: ',' }, /^AUTHJWT_DECODE_AUDIENCE is empty/],
    // A blank list would switch a check off: CSRF for every method, or the denylist.
    [{ AUTHJWT_CSRF_METHODS: '' }, /^AUTHJWT_CSRF_METHODS is empty/],
    [{ AUTHJWT_DENYLIST_TOKEN_CHECKS: ' ' }, /^AUTHJWT_DENYLIST_TOKEN_CHECKS is empty/],
    [{ AUTHJWT_ACCESS_TOKEN_EXPIRES: '99999999999999999999' }, /^accessTokenExpires \(from AUTHJWT_ACCESS_TOKEN_EXPIRES\) must be/],
    [{ AUTHJWT_COOKIE_MAX_AGE: '9007199254740991' }, /^cookieMaxAge \(from AUTHJWT_COOKIE_MAX_AGE\) must be/],
    [{ AUTHJWT_HEADER_NAME: 'Bad Header' }, /^headerName \(from AUTHJWT_HEADER_NAME\) must be/],
    [{ AUTHJWT_DENYLIST_TIMEOUT: '0' }, /^denylistTimeout \(from AUTHJWT_DENYLIST_TIMEOUT\) must be/]
  ]
  for (const [variables, message] of cases) {
    await t.test(JSON.stringify(variables), async (t) => {
      withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, ...variables })
      await expectRegistrationError(t, {}, message, Object.keys(variables).join(', '))
    })
  }

  await t.test('an empty secret', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: '' })
    const empty = await registrationError(t, {})
    t.match(empty.message, /^secretKey \(from AUTHJWT_SECRET_KEY\) must be/, 'an empty secret is refused')
  })
})

t.test('register: an explicit option does not name the variable it overrides', async (t) => {
  inEmptyDir(t)
  withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_COOKIE_SAMESITE: 'strict' })
  const error = await registrationError(t, { cookieSamesite: 'relaxed' })
  t.match(error.message, /^cookieSamesite must be/, 'the option is named')
  t.notMatch(error.message, 'AUTHJWT_COOKIE_SAMESITE', 'the variable it overrides is not')
})

t.test('register: a malformed variable is not read when its option is given explicitly', async (t) => {
  inEmptyDir(t)
  withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_ACCESS_TOKEN_EXPIRES: '15 minutes' })
  t.equal(lifetime(await build(t, { accessTokenExpires: 60 })), 60, 'the explicit lifetime, and no error')
  t.same(parseEnvironment({ AUTHJWT_ACCESS_TOKEN_EXPIRES: '15 minutes' }, new Set(['accessTokenExpires'])), {},
    'the variable is not read')
  t.throws(() => parseEnvironment({ AUTHJWT_ACCESS_TOKEN_EXPIRES: '15 minutes' }), { code: 'FST_JWT_AUTH_CONFIG' },
    'read, it fails')
})

t.test('precedence: explicit option > environment > default', async (t) => {
  inEmptyDir(t)
  await t.test('the default', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: SECRET })
    t.equal(lifetime(await build(t)), 900, 'access tokens live the default 900 s')
  })
  await t.test('the environment over the default', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_ACCESS_TOKEN_EXPIRES: '60' })
    t.equal(lifetime(await build(t)), 60, 'AUTHJWT_ACCESS_TOKEN_EXPIRES over the default')
  })
  await t.test('the explicit option over the environment', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: 'not-this-secret-but-the-explicit-one', AUTHJWT_ACCESS_TOKEN_EXPIRES: '60' })
    const app = await build(t, { secretKey: SECRET, accessTokenExpires: 120 })
    t.equal(lifetime(app), 120, 'the explicit lifetime over AUTHJWT_ACCESS_TOKEN_EXPIRES')
    const other = await build(t, { secretKey: SECRET })
    t.equal(other.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' })).sub, 'a',
      'signed with the explicit secret')
  })
  await t.test('an explicit false or empty string wins too', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_ACCESS_TOKEN_EXPIRES: '60', AUTHJWT_HEADER_TYPE: 'Token' })
    const app = await build(t, { accessTokenExpires: false, headerType: '' })
    app.get('/me', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
    t.equal(lifetime(app), undefined, 'false over 60')
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    t.equal((await app.inject({ url: '/me', headers: { authorization: token } })).statusCode, 200,
      'headerType "" over "Token"')
  })
  await t.test('an explicit undefined is an error, never a fall-back to the environment', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_ACCESS_TOKEN_EXPIRES: '60' })
    await expectRegistrationError(t, { accessTokenExpires: undefined }, /^accessTokenExpires was passed as undefined/,
      'accessTokenExpires: undefined')
  })
})

t.test('a .env file in the working directory is read; the real environment wins', async (t) => {
  inEmptyDir(t, {
    '.env': [
      '# a comment',
      `AUTHJWT_SECRET_KEY=${SECRET}`,
      'AUTHJWT_ACCESS_TOKEN_EXPIRES=77',
      'AUTHJWT_TOKEN_LOCATION="query, headers"',
      ''
    ].join('\n')
  })

  await t.test('from the file', async (t) => {
    withEnv(t)
    const app = await build(t)
    app.get('/me', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
    t.equal(lifetime(app), 77, 'AUTHJWT_ACCESS_TOKEN_EXPIRES from .env')
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    t.equal((await app.inject({ url: `/me?token=${token}` })).statusCode, 200, 'AUTHJWT_TOKEN_LOCATION from .env')
    t.equal(process.env.AUTHJWT_SECRET_KEY, undefined, 'the file does not leak into process.env')
  })

  await t.test('the real environment over the file', async (t) => {
    withEnv(t, { AUTHJWT_ACCESS_TOKEN_EXPIRES: '88' })
    t.equal(lifetime(await build(t)), 88, 'AUTHJWT_ACCESS_TOKEN_EXPIRES of the process over the .env one')
  })

  await t.test('an explicit option over both', async (t) => {
    withEnv(t, { AUTHJWT_ACCESS_TOKEN_EXPIRES: '88' })
    t.equal(lifetime(await build(t, { accessTokenExpires: 99 })), 99, 'the explicit lifetime over both')
  })
})

t.test('one setting, one source: a group the process environment sets is not completed from .env', async (t) => {
  // The deployment sets its secret in the process environment; a .env planted
  // beside the app names another algorithm and the attacker's keys.
  const attacker = keys.rsa2
  const escaped = (pem: string): string => pem.replace(/\n/g, '\\n')
  inEmptyDir(t, {
    '.env': [
      'AUTHJWT_ALGORITHM=RS256',
      `AUTHJWT_PRIVATE_KEY="${escaped(attacker.privateKey)}"`,
      `AUTHJWT_PUBLIC_KEY="${escaped(attacker.publicKey)}"`,
      'AUTHJWT_DENYLIST_ENABLED=false',
      ''
    ].join('\n')
  })

  await t.test('key material', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: SECRET })
    const app = await build(t, { accessTokenExpires: 600 })
    app.get('/me', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
    t.equal(app.authJwt.getUnverifiedJwtHeaders(app.authJwt.createAccessToken({ subject: 'a' })).alg, 'HS256',
      'the algorithm and keys of .env are not read: HS256 with the process secret')
    const forged = createSigner({ key: attacker.privateKey, algorithm: 'RS256' })({ sub: 'admin', type: 'access' })
    expectAuthError(t, await app.inject({ url: '/me', headers: { authorization: `Bearer ${forged}` } }),
      'FST_JWT_AUTH_TOKEN_INVALID', { what: "a token signed with the attacker's key" })
  })

  await t.test('the denylist switch and its alias', async (t) => {
    withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_BLACKLIST_ENABLED: 'true' })
    const app = await build(t)
    app.get('/me', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    await app.authJwt.revokeToken(token)
    expectAuthError(t, await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } }),
      'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'the alias in the process environment wins over the .env switch' })
  })

  await t.test('a group the process environment does not touch still comes from .env', async (t) => {
    withEnv(t)
    const app = await build(t)
    t.equal(app.authJwt.getUnverifiedJwtHeaders(app.authJwt.createAccessToken({ subject: 'a' })).alg, 'RS256',
      'the whole key group from .env')
  })
})

t.test('a bad value in .env names its variable', async (t) => {
  inEmptyDir(t, { '.env': `AUTHJWT_SECRET_KEY=${SECRET}\nAUTHJWT_REFRESH_TOKEN_EXPIRES=30 days\n` })
  withEnv(t)
  const error = await registrationError(t, {})
  t.ok(error instanceof ConfigError, 'a ConfigError')
  t.match(error.message, /^AUTHJWT_REFRESH_TOKEN_EXPIRES must be/, 'naming the variable of the .env file')
})

t.test('no .env file is fine', async (t) => {
  inEmptyDir(t)
  withEnv(t)
  const error = await registrationError(t, {})
  t.match(error.message, /secretKey is required/, 'nothing read: no secret')
})

t.test('a .env that cannot be read is a ConfigError', async (t) => {
  inEmptyDir(t, { '.env': {} })
  withEnv(t, { AUTHJWT_SECRET_KEY: SECRET })
  const error = await expectRegistrationError(t, {}, /\.env file/, 'a .env directory')
  t.match(error.cause, { code: 'EISDIR' }, 'the cause says why')
})

t.test('the plugin does not decorate fastify.config', async (t) => {
  inEmptyDir(t)
  withEnv(t, { AUTHJWT_SECRET_KEY: SECRET })
  const app = await build(t)
  await app.ready()
  t.equal(app.hasDecorator('config'), false, 'no fastify.config')
  t.equal(app.hasDecorator('getEnvs'), false, 'no fastify.getEnvs')
  t.equal(app.hasDecorator('authJwtEnvironment'), false, 'no trace of the environment reader')
  t.equal(app.hasRequestDecorator('getEnvs'), false, 'no request.getEnvs')
  t.equal(app.hasDecorator('authJwt'), true, 'but its own decorators')
})

t.test('the application can use @fastify/env itself, before or after the plugin', async (t) => {
  inEmptyDir(t)
  withEnv(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_HEADER_NAME: 'X-Auth' })
  const schema = {
    type: 'object',
    properties: {
      APP_NAME: { type: 'string', default: 'demo' },
      AUTHJWT_HEADER_NAME: { type: 'string' }
    }
  }

  const before = await buildApp(t, {}, { testSecret: false, before: async app => await app.register(fastifyEnv, { schema }) })
  await before.ready()
  t.same((before as unknown as { config: unknown }).config, { APP_NAME: 'demo', AUTHJWT_HEADER_NAME: 'X-Auth' },
    'the application\'s own fastify.config')

  const after = await build(t)
  await after.register(fastifyEnv, { schema })
  await after.ready()
  t.same((after as unknown as { config: unknown }).config, { APP_NAME: 'demo', AUTHJWT_HEADER_NAME: 'X-Auth' },
    "the application's own fastify.config, registered after the plugin")
  t.equal(after.hasDecorator('getEnvs'), true, 'getEnvs is the application\'s own')
})
