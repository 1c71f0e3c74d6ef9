// Keys: every algorithm round-trips, verify-only and sign-only instances, and
// every wrong key is a ConfigError that names the setting and never quotes the key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, { ConfigError, type Algorithm, type FastifyJwtAuthOptions } from '../index'
import { resolveKeys } from '../lib/keys'
import { CERTIFICATE_PEM } from './fixtures/certificate'
import { keyFor, keys } from './fixtures/keys'
import { forge } from './helpers/forge'
import { warningsDuring } from './helpers/warnings'

const SECRET_64 = 'k'.repeat(64)

const savedEnv = { ...process.env }
for (const name of Object.keys(process.env)) {
  if (name.startsWith('AUTHJWT_')) delete process.env[name]
}
t.teardown(() => { Object.assign(process.env, savedEnv) })

type LooseOptions = Record<string, unknown>

async function build (t: Test, options: LooseOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
  return app
}

async function rejects (t: Test, options: LooseOptions, message: RegExp, what: string): Promise<ConfigError> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
  let error: ConfigError | undefined
  try {
    await app.ready()
  } catch (caught) {
    error = caught as ConfigError
  }
  t.ok(error instanceof ConfigError, `${what}: a ConfigError`)
  t.equal(error?.code, 'FST_JWT_AUTH_CONFIG', `${what}: code`)
  t.match(error?.message, message, `${what}: the message names the setting`)
  return error as ConfigError
}

/** Asserts that no line of a PEM text (nor its base64 body) appears in `message`. */
function quotesNoKey (t: Test, message: string, pem: string, what: string): void {
  const lines = pem.split('\n').map(line => line.trim()).filter(line => line.length >= 8 && !line.startsWith('-----'))
  t.ok(lines.every(line => !message.includes(line)), `${what}: the message quotes no part of the key`)
  t.notMatch(message, '-----BEGIN', `${what}: no PEM header in the message`)
}

async function warningsFor (t: Test, options: LooseOptions): Promise<string[]> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const warnings = await warningsDuring(async () => {
    await app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
    await app.ready()
  })
  return warnings.map(warning => warning.message)
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
    const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(response.statusCode, 200, String(options.algorithm))
    t.same(response.json(), { sub: 'alice' })
  }
})

t.test('Ed448 keys work with EdDSA', async (t) => {
  const pair = generateKeyPairSync('ed448', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  const app = await build(t, { algorithm: 'EdDSA', privateKey: pair.privateKey })
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice')
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
    t.equal(app.authJwt.getUnverifiedJwtHeaders(token).alg, algorithm)
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
    const response = await verifier.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(response.statusCode, 200, `${algorithm}: the guard lets the token through`)

    t.throws(() => verifier.authJwt.createAccessToken({ subject: 'alice' }),
      { code: 'FST_JWT_AUTH_CONFIG', message: /only verifies tokens/ }, `${algorithm}: createAccessToken throws`)
    t.throws(() => verifier.authJwt.createRefreshToken({ subject: 'alice' }), ConfigError,
      `${algorithm}: createRefreshToken throws`)
    const login = await verifier.inject({ url: '/login' })
    t.equal(login.statusCode, 500, 'request.authJwt.createAccessToken throws too')
    t.equal(login.json().code, 'FST_JWT_AUTH_CONFIG')

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
    const error = await rejects(t, options, message, what)
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
    const error = await rejects(t, options, message, what)
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
    const error = await rejects(t, options, /^publicKey is a private key/, String(options.algorithm))
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
    const error = await rejects(t, options, /^publicKey does not belong to privateKey$/, String(options.algorithm))
    quotesNoKey(t, error.message, String(options.privateKey), 'private key')
    quotesNoKey(t, error.message, String(options.publicKey), 'public key')
  }
})

