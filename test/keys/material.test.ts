// lib/keys.ts: every algorithm round-trips, verify-only and sign-only
// instances, key material refused as an HMAC secret, short secrets warned
// about, and every wrong key is a ConfigError that names the setting and
// never quotes the key. Recognising key material itself: secret-check.test.ts.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, { ConfigError, type Algorithm } from '../../index'
import { resolveKeys } from '../../lib/keys/material'
import { keyFor, keys } from '../fixtures/keys'
import { KEY_MATERIAL, ORDINARY_SECRETS } from '../fixtures/secrets'
import { bearer, buildApp as build, expectRegistrationError, SECRET } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { withEnvironment } from '../helpers/environment'
import { forge } from '../helpers/forge'
import { warningsDuring, warningsOfRegistration } from '../helpers/warnings'

const SECRET_64 = 'k'.repeat(64)

// No AUTHJWT_* variable of the machine running the tests may change them.
withEnvironment(t)

type LooseOptions = Record<string, unknown>

/** Asserts that no line of a PEM text (nor its base64 body) appears in `message`. */
function quotesNoKey (t: Test, message: string, pem: string, what: string): void {
  const lines = pem.split('\n').map(line => line.trim()).filter(line => line.length >= 8 && !line.startsWith('-----'))
  t.ok(lines.every(line => !message.includes(line)), `${what}: the message quotes no part of the key`)
  t.notMatch(message, '-----BEGIN', `${what}: no PEM header in the message`)
}

/** The messages of the warnings a registration with `options` emits. */
async function warningsFor (t: Test, options: LooseOptions): Promise<string[]> {
  return (await warningsOfRegistration(t, options)).map(warning => warning.message)
}

const ASYMMETRIC: Algorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

t.test('every algorithm round-trips create → decode', async (t) => {
  for (const algorithm of ['HS256', 'HS384', 'HS512'] as Algorithm[]) {
    const app = await build(t, { algorithm, secretKey: SECRET_64 })
    const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin' } })
    t.equal(app.authJwt.getUnverifiedJwtHeaders(token).alg, algorithm, `${algorithm}: the header names it`)
    t.match(app.authJwt.decodeToken(token), { sub: 'alice', type: 'access', role: 'admin' }, `${algorithm}: decoded`)
    const refresh = app.authJwt.createRefreshToken({ subject: 42 })
    t.match(app.authJwt.decodeToken(refresh), { sub: 42, type: 'refresh' }, `${algorithm}: refresh token`)
  }
  for (const algorithm of ASYMMETRIC) {
    const pair = keyFor[algorithm as keyof typeof keyFor]
    const app = await build(t, { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey })
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    t.equal(app.authJwt.getUnverifiedJwtHeaders(token).alg, algorithm, `${algorithm}: the header names it`)
    t.match(app.authJwt.decodeToken(token), { sub: 'alice', type: 'access' }, `${algorithm}: decoded`)
  }
})

t.test('a token goes through a guard for each family', async (t) => {
  const cases: LooseOptions[] = [
    { algorithm: 'HS384', secretKey: SECRET_64 },
    { algorithm: 'PS384', privateKey: keys.rsa.privateKey },
    { algorithm: 'ES512', privateKey: keys.ecP521.privateKey },
    { algorithm: 'EdDSA', privateKey: keys.ed25519.privateKey }
  ]
  for (const options of cases) {
    const app = await build(t, options)
    app.get('/me', { preHandler: app.jwtRequired }, async request => ({ sub: request.authJwt.getJwtSubject() }))
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    const response = await app.inject({ url: '/me', headers: bearer(token) })
    t.equal(response.statusCode, 200, `${String(options.algorithm)}: the guard lets the token through`)
    t.same(response.json(), { sub: 'alice' }, `${String(options.algorithm)}: the subject reaches the handler`)
  }
})

