// The `keys` option: a key set chosen by `kid`, signing with its first key
// that can sign, and replaced at run time with setKeys.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { ConfigError, type KeyOption } from '../../index'
import { keys } from '../fixtures/keys'
import { bearer, buildApp, buildGuardedApp, expectRegistrationError, SECRET } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { withEnvironment } from '../helpers/environment'
import { forge } from '../helpers/forge'
import { warningsOfRegistration } from '../helpers/warnings'

const OTHER_SECRET = 'another-test-secret-that-is-long-enough-for-hs256'
const hs = (kid: string, secretKey = SECRET, extra: Partial<KeyOption> = {}): KeyOption =>
  ({ kid, algorithm: 'HS256', secretKey, ...extra }) as KeyOption

function headerOf (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>
}

t.beforeEach(t => withEnvironment(t))

t.test('the first key that can sign signs, and writes its kid in the header', async t => {
  const app = await buildGuardedApp(t, {
    keys: [
      { kid: 'verify-only', algorithm: 'ES256', publicKey: keys.ecP256.publicKey },
      { kid: 'current', algorithm: 'EdDSA', privateKey: keys.ed25519.privateKey },
      hs('later')
    ]
  })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.same(headerOf(token), { alg: 'EdDSA', typ: 'JWT', kid: 'current' })
  const response = await app.inject({ url: '/required', headers: bearer(token) })
  t.equal(response.statusCode, 200)
  t.equal(response.json().subject, 'alice')
})

t.test('every key of the set verifies the tokens that name it, whatever its family', async t => {
  const set = [hs('hs'), { kid: 'ec', algorithm: 'ES256', privateKey: keys.ecP256.privateKey } as KeyOption]
  const app = await buildGuardedApp(t, { keys: set })
  // The same set in another order: its first key signs.
  const other = await buildApp(t, { keys: [set[1], set[0]] })
  for (const token of [app.authJwt.createAccessToken({ subject: 1 }), other.authJwt.createAccessToken({ subject: 2 })]) {
    const response = await app.inject({ url: '/required', headers: bearer(token) })
    t.equal(response.statusCode, 200, `kid ${String(headerOf(token).kid)} verifies`)
  }
})

t.test('a token naming no key of the set, or none at all, is refused', async t => {
  const app = await buildGuardedApp(t, { keys: [hs('k1')] })
  const elsewhere = await buildApp(t, { keys: [hs('k2')] })
  const unknown = await app.inject({ url: '/required', headers: bearer(elsewhere.authJwt.createAccessToken({ subject: 'x' })) })
  expectAuthError(t, unknown, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Unknown "kid" header', what: 'unknown kid' })

  const single = await buildApp(t, {})
  const withoutKid = await app.inject({ url: '/required', headers: bearer(single.authJwt.createAccessToken({ subject: 'x' })) })
  expectAuthError(t, withoutKid, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Token has no "kid" header', what: 'no kid' })

  const now = Math.floor(Date.now() / 1000)
  for (const [kid, what] of [[7, 'a number'], ['', 'empty'], [null, 'null'], [['k1'], 'a list']] as const) {
    const token = forge({ header: { alg: 'HS256', typ: 'JWT', kid }, payload: { sub: 'x', iat: now }, secret: SECRET })
    const response = await app.inject({ url: '/required', headers: bearer(token) })
    expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Invalid "kid" header', what: `kid ${what}` })
  }
  for (const header of ['bm90anNvbg', forge({ header: [1], payload: {} }).split('.')[0]]) {
    const response = await app.inject({ url: '/required', headers: bearer(`${header}.e30.sig`) })
    expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Malformed token', what: 'bad header' })
  }
  const noDot = await app.inject({ url: '/required', headers: bearer('x'.repeat(40)) })
  expectAuthError(t, noDot, 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'no dot' })
})

t.test('the key a kid names verifies it, with its own algorithm only', async t => {
  const app = await buildGuardedApp(t, {
    keys: [hs('hs'), { kid: 'rsa', algorithm: 'RS256', privateKey: keys.rsa.privateKey }]
  })
  const now = Math.floor(Date.now() / 1000)
  const payload = { sub: 'mallory', iat: now }
  // HS512 with the right secret: another algorithm than the key's.
  const otherAlg = forge({ header: { alg: 'HS512', typ: 'JWT', kid: 'hs' }, payload, secret: SECRET })
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(otherAlg) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'The specified alg value is not allowed', what: 'HS512 under an HS256 kid' })
  // The classic confusion: the RSA public key used as an HMAC secret.
  const confused = forge({ header: { alg: 'HS256', typ: 'JWT', kid: 'rsa' }, payload, secret: keys.rsa.publicKey })
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(confused) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'The specified alg value is not allowed', what: 'HS256 under an RS256 kid' })
  // The kid of one key, signed with another.
  const wrongKey = forge({ header: { alg: 'HS256', typ: 'JWT', kid: 'hs' }, payload, secret: OTHER_SECRET })
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(wrongKey) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Signature verification failed', what: 'signed by another key' })
  // A kid inherited from a polluted prototype is no kid.
  const plain = forge({ header: { alg: 'HS256', typ: 'JWT' }, payload, secret: SECRET })
  const prototype = Object.prototype as Record<string, unknown>
  prototype.kid = 'hs'
  try {
    expectAuthError(t, await app.inject({ url: '/required', headers: bearer(plain) }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { message: 'Token has no "kid" header', what: 'inherited kid' })
  } finally {
    delete prototype.kid
  }
})