t.test('a short secret is accepted with a warning; a long one is not', async (t) => {
  const short = await warningsFor(t, { secretKey: 'short-secret' })
  t.equal(short.length, 1, 'HS256 and 12 bytes: a warning')
  t.match(short[0], /secretKey is shorter than 32 bytes, the hash size of HS256/)
  t.notMatch(short.join('\n'), 'short-secret', 'the secret is not in the warning')

  t.same(await warningsFor(t, { secretKey: 'x'.repeat(32) }), [], 'HS256 and 32 bytes: none')
  t.same(await warningsFor(t, { secretKey: Buffer.alloc(32, 1) }), [], 'a Buffer of 32 bytes: none')

  const hs512 = await warningsFor(t, { algorithm: 'HS512', secretKey: 'x'.repeat(32) })
  t.match(hs512, [/shorter than 64 bytes, the hash size of HS512/], 'HS512 needs 64 bytes')
  t.same(await warningsFor(t, { algorithm: 'HS512', secretKey: 'x'.repeat(64) }), [])

  const mixed = await warningsFor(t, { algorithm: 'HS256', decodeAlgorithms: ['HS512', 'HS256', 'HS384'], secretKey: 'x'.repeat(40) })
  t.match(mixed, [/shorter than 64 bytes, the hash size of HS512/], 'the strongest algorithm of decodeAlgorithms counts')
  const ascending = await warningsFor(t, { algorithm: 'HS256', decodeAlgorithms: ['HS256', 'HS384'], secretKey: 'x'.repeat(40) })
  t.match(ascending, [/shorter than 48 bytes, the hash size of HS384/], 'in whatever order')

  const multibyte = await warningsFor(t, { secretKey: 'é'.repeat(16) })
  t.same(multibyte, [], 'bytes are counted, not characters (16 × 2 bytes)')

  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyJwtAuth, { secretKey: 'short' })
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
    { code: 'FST_JWT_AUTH_CONFIG', message: /^decodeAlgorithms mixes HS\* and asymmetric algorithms/ })
  t.throws(() => resolveKeys({ privateKey: keys.rsa.privateKey }, ['HS256']),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^secretKey is required for HS256: pass it, or set AUTHJWT_SECRET_KEY and pass no key option in code$/ })
  t.throws(() => resolveKeys({ secretKey: SECRET_64 }, ['PS256', 'PS512']),
    { code: 'FST_JWT_AUTH_CONFIG', message: /^privateKey or publicKey is required for PS256, PS512$/ })
})

t.test('key material given as secretKey is refused: it would let anyone who has it sign tokens', async (t) => {
  const certificateDer = new X509Certificate(CERTIFICATE_PEM).raw
  const publicDer = createPublicKey(keys.rsa.publicKey).export({ type: 'spki', format: 'der' })
  const privateDer = createPrivateKey(keys.ecP256.privateKey).export({ type: 'pkcs8', format: 'der' })
  const jwk = JSON.stringify(createPublicKey(keys.rsa.publicKey).export({ format: 'jwk' }))
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['a PEM public key', keys.rsa.publicKey, /^secretKey is a PEM key or certificate, not an HMAC secret/],
    ['a PEM public key as a Buffer', Buffer.from(keys.ed25519.publicKey), /a PEM key or certificate/],
    ['a PEM private key', keys.ecP256.privateKey, /a PEM key or certificate/],
    ['a PEM certificate', CERTIFICATE_PEM, /a PEM key or certificate/],
    ['a DER certificate', certificateDer, /a DER key or certificate/],
    ['a JWK', jwk, /^secretKey is a JWK, not an HMAC secret/],
    ['a JWK set', JSON.stringify({ keys: [JSON.parse(jwk)] }), /a JWK/],
    ['a DER public key', publicDer, /^secretKey is a DER key or certificate/],
    ['a DER private key', privateDer, /a DER key or certificate/],
    ['the base64 body of a public key', publicDer.toString('base64'), /a DER key or certificate/],
    ['an SSH public key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2Uta2V5LWZvci10ZXN0aW5nLW9ubHk= me@host', /an SSH public key/]
  ]
  for (const [what, secretKey, message] of cases) {
    const error = await rejects(t, { secretKey }, message, what)
    t.match(error.message, /use a long random secret for HS\*/, `${what}: the message says what to use instead`)
    quotesNoKey(t, error.message, Buffer.isBuffer(secretKey) ? secretKey.toString('base64') : secretKey, what)
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
  const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${forged}` } }).catch(error => error)
  t.not(response.statusCode, 200, 'the forged token never reaches the route')
})

t.test('ordinary secrets are not mistaken for key material', async (t) => {
  const secrets: Array<[string, string | Buffer]> = [
    ['random bytes', randomBytes(64)],
    ['base64 of random bytes', randomBytes(48).toString('base64')],
    ['hex', randomBytes(32).toString('hex')],
    ['text with braces', '{not json, but a long enough passphrase}'],
    ['JSON that is not a JWK', JSON.stringify({ secret: 'x'.repeat(40) })],
    ['a passphrase that mentions ssh', 'ssh-rsa is not a key without its base64 body, right?']
  ]
  for (const [what, secretKey] of secrets) {
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
    const error = await rejects(t, { algorithm, privateKey: weak.privateKey },
      new RegExp(`^privateKey is an RSA key of 1024 bits: ${algorithm} need at least 2048 bits`), `${algorithm}, private key`)
    quotesNoKey(t, error.message, weak.privateKey, algorithm)
  }
  await rejects(t, { algorithm: 'RS256', publicKey: weak.publicKey },
    /^publicKey is an RSA key of 1024 bits: RS256 need at least 2048 bits/, 'a verify-only instance too')
  await rejects(t, { decodeAlgorithms: ['RS256', 'PS256'], algorithm: 'RS256', privateKey: weak.privateKey },
    /RS256, PS256 need at least 2048 bits/, 'every algorithm is named')

  const app = await build(t, { algorithm: 'RS256', privateKey: keys.rsa.privateKey })
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).sub, 'alice', '2048 bits work')
})