t.test('Ed448 keys work with EdDSA', async (t) => {
  const pair = generateKeyPairSync('ed448', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  const app = await build(t, { algorithm: 'EdDSA', privateKey: pair.privateKey })
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice',
    'an Ed448 token round-trips')
})

t.test('PKCS#1 and SEC1 private keys, and Buffers, are accepted', async (t) => {
  const rsaPkcs1 = createPrivateKey(keys.rsa.privateKey).export({ type: 'pkcs1', format: 'pem' }) as string
  const ecSec1 = createPrivateKey(keys.ecP384.privateKey).export({ type: 'sec1', format: 'pem' }) as string
  const cases: LooseOptions[] = [
    { algorithm: 'RS512', privateKey: rsaPkcs1 },
    { algorithm: 'ES384', privateKey: ecSec1, publicKey: keys.ecP384.publicKey },
    { algorithm: 'ES256', privateKey: Buffer.from(keys.ecP256.privateKey) },
    { algorithm: 'RS256', privateKey: Buffer.from(keys.rsa.privateKey), publicKey: Buffer.from(keys.rsa.publicKey) },
    { algorithm: 'HS256', secretKey: Buffer.alloc(32, 7) }
  ]
  for (const options of cases) {
    const app = await build(t, options)
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice',
      `${String(options.algorithm)}`)
  }
})

t.test('several asymmetric algorithms of one key', async (t) => {
  const app = await build(t, { algorithm: 'RS256', decodeAlgorithms: ['RS256', 'PS512', 'RS384'], privateKey: keys.rsa.privateKey })
  for (const algorithm of ['RS256', 'PS512', 'RS384'] as Algorithm[]) {
    const token = app.authJwt.createAccessToken({ subject: 'alice', algorithm })
    t.equal(app.authJwt.getUnverifiedJwtHeaders(token).alg, algorithm, `${algorithm} signs`)
    t.equal(app.authJwt.decodeToken(token).sub, 'alice', `${algorithm} verifies`)
  }
  t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', algorithm: 'PS256' }),
    { code: 'FST_JWT_AUTH_CONFIG', message: /PS256/ }, 'an algorithm outside decodeAlgorithms cannot sign')
})

t.test('publicKey alone: a verify-only instance', async (t) => {
  for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as Algorithm[]) {
    const pair = keyFor[algorithm as keyof typeof keyFor]
    const signer = await build(t, { algorithm, privateKey: pair.privateKey })
    const verifier = await build(t, { algorithm, publicKey: pair.publicKey })
    verifier.get('/me', { preHandler: verifier.jwtRequired }, async request => ({ sub: request.authJwt.getJwtSubject() }))
    verifier.get('/login', async request => request.authJwt.createAccessToken({ subject: 'alice' }))

    const token = signer.authJwt.createAccessToken({ subject: 'alice' })
    t.equal(verifier.authJwt.decodeToken(token).sub, 'alice', `${algorithm}: decodeToken works`)
    const response = await verifier.inject({ url: '/me', headers: bearer(token) })
    t.equal(response.statusCode, 200, `${algorithm}: the guard lets the token through`)

    t.throws(() => verifier.authJwt.createAccessToken({ subject: 'alice' }),
      { code: 'FST_JWT_AUTH_CONFIG', message: /only verifies tokens/ }, `${algorithm}: createAccessToken throws`)
    t.throws(() => verifier.authJwt.createRefreshToken({ subject: 'alice' }), ConfigError,
      `${algorithm}: createRefreshToken throws`)
    const login = await verifier.inject({ url: '/login' })
    expectAuthError(t, login, 'FST_JWT_AUTH_CONFIG', { what: `${algorithm}: request.authJwt.createAccessToken throws too` })

    const stranger = await build(t, { algorithm: 'RS256', privateKey: keys.rsa2.privateKey })
    if (algorithm === 'RS256') {
      t.throws(() => verifier.authJwt.decodeToken(stranger.authJwt.createAccessToken({ subject: 'eve' })),
        { code: 'FST_JWT_AUTH_TOKEN_INVALID' }, 'a token of another key is refused')
    }
  }
})

