// lib/explicit-options.ts: what the application passed in code, checked before
// anything is read from the environment. An unknown option (a typo) or one
// passed as undefined (a misspelt variable) would otherwise fail silently,
// and key material is one setting, so that a .env file cannot swap the key
// family under a secret passed in code.
import { createSigner } from 'fast-jwt'
import t from 'tap'
import { ConfigError, type FastifyJwtAuthOptions } from '../index'
import { resolveConfig } from '../lib/config'
import { parseEnvironment } from '../lib/environment'
import { KEY_MATERIAL_OPTIONS, optionsSetInCode } from '../lib/explicit-options'
import { keys } from './fixtures/keys'
import { bearer, buildApp, expectRegistrationError, registrationError, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { inEmptyDirectory, withEnvironment } from './helpers/environment'

// No AUTHJWT_* variable of the machine running the tests may change them.
withEnvironment(t)

/** The error optionsSetInCode throws for `options`. */
function refusal (options: object): unknown {
  try {
    optionsSetInCode(options)
  } catch (error) {
    return error
  }
  return undefined
}

/** The set as a sorted list, for comparison. */
const sorted = (names: Iterable<string>): string[] => [...names].sort()

t.test('optionsSetInCode: the options passed in code, which the environment must not supply', async (t) => {
  t.same(sorted(optionsSetInCode({})), [], 'nothing passed: every option may come from the environment')
  t.same(sorted(optionsSetInCode({ accessTokenExpires: 60, headerType: '', cookieSecure: false, cookieMaxAge: 0 })),
    ['accessTokenExpires', 'cookieMaxAge', 'cookieSecure', 'headerType'], 'false, 0 and "" are passed values too')
  t.same(sorted(optionsSetInCode({ tokenInDenylist: () => false, denylistStore: {} })), ['denylistStore', 'tokenInDenylist'],
    'options that only code can give')
  t.same(sorted(optionsSetInCode({ prefix: '/api', logLevel: 'warn', logSerializers: {}, decodeLeeway: 5 })),
    ['decodeLeeway'], "Fastify's own registration options are neither ours nor refused")
  t.same(sorted(optionsSetInCode({ prefix: undefined })), [], "Fastify's options are let through even as undefined")
})

t.test('optionsSetInCode: key material is one setting', async (t) => {
  t.same(sorted(KEY_MATERIAL_OPTIONS),
    ['algorithm', 'decodeAlgorithms', 'jwksUrl', 'keys', 'privateKey', 'publicKey', 'secretKey'],
    'the options that say how tokens are signed and verified')
  for (const name of KEY_MATERIAL_OPTIONS) {
    t.same(sorted(optionsSetInCode({ [name]: 'x' })), sorted(KEY_MATERIAL_OPTIONS),
      `${name} in code: none of the seven is read from the environment`)
  }
  t.same(sorted(optionsSetInCode({ secretKey: SECRET, accessTokenExpires: 60 })),
    sorted([...KEY_MATERIAL_OPTIONS, 'accessTokenExpires']), 'the key material and the other options passed')
  t.notOk(optionsSetInCode({ accessTokenExpires: 60 }).has('secretKey'),
    'without key material in code, all of it may come from the environment')
})

t.test('optionsSetInCode: an unknown option is refused with the one probably meant', async (t) => {
  const cases: Array<[string, string | undefined, string]> = [
    ['accesTokenExpires', 'accessTokenExpires', 'a missing letter'],
    ['SECRETKEY', 'secretKey', 'another case only'],
    ['sekretKee', 'secretKey', 'two letters changed in a short name'],
    ['tokenLocations', 'tokenLocation', 'a letter too many'],
    ['rfrshCsrfCkiePath', 'refreshCsrfCookiePath', 'a longer name may be further off: four letters missing'],
    ['rfrshCsrfCkePath', undefined, 'five letters missing is too far'],
    ['algo', undefined, 'a short name that is not close enough'],
    ['leeway', undefined, 'nothing close: no suggestion']
  ]
  for (const [name, meant, what] of cases) {
    const error = refusal({ [name]: 1 })
    t.ok(error instanceof ConfigError, `${name}: a ConfigError`)
    t.equal((error as ConfigError).message,
      meant === undefined ? `unknown option ${name}` : `unknown option ${name} (did you mean ${meant}?)`,
      `${name}: ${what}`)
  }
  t.match(refusal({ secretKey: SECRET, typo: undefined }), { message: 'unknown option typo' },
    'an unknown option is named as unknown even when undefined')
})

t.test('optionsSetInCode: an option passed as undefined is refused, naming it', async (t) => {
  const error = refusal({ accessTokenExpires: 60, secretKey: undefined })
  t.ok(error instanceof ConfigError, 'a ConfigError')
  t.equal((error as ConfigError).message,
    'secretKey was passed as undefined: give it a value, or leave it out to use the environment or the default',
    'the message names the option and says what to do')
})

t.test('registration: an unknown option is refused and the intended one suggested', async (t) => {
  // Without the check, the typo would register in JavaScript and tokens would silently live the default 900 s.
  await expectRegistrationError(t, { secretKey: SECRET, accesTokenExpires: 60 },
    /^unknown option accesTokenExpires \(did you mean accessTokenExpires\?\)$/, 'a missing letter')
  await expectRegistrationError(t, { secretKey: SECRET, SecretKey: SECRET },
    /^unknown option SecretKey \(did you mean secretKey\?\)$/, 'another case')
  await expectRegistrationError(t, { secretKey: SECRET, cookieSameSite: 'strict' },
    /^unknown option cookieSameSite \(did you mean cookieSamesite\?\)$/, 'the spelling of the Python originals')
  await expectRegistrationError(t, { secretKey: SECRET, denylistEnabeld: true },
    /^unknown option denylistEnabeld \(did you mean denylistEnabled\?\)$/, 'two letters swapped')
  await expectRegistrationError(t, { secretKey: SECRET, expires: 60 }, /^unknown option expires$/,
    'nothing close: no suggestion')
  await expectRegistrationError(t, { secretKey: SECRET, blacklistEnabled: true }, /^unknown option blacklistEnabled$/,
    'the environment alias is not an option name')
  t.throws(() => resolveConfig({ secretKey: SECRET, algorthm: 'HS256' } as FastifyJwtAuthOptions, {}),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^unknown option algorthm \(did you mean algorithm\?\)$/ },
    'resolveConfig checks the names itself')
})