t.test('many header sets of one key: each still verified by the key its kid names', async t => {
  const app = await buildGuardedApp(t, { keys: [hs('k1'), hs('k2', OTHER_SECRET)] })
  const other = await buildApp(t, { keys: [hs('k2', OTHER_SECRET)] })
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 150; i++) {
      const signer = i % 2 === 0 ? app : other
      const token = signer.authJwt.createAccessToken({ subject: i, headers: { n: i } })
      const response = await app.inject({ url: '/required', headers: bearer(token) })
      if (response.statusCode !== 200) t.fail(`header set ${i}: ${response.statusCode}`)
    }
  }
  // The same header text, signed with another key than its kid names.
  const token = app.authJwt.createAccessToken({ subject: 'x', headers: { n: 1 } })
  const [header, payload] = token.split('.')
  const forged = `${header}.${payload}.${createHmac('sha256', OTHER_SECRET).update(`${header}.${payload}`).digest('base64url')}`
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(forged) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Signature verification failed' })
})

t.test('tokensWithoutKid: the key of a former single-key setup keeps its tokens valid', async t => {
  const before = await buildApp(t, { secretKey: OTHER_SECRET })
  const oldToken = before.authJwt.createAccessToken({ subject: 'bob' })
  const app = await buildGuardedApp(t, { keys: [hs('new'), hs('old', OTHER_SECRET, { tokensWithoutKid: true })] })
  t.equal((await app.inject({ url: '/required', headers: bearer(oldToken) })).statusCode, 200, 'an old token without kid')
  const newToken = app.authJwt.createAccessToken({ subject: 'bob' })
  t.equal(headerOf(newToken).kid, 'new', 'new tokens are signed with the first key')
  t.equal((await app.inject({ url: '/required', headers: bearer(newToken) })).statusCode, 200)
  // Without the marker, the same old token is refused.
  const strict = await buildGuardedApp(t, { keys: [hs('new'), hs('old', OTHER_SECRET)] })
  expectAuthError(t, await strict.inject({ url: '/required', headers: bearer(oldToken) }), 'FST_JWT_AUTH_TOKEN_INVALID')
})

t.test('a set without a key that can sign only verifies', async t => {
  const app = await buildApp(t, { keys: [{ kid: 'p', algorithm: 'ES256', publicKey: keys.ecP256.publicKey }] })
  t.throws(() => app.authJwt.createAccessToken({ subject: 'x' }), { code: 'FST_JWT_AUTH_CONFIG', message: /only verifies/ })
})