t.test('privateKey alone is enough: the public key is derived from it', async (t) => {
  const app = await build(t, { algorithm: 'RS256', privateKey: keys.rsa.privateKey })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal(app.authJwt.decodeToken(token).sub, 'alice', 'sign + verify')

  const verifier = await build(t, { algorithm: 'RS256', publicKey: keys.rsa.publicKey })
  t.equal(verifier.authJwt.decodeToken(token).sub, 'alice', 'its tokens verify with the matching public key')

  const stranger = await build(t, { algorithm: 'RS256', privateKey: keys.rsa2.privateKey })
  t.throws(() => app.authJwt.decodeToken(stranger.authJwt.createAccessToken({ subject: 'eve' })),
    { code: 'FST_JWT_AUTH_TOKEN_INVALID' }, 'a token of another private key is refused')
})

t.test('a key of the wrong kind', async (t) => {
  const secp256k1 = generateKeyPairSync('ec', {
    namedCurve: 'secp256k1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  const cases: Array<[LooseOptions, RegExp, string]> = [
    [{ algorithm: 'RS256', privateKey: keys.ecP256.privateKey }, /^privateKey \(ec key on prime256v1\) cannot be used with RS256/,
      'an EC key for RS256'],
    [{ algorithm: 'ES384', privateKey: keys.ecP256.privateKey }, /^privateKey \(ec key on prime256v1\) cannot be used with ES384/,
      'a P-256 key for ES384'],
    [{ algorithm: 'ES256', privateKey: keys.ecP384.privateKey }, /secp384r1\) cannot be used with ES256/, 'a P-384 key for ES256'],
    [{ algorithm: 'ES512', publicKey: keys.ecP256.publicKey }, /^publicKey \(ec key on prime256v1\) cannot be used with ES512/,
      'a P-256 public key for ES512'],
    [{ algorithm: 'ES256', privateKey: secp256k1.privateKey }, /secp256k1\) cannot be used with ES256/, 'secp256k1 for ES256'],
    [{ algorithm: 'PS256', privateKey: keys.rsaPss.privateKey }, /^privateKey \(rsa-pss key\) cannot be used with PS256/,
      'an rsa-pss key for PS256'],
    [{ algorithm: 'RS256', publicKey: keys.rsaPss.publicKey }, /^publicKey \(rsa-pss key\) cannot be used with RS256/,
      'an rsa-pss public key for RS256'],
    [{ algorithm: 'ES256', privateKey: keys.rsa.privateKey }, /^privateKey \(rsa key\) cannot be used with ES256/,
      'an RSA key for ES256'],
    [{ algorithm: 'EdDSA', privateKey: keys.rsa.privateKey }, /^privateKey \(rsa key\) cannot be used with EdDSA/,
      'an RSA key for EdDSA'],
    [{ algorithm: 'RS256', privateKey: keys.ed25519.privateKey }, /^privateKey \(ed25519 key\) cannot be used with RS256/,
      'an Ed25519 key for RS256'],
    [{ algorithm: 'ES256', decodeAlgorithms: ['ES256', 'ES384'], privateKey: keys.ecP256.privateKey },
      /cannot be used with ES384/, 'one algorithm of decodeAlgorithms does not fit']
  ]
  for (const [options, message, what] of cases) {
    const error = await expectRegistrationError(t, options, message, what)
    t.match(error.message, /algorithm \/ decodeAlgorithms/, `${what}: the message says what to change`)
    quotesNoKey(t, error.message, String(options.privateKey ?? options.publicKey), what)
  }
})