t.test("registration: Fastify's own registration options are not mistaken for ours", async (t) => {
  const app = await buildApp(t, { prefix: '/api', logLevel: 'warn', logSerializers: {} })
  await app.ready()
  t.ok(app.authJwt, 'prefix, logLevel and logSerializers are accepted')
})

t.test('registration: an option passed as undefined is refused, naming it', async (t) => {
  // The usual cause: `secretKey: process.env.JWT_SECRT`, a misspelt variable.
  const error = await expectRegistrationError(t, { secretKey: undefined },
    /^secretKey was passed as undefined: give it a value, or leave it out/, 'secretKey')
  t.equal(error.statusCode, 500, 'answered as a 500 if it ever reached a request')
  await expectRegistrationError(t, { secretKey: SECRET, cookieDomain: undefined }, /^cookieDomain was passed as undefined/,
    'any option')
  await expectRegistrationError(t, { secretKey: SECRET, tokenInDenylist: undefined },
    /^tokenInDenylist was passed as undefined/, 'an option that never comes from the environment')
})

t.test('key material is one setting: a .env cannot swap the key family under an explicit secret', async (t) => {
  // The attack: the app passes its secret in code; a .env file in the working
  // directory names another algorithm and the attacker's public key.
  const attacker = keys.rsa2
  inEmptyDirectory(t, {
    '.env': `AUTHJWT_ALGORITHM=RS256\nAUTHJWT_PUBLIC_KEY="${attacker.publicKey.replace(/\n/g, '\\n')}"\n`
  })
  withEnvironment(t)
  const app = await buildApp(t, { secretKey: SECRET })
  app.get('/me', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
  const forged = createSigner({ key: attacker.privateKey, algorithm: 'RS256' })({ sub: 'admin', type: 'access' })
  const response = await app.inject({ url: '/me', headers: bearer(forged) })
  expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { what: "a token signed with the attacker's key" })
  const own = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal(app.authJwt.getUnverifiedJwtHeaders(own).alg, 'HS256', 'the app still signs with its secret')
  t.equal((await app.inject({ url: '/me', headers: bearer(own) })).statusCode, 200, "the app's own token passes")
})