t.test('createAccessToken with a key set: the signing key\'s algorithm, and its kid only', async t => {
  const app = await buildApp(t, { keys: [hs('k1'), { kid: 'k2', algorithm: 'HS512', secretKey: OTHER_SECRET + OTHER_SECRET }] })
  t.throws(() => app.authJwt.createAccessToken({ subject: 'x', algorithm: 'HS512' }),
    { code: 'FST_JWT_AUTH_CONFIG', message: 'algorithm HS512 is not the signing key\'s (HS256, kid "k1")' })
  t.throws(() => app.authJwt.createAccessToken({ subject: 'x', headers: { kid: 'k2' } }),
    { name: 'TypeError', message: /cannot set "kid"/ })
  const token = app.authJwt.createAccessToken({ subject: 'x', algorithm: 'HS256', headers: { cty: 'demo' } })
  t.same(headerOf(token), { alg: 'HS256', typ: 'JWT', kid: 'k1', cty: 'demo' })
  t.equal(app.authJwt.decodeToken(token).sub, 'x')
})

t.test('setKeys rotates without a restart', async t => {
  const app = await buildGuardedApp(t, { keys: [hs('2026')] })
  const oldToken = app.authJwt.createAccessToken({ subject: 'carol' })
  // Step 1: the new key verifies. Step 2: it signs. Step 3: the old one goes.
  app.authJwt.setKeys([hs('2026'), hs('2027', OTHER_SECRET)])
  t.equal(headerOf(app.authJwt.createAccessToken({ subject: 'c' })).kid, '2026', 'the old key still signs')
  app.authJwt.setKeys([hs('2027', OTHER_SECRET), hs('2026')])
  const newToken = app.authJwt.createAccessToken({ subject: 'carol' })
  t.equal(headerOf(newToken).kid, '2027', 'the new key signs')
  t.equal((await app.inject({ url: '/required', headers: bearer(oldToken) })).statusCode, 200, 'old tokens still valid')
  t.equal((await app.inject({ url: '/required', headers: bearer(newToken) })).statusCode, 200)
  app.authJwt.setKeys([hs('2027', OTHER_SECRET)])
  // The old token's claims were cached by the requests above: they must not be served.
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(oldToken) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Unknown "kid" header', what: 'a token of the removed key' })
  t.throws(() => app.authJwt.decodeToken(oldToken), { code: 'FST_JWT_AUTH_TOKEN_INVALID' })
  t.equal((await app.inject({ url: '/required', headers: bearer(newToken) })).statusCode, 200)
})

t.test('a key replaced under the same kid no longer verifies tokens verified with the old one', async t => {
  const app = await buildGuardedApp(t, { keys: [hs('k')] })
  const token = app.authJwt.createAccessToken({ subject: 'x' })
  t.equal((await app.inject({ url: '/required', headers: bearer(token) })).statusCode, 200)
  app.authJwt.setKeys([hs('k', OTHER_SECRET)])
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Signature verification failed' })
})

t.test('a refused set leaves the current one in force', async t => {
  const app = await buildGuardedApp(t, { keys: [hs('k1')] })
  const token = app.authJwt.createAccessToken({ subject: 'x' })
  const bad: unknown[] = [[], [hs('a'), hs('a')], [{ kid: 'r', algorithm: 'RS256', secretKey: SECRET }], 'nope']
  for (const set of bad) {
    t.throws(() => app.authJwt.setKeys(set as KeyOption[]), ConfigError, `refused: ${JSON.stringify(set).slice(0, 40)}`)
  }
  t.equal(headerOf(app.authJwt.createAccessToken({ subject: 'x' })).kid, 'k1', 'k1 still signs')
  t.equal((await app.inject({ url: '/required', headers: bearer(token) })).statusCode, 200, 'k1 still verifies')
})

t.test('setKeys keeps to the decodeAlgorithms given at registration', async t => {
  const app = await buildApp(t, { keys: [hs('k1')], decodeAlgorithms: ['HS256'] })
  t.throws(() => app.authJwt.setKeys([{ kid: 'e', algorithm: 'ES256', privateKey: keys.ecP256.privateKey }]),
    { code: 'FST_JWT_AUTH_CONFIG', message: 'keys[0].algorithm ES256 is not one of decodeAlgorithms (HS256)' })
})