t.test('garbage PEM is refused without being quoted', async (t) => {
  const garbage = '-----BEGIN PRIVATE KEY-----\nTm90QUtleUF0QWxsQnV0U29tZUJhc2U2NFRleHQ=\n-----END PRIVATE KEY-----\n'
  const truncated = keys.rsa.privateKey.slice(0, 400)
  const cases: Array<[LooseOptions, RegExp, string, string]> = [
    [{ algorithm: 'RS256', privateKey: garbage }, /^privateKey is not a valid PEM private key$/, garbage, 'garbage'],
    [{ algorithm: 'RS256', privateKey: truncated }, /^privateKey is not a valid PEM private key$/, truncated, 'truncated'],
    [{ algorithm: 'RS256', privateKey: 'not a key at all' }, /^privateKey is not a valid PEM/, 'not a key at all', 'plain text'],
    [{ algorithm: 'RS256', privateKey: keys.rsa.publicKey }, /^privateKey is not a valid PEM private key$/,
      keys.rsa.publicKey, 'a public key as privateKey'],
    [{ algorithm: 'ES256', publicKey: garbage.replace(/PRIVATE/g, 'PUBLIC') }, /^publicKey is not a valid PEM public key$/,
      garbage, 'garbage public key'],
    [{ algorithm: 'ES256', privateKey: keys.ecP256.privateKey, publicKey: 'junk' }, /^publicKey is not a valid PEM public key$/,
      'junk', 'a junk public key beside a good private key']
  ]
  for (const [options, message, pem, what] of cases) {
    const error = await expectRegistrationError(t, options, message, what)
    quotesNoKey(t, error.message, pem, what)
    t.notMatch(error.message, 'Tm90QUtleU', `${what}: not even a piece of the base64`)
  }
})

t.test('a private key given as publicKey is refused', async (t) => {
  const pkcs1 = createPrivateKey(keys.rsa.privateKey).export({ type: 'pkcs1', format: 'pem' }) as string
  const cases: LooseOptions[] = [
    { algorithm: 'RS256', publicKey: keys.rsa.privateKey },
    { algorithm: 'RS256', publicKey: pkcs1 },
    { algorithm: 'EdDSA', publicKey: Buffer.from(keys.ed25519.privateKey) },
    { algorithm: 'ES256', privateKey: keys.ecP256.privateKey, publicKey: keys.ecP256.privateKey }
  ]
  for (const options of cases) {
    const error = await expectRegistrationError(t, options, /^publicKey is a private key/, String(options.algorithm))
    quotesNoKey(t, error.message, String(options.publicKey), String(options.algorithm))
  }
})

t.test('a publicKey that does not belong to privateKey', async (t) => {
  const cases: LooseOptions[] = [
    { algorithm: 'RS256', privateKey: keys.rsa.privateKey, publicKey: keys.rsa2.publicKey },
    { algorithm: 'ES256', privateKey: keys.ecP256.privateKey, publicKey: keys.ecP384.publicKey },
    { algorithm: 'EdDSA', privateKey: keys.ed25519.privateKey, publicKey: keys.rsa.publicKey }
  ]
  for (const options of cases) {
    const error = await expectRegistrationError(t, options, /^publicKey does not belong to privateKey$/, String(options.algorithm))
    quotesNoKey(t, error.message, String(options.privateKey), 'private key')
    quotesNoKey(t, error.message, String(options.publicKey), 'public key')
  }
})