t.test('key material is one setting: any key option in code keeps every key variable unread', async (t) => {
  inEmptyDirectory(t)
  const keyVariables = {
    AUTHJWT_SECRET_KEY: SECRET,
    AUTHJWT_PRIVATE_KEY: 'not a key',
    AUTHJWT_PUBLIC_KEY: 'not a key',
    AUTHJWT_ALGORITHM: 'not an algorithm',
    AUTHJWT_DECODE_ALGORITHMS: 'none'
  }
  const inCode: Array<[string, FastifyJwtAuthOptions]> = [
    ['secretKey', { secretKey: 'a-secret-in-code-of-more-than-32-bytes!' }],
    ['privateKey', { privateKey: keys.ecP256.privateKey, algorithm: 'ES256' }],
    ['publicKey', { publicKey: keys.ed25519.publicKey, algorithm: 'EdDSA' }]
  ]
  for (const [what, options] of inCode) {
    withEnvironment(t, keyVariables)
    const app = await buildApp(t, options)
    t.ok(app.authJwt, `${what} in code: the malformed key variables are not read`)
  }

  withEnvironment(t, { AUTHJWT_SECRET_KEY: SECRET })
  const algorithmOnly = await registrationError(t, { algorithm: 'HS384' })
  t.match(algorithmOnly.message, /^secretKey is required for HS384/,
    'algorithm in code: the secret is not taken from the environment either')
  const listOnly = await registrationError(t, { decodeAlgorithms: ['HS256'] })
  t.match(listOnly.message, /^secretKey is required for HS256/, 'decodeAlgorithms in code: likewise')

  t.same(parseEnvironment(keyVariables, new Set(KEY_MATERIAL_OPTIONS)), {}, 'parseEnvironment reads none of them')
})

t.test('key material still comes whole from the environment when none is in code', async (t) => {
  inEmptyDirectory(t)
  withEnvironment(t, { AUTHJWT_ALGORITHM: 'ES256', AUTHJWT_PRIVATE_KEY: keys.ecP256.privateKey.replace(/\n/g, '\\n') })
  const app = await buildApp(t, { accessTokenExpires: 60 }, { testSecret: false })
  t.equal(app.authJwt.getUnverifiedJwtHeaders(app.authJwt.createAccessToken({ subject: 'a' })).alg, 'ES256',
    'algorithm and key from the environment')
})

t.test('options that come from getters or a prototype count as passed, as their values are read', async (t) => {
  // The usual cause: a settings class whose getter reads a misspelt variable.
  class MissingSecret {
    get secretKey (): string | undefined { return process.env.FASTIFY_JWT_AUTH_TEST_UNSET_VARIABLE }
  }
  await expectRegistrationError(t, new MissingSecret(), /^secretKey was passed as undefined/, 'a getter answering undefined')
  const inherited = Object.create({ secretKey: undefined }) as object
  await expectRegistrationError(t, inherited, /^secretKey was passed as undefined/, 'an undefined inherited from a prototype')

  class Settings {
    get secretKey (): string { return SECRET }
  }
  t.same([...optionsSetInCode(new Settings())].sort(), [...KEY_MATERIAL_OPTIONS].sort(),
    'a getter with a value sets the key material in code')
  t.same([...optionsSetInCode(Object.create({ accesTokenExpires: 60 }) as object)], [],
    'an unknown name on a prototype is not looked for: typos are own keys')
  const app = await buildApp(t, new Settings())
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' })).sub, 'a', 'and the getter\'s secret signs')
})