t.test('setKeys needs an instance registered with keys', async t => {
  const app = await buildApp(t, {})
  t.throws(() => app.authJwt.setKeys([hs('k')]), { code: 'FST_JWT_AUTH_CONFIG', message: /setKeys needs an instance registered with keys/ })
})

t.test('keys accepts Buffers and Uint8Arrays as key values', async t => {
  const app = await buildGuardedApp(t, {
    keys: [
      { kid: 'b', algorithm: 'HS256', secretKey: new Uint8Array(Buffer.from(SECRET)) as Buffer },
      { kid: 'e', algorithm: 'ES256', privateKey: Buffer.from(keys.ecP256.privateKey) }
    ]
  })
  const token = app.authJwt.createAccessToken({ subject: 'x' })
  t.equal((await app.inject({ url: '/required', headers: bearer(token) })).statusCode, 200)
  const hmac = createHmac('sha256', SECRET).update(token.split('.').slice(0, 2).join('.')).digest('base64url')
  t.equal(token.split('.')[2], hmac, 'signed with the secret\'s bytes')
})

t.test('bad key sets are refused at registration, naming the entry', async t => {
  const ec = keys.ecP256
  const cases: Array<[string, unknown, RegExp | string]> = [
    ['empty', [], /keys must be a non-empty list/],
    ['not a list', { kid: 'k' }, /keys must be a non-empty list/],
    ['an entry not an object', [null], 'keys[0] must be an object'],
    ['an entry a list', [[]], 'keys[0] must be an object'],
    ['an unknown member', [{ ...hs('k'), kind: 'x' }], 'keys[0] has an unknown member kind'],
    ['no kid', [{ algorithm: 'HS256', secretKey: SECRET }], /keys\[0\]\.kid must be a non-empty string/],
    ['an empty kid', [hs('')], /keys\[0\]\.kid must be/],
    ['a kid too long', [hs('k'.repeat(257))], /at most 256 characters/],
    ['a number kid', [{ ...hs('k'), kid: 7 }], /keys\[0\]\.kid must be/],
    ['a repeated kid', [hs('a'), hs('b'), hs('a')], 'keys[2].kid is the kid of keys[0]: kids must be unique'],
    ['none', [{ kid: 'n', algorithm: 'none', secretKey: SECRET }], 'keys[0].algorithm: the "none" algorithm is never allowed'],
    ['NONE', [{ kid: 'n', algorithm: 'NONE', secretKey: SECRET }], /"none" algorithm is never allowed/],
    ['an unknown algorithm', [{ kid: 'n', algorithm: 'HS1', secretKey: SECRET }], /keys\[0\]\.algorithm must be one of HS256/],
    ['a secret and a private key', [{ ...hs('k'), privateKey: ec.privateKey }], 'keys[0] uses HS256: give it a secretKey, and no privateKey or publicKey'],
    ['HS without a secret', [{ kid: 'k', algorithm: 'HS256' }], /keys\[0\] uses HS256: give it a secretKey/],
    ['ES with a secret', [{ kid: 'k', algorithm: 'ES256', secretKey: SECRET, publicKey: ec.publicKey }], /keys\[0\] uses ES256: give it a privateKey/],
    ['ES without a key', [{ kid: 'k', algorithm: 'ES256' }], /keys\[0\] uses ES256/],
    ['a key of the wrong kind', [hs('a'), { kid: 'k', algorithm: 'ES256', privateKey: keys.ed25519.privateKey }], /keys\[1\]\.privateKey \(ed25519 key\) cannot be used with ES256/],
    ['a mismatched pair', [{ kid: 'k', algorithm: 'RS256', privateKey: keys.rsa.privateKey, publicKey: keys.rsa2.publicKey }], 'keys[0].publicKey does not belong to keys[0].privateKey'],
    ['a private key as public', [{ kid: 'k', algorithm: 'ES256', publicKey: ec.privateKey }], /keys\[0\]\.publicKey is a private key/],
    ['not a PEM', [{ kid: 'k', algorithm: 'ES256', publicKey: 'nope' }], 'keys[0].publicKey is not a valid PEM public key'],
    ['a key as the secret', [hs('k', ec.publicKey)], /keys\[0\]\.secretKey is a PEM key or certificate, not an HMAC secret/],
    ['an empty secret', [hs('k', '')], 'keys[0].secretKey must be a non-empty string or Buffer'],
    ['a number secret', [{ ...hs('k'), secretKey: 42 }], 'keys[0].secretKey must be a non-empty string or Buffer'],
    ['tokensWithoutKid not boolean', [hs('k', SECRET, { tokensWithoutKid: 'yes' as unknown as boolean })], 'keys[0].tokensWithoutKid must be true or false'],
    ['two keys for tokens without kid', [hs('a', SECRET, { tokensWithoutKid: true }), hs('b', OTHER_SECRET, { tokensWithoutKid: true })], /keys\[1\]\.tokensWithoutKid: keys\[0\] already verifies/],
    ['an algorithm outside decodeAlgorithms', [hs('k')], 'keys[0].algorithm HS256 is not one of decodeAlgorithms (HS512)']
  ]
  for (const [what, value, message] of cases) {
    const options = what === 'an algorithm outside decodeAlgorithms' ? { keys: value, decodeAlgorithms: ['HS512'] } : { keys: value }
    const error = await expectRegistrationError(t, options, message, what)
    t.notMatch(error.message, /BEGIN|test-secret/, `${what}: no key material in the message`)
  }
})