t.test('a short secret is accepted with a process warning, even with the logger off; a long one is not', async (t) => {
  const short = await warningsFor(t, { secretKey: 'short-secret' })
  t.equal(short.length, 1, 'HS256 and 12 bytes: a warning')
  t.match(short[0], /secretKey is shorter than 32 bytes, the hash size of HS256/, 'the warning says how long it must be')
  t.notMatch(short.join('\n'), 'short-secret', 'the secret is not in the warning')
  const tiny = await warningsOfRegistration(t, { secretKey: 'tiny-secret' })
  t.match(tiny.map(warning => `${warning.code}: ${warning.message}`),
    [/^FST_JWT_AUTH_WEAK_SECRET: .*secretKey is shorter than 32 bytes/], 'one warning, with its code')
  t.notMatch(tiny.map(warning => warning.message).join('\n'), 'tiny-secret', 'no other secret is in the warning either')
  t.same(await warningsFor(t, { secretKey: SECRET }), [], 'no warning for a long secret')

  t.same(await warningsFor(t, { secretKey: 'x'.repeat(32) }), [], 'HS256 and 32 bytes: none')
  t.same(await warningsFor(t, { secretKey: Buffer.alloc(32, 1) }), [], 'a Buffer of 32 bytes: none')

  const hs512 = await warningsFor(t, { algorithm: 'HS512', secretKey: 'x'.repeat(32) })
  t.match(hs512, [/shorter than 64 bytes, the hash size of HS512/], 'HS512 needs 64 bytes')
  t.same(await warningsFor(t, { algorithm: 'HS512', secretKey: 'x'.repeat(64) }), [], 'HS512 and 64 bytes: none')

  const mixed = await warningsFor(t, { algorithm: 'HS256', decodeAlgorithms: ['HS512', 'HS256', 'HS384'], secretKey: 'x'.repeat(40) })
  t.match(mixed, [/shorter than 64 bytes, the hash size of HS512/], 'the strongest algorithm of decodeAlgorithms counts')
  const ascending = await warningsFor(t, { algorithm: 'HS256', decodeAlgorithms: ['HS256', 'HS384'], secretKey: 'x'.repeat(40) })
  t.match(ascending, [/shorter than 48 bytes, the hash size of HS384/], 'in whatever order')

  const multibyte = await warningsFor(t, { secretKey: 'é'.repeat(16) })
  t.same(multibyte, [], 'bytes are counted, not characters (16 × 2 bytes)')

  const twice = await warningsDuring(async () => {
    const app = await build(t, { secretKey: 'tiny-secret' })
    app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  })
  t.equal(twice.length, 1, 'once per registration, not per token')
  const app = await build(t, { secretKey: 'short' })
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice',
    'a short secret still works')
})

t.test('resolveKeys', async (t) => {
  t.same(resolveKeys({ secretKey: SECRET_64 }, ['HS256']), { signingKey: SECRET_64, verifyingKey: SECRET_64 },
    'an HS* secret signs and verifies')

  const signOnly = resolveKeys({ privateKey: keys.rsa.privateKey }, ['RS256'])
  t.equal(signOnly.signingKey, keys.rsa.privateKey, 'the private key signs')
  t.equal(signOnly.verifyingKey, keys.rsa.publicKey, 'the derived public key verifies')

  const verifyOnly = resolveKeys({ publicKey: Buffer.from(keys.ecP256.publicKey) }, ['ES256'])
  t.equal(verifyOnly.signingKey, undefined, 'no signing key on a verify-only instance')
  t.equal(verifyOnly.verifyingKey, keys.ecP256.publicKey, 'the public key as SPKI PEM')

  t.throws(() => resolveKeys({ secretKey: SECRET_64, privateKey: keys.rsa.privateKey }, ['RS256', 'HS256']),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^decodeAlgorithms mixes HS\* and asymmetric algorithms/ },
    'one key cannot serve both families')
  t.throws(() => resolveKeys({ privateKey: keys.rsa.privateKey }, ['HS256']),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^secretKey is required for HS256: pass it, or set AUTHJWT_SECRET_KEY and pass no key option in code$/ },
    'HS* needs the secret, and says where it may come from')
  t.throws(() => resolveKeys({ secretKey: SECRET_64 }, ['PS256', 'PS512']),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^privateKey or publicKey is required for PS256, PS512$/ },
    'asymmetric algorithms need a key, and every one is named')
})

t.test('key material given as secretKey is refused: it would let anyone who has it sign tokens', async (t) => {
  for (const { what, secret, kind } of KEY_MATERIAL) {
    const error = await expectRegistrationError(t, { secretKey: secret }, `secretKey is ${kind}, not an HMAC secret`, what)
    t.match(error.message, /use a long random secret for HS\*/, `${what}: the message says what to use instead`)
    quotesNoKey(t, error.message, typeof secret === 'string' ? secret : Buffer.from(secret).toString('base64'), what)
  }
})