t.test('keys cannot be combined with single-key options', async t => {
  for (const name of ['secretKey', 'privateKey', 'publicKey', 'algorithm'] as const) {
    const value = name === 'algorithm' ? 'HS256' : name === 'secretKey' ? SECRET : keys.ecP256[name]
    await expectRegistrationError(t, { keys: [hs('k')], [name]: value },
      `keys cannot be combined with ${name}: each key of the set names its own material and algorithm`, name)
  }
})

t.test('a short secret in a set is warned about, naming the entry', async t => {
  const warnings = await warningsOfRegistration(t, { keys: [hs('k', 'short')] })
  t.match(warnings, [{ code: 'FST_JWT_AUTH_WEAK_SECRET', message: /keys\[0\]\.secretKey is shorter than 32 bytes/ }])
})

t.test('AUTHJWT_KEYS: the set as JSON', async t => {
  t.test('read from the environment', async t => {
    withEnvironment(t, {
      AUTHJWT_KEYS: JSON.stringify([{ kid: 'env', algorithm: 'ES256', privateKey: keys.ecP256.privateKey }])
    })
    const app = await buildApp(t, {}, { testSecret: false })
    t.equal(headerOf(app.authJwt.createAccessToken({ subject: 'x' })).kid, 'env')
  })
  t.test('bad JSON is refused without quoting it', async t => {
    withEnvironment(t, { AUTHJWT_KEYS: `[{"kid": "k", "secretKey": "${SECRET}"` })
    const error = await expectRegistrationError(t, {}, 'AUTHJWT_KEYS must be JSON', 'bad JSON')
    t.notMatch(error.message, SECRET)
  })
  t.test('with AUTHJWT_SECRET_KEY too, it is refused', async t => {
    withEnvironment(t, { AUTHJWT_KEYS: JSON.stringify([hs('k')]), AUTHJWT_SECRET_KEY: SECRET })
    await expectRegistrationError(t, {}, /keys cannot be combined with secretKey/, 'keys and a secret')
  })
  t.test('keys in code: AUTHJWT_SECRET_KEY is not read', async t => {
    withEnvironment(t, { AUTHJWT_SECRET_KEY: SECRET, AUTHJWT_ALGORITHM: 'HS512' })
    const app = await buildApp(t, { keys: [hs('code')] })
    t.equal(headerOf(app.authJwt.createAccessToken({ subject: 'x' })).kid, 'code')
  })
  t.test('a secret in code: AUTHJWT_KEYS is not read', async t => {
    withEnvironment(t, { AUTHJWT_KEYS: 'not even JSON' })
    const app = await buildApp(t, { secretKey: SECRET })
    t.notOk('kid' in headerOf(app.authJwt.createAccessToken({ subject: 'x' })))
  })
})