t.test('the forgery with a public key as secretKey: the app does not start', async (t) => {
  // The app is set up with its RSA public key as the HMAC secret. The public
  // key is public, so anyone can HMAC-sign a token with it.
  const forged = forge({ payload: { sub: 'admin', type: 'access' }, secret: keys.rsa.publicKey })
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(fastifyJwtAuth, { secretKey: keys.rsa.publicKey })
  app.after(() => {
    app.get('/me', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
  })
  await t.rejects(async () => await app.ready(), { code: 'FST_JWT_AUTH_CONFIG' }, 'registration fails')
  const response = await app.inject({ url: '/me', headers: bearer(forged) }).catch(error => error)
  t.not(response.statusCode, 200, 'the forged token never reaches the route')
})

t.test('ordinary secrets are not mistaken for key material', async (t) => {
  for (const [what, secretKey] of ORDINARY_SECRETS) {
    const app = await build(t, { secretKey })
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice', `${what}: works`)
  }
})

t.test('RSA keys under 2048 bits are refused', async (t) => {
  const weak = generateKeyPairSync('rsa', {
    modulusLength: 1024,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  for (const algorithm of ['RS256', 'PS512'] as Algorithm[]) {
    const error = await expectRegistrationError(t, { algorithm, privateKey: weak.privateKey },
      new RegExp(`^privateKey is an RSA key of 1024 bits: ${algorithm} need at least 2048 bits`), `${algorithm}, private key`)
    quotesNoKey(t, error.message, weak.privateKey, algorithm)
  }
  await expectRegistrationError(t, { algorithm: 'RS256', publicKey: weak.publicKey },
    /^publicKey is an RSA key of 1024 bits: RS256 need at least 2048 bits/, 'a verify-only instance too')
  await expectRegistrationError(t, { decodeAlgorithms: ['RS256', 'PS256'], algorithm: 'RS256', privateKey: weak.privateKey },
    /RS256, PS256 need at least 2048 bits/, 'every algorithm is named')

  const app = await build(t, { algorithm: 'RS256', privateKey: keys.rsa.privateKey })
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice', '2048 bits work')
})

t.test('key material the algorithms do not use is refused: two configurations were mixed', async (t) => {
  await expectRegistrationError(t, { algorithm: 'RS256', privateKey: keys.rsa.privateKey, secretKey: SECRET_64 },
    /^secretKey cannot be used with RS256: remove it, or choose an algorithm that uses it$/, 'a secret next to RS256')
  await expectRegistrationError(t, { publicKey: keys.ecP256.publicKey, decodeAlgorithms: ['ES256'], algorithm: 'ES256', secretKey: SECRET_64 },
    /^secretKey cannot be used with ES256/, 'a secret next to a verify-only ES256 key')
  await expectRegistrationError(t, { secretKey: SECRET_64, privateKey: keys.rsa.privateKey },
    /^privateKey cannot be used with HS256/, 'a private key next to HS256')
  await expectRegistrationError(t, { secretKey: SECRET_64, privateKey: keys.rsa.privateKey, publicKey: keys.rsa.publicKey },
    /^privateKey and publicKey cannot be used with HS256/, 'both keys next to HS256, both named')
})

t.test('a Uint8Array secret or private key works like a Buffer', async (t) => {
  const secret = await build(t, { secretKey: new Uint8Array(Buffer.from(SECRET_64)) })
  t.equal(secret.authJwt.decodeToken(secret.authJwt.createAccessToken({ subject: 'a' })).sub, 'a', 'a Uint8Array HMAC secret signs and verifies')
  const privateKey = await build(t, { algorithm: 'ES256', privateKey: new Uint8Array(Buffer.from(keys.ecP256.privateKey)) })
  t.equal(privateKey.authJwt.decodeToken(privateKey.authJwt.createAccessToken({ subject: 'b' })).sub, 'b',
    'a Uint8Array PEM private key signs and verifies')
})
