// Publishing: fastify.authJwt.jwks() and the jwksRoute option.
import { createPublicKey } from 'node:crypto'
import t from 'tap'
import type { KeyOption } from '../../index'
import { jwkThumbprint } from '../../lib/keys/jwk'
import { keys } from '../fixtures/keys'
import { buildApp, expectRegistrationError, SECRET } from '../helpers/app'
import { withEnvironment } from '../helpers/environment'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']
const set: KeyOption[] = [
  { kid: 'hs', algorithm: 'HS256', secretKey: SECRET },
  { kid: 'rsa', algorithm: 'RS256', privateKey: keys.rsa.privateKey },
  { kid: 'ec', algorithm: 'ES256', publicKey: keys.ecP256.publicKey },
  { kid: 'ed', algorithm: 'EdDSA', privateKey: keys.ed25519.privateKey, publicKey: keys.ed25519.publicKey }
]

t.beforeEach(t => withEnvironment(t))

t.test('jwks() lists the public keys of the set, and never a secret or a private part', async t => {
  const app = await buildApp(t, { keys: set })
  const { keys: published } = app.authJwt.jwks()
  t.same(published.map(jwk => [jwk.kid, jwk.alg, jwk.use, jwk.kty]),
    [['rsa', 'RS256', 'sig', 'RSA'], ['ec', 'ES256', 'sig', 'EC'], ['ed', 'EdDSA', 'sig', 'OKP']])
  for (const jwk of published) {
    for (const member of PRIVATE_MEMBERS) t.notOk(member in jwk, `${jwk.kid}: no ${member}`)
    // Each is the very public key of its entry.
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
    const expected = { rsa: keys.rsa, ec: keys.ecP256, ed: keys.ed25519 }[jwk.kid as 'rsa' | 'ec' | 'ed'].publicKey
    t.equal(pem, expected, `${jwk.kid}: the entry's public key`)
  }
  t.notMatch(JSON.stringify(published), SECRET)
})

t.test('jwks() hands out a copy', async t => {
  const app = await buildApp(t, { keys: set })
  const first = app.authJwt.jwks()
  first.keys[0].kid = 'changed'
  first.keys.pop()
  t.equal(app.authJwt.jwks().keys.length, 3)
  t.equal(app.authJwt.jwks().keys[0].kid, 'rsa')
})

t.test('jwks() follows setKeys', async t => {
  const app = await buildApp(t, { keys: set })
  app.authJwt.setKeys([set[2]])
  t.same(app.authJwt.jwks().keys.map(jwk => jwk.kid), ['ec'])
})

t.test('a single key pair is published under its RFC 7638 thumbprint', async t => {
  const app = await buildApp(t, { algorithm: 'ES256', privateKey: keys.ecP256.privateKey })
  const { keys: published } = app.authJwt.jwks()
  t.equal(published.length, 1)
  t.equal(published[0].kid, jwkThumbprint(createPublicKey(keys.ecP256.publicKey)))
  t.equal(published[0].alg, 'ES256')
  t.notOk('d' in published[0])
})

t.test('RFC 7638 thumbprints: the example key of the RFC', async t => {
  // RFC 7638 §3.1.
  const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
    'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91' +
    'CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw'
  const key = createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' })
  t.equal(jwkThumbprint(key), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
})

t.test('an HS* secret alone publishes nothing', async t => {
  const app = await buildApp(t, {})
  t.same(app.authJwt.jwks(), { keys: [] })
})

t.test('jwksRoute serves the set with a Cache-Control max-age', async t => {
  const app = await buildApp(t, { keys: set, jwksRoute: true })
  const response = await app.inject({ url: '/.well-known/jwks.json' })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['cache-control'], 'public, max-age=300')
  t.match(response.headers['content-type'], /^application\/json/)
  t.same(response.json(), app.authJwt.jwks())
})

t.test('jwksRoute at a path of its own', async t => {
  const app = await buildApp(t, { algorithm: 'EdDSA', privateKey: keys.ed25519.privateKey, jwksRoute: '/keys' })
  t.equal((await app.inject({ url: '/keys' })).json().keys[0].alg, 'EdDSA')
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 404)
})

t.test('jwksRoute: false (the default) serves nothing', async t => {
  for (const options of [{ keys: set }, { keys: set, jwksRoute: false }]) {
    const app = await buildApp(t, options)
    t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 404)
  }
})

t.test('jwksRoute with a single HS* secret is refused: there is nothing to publish', async t => {
  await expectRegistrationError(t, { secretKey: SECRET, jwksRoute: true },
    /jwksRoute publishes public keys, and an HS\* secret is never published/, 'HS256 secret')
})

t.test('jwksRoute must be true, false or a path', async t => {
  for (const value of ['jwks.json', 1, '']) {
    await expectRegistrationError(t, { keys: set, jwksRoute: value }, 'jwksRoute must be true, false, or a path starting with "/"', String(value))
  }
})

t.test('AUTHJWT_JWKS_ROUTE: true, false or a path', async t => {
  t.test('a path', async t => {
    withEnvironment(t, { AUTHJWT_JWKS_ROUTE: '/published' })
    const app = await buildApp(t, { keys: set })
    t.equal((await app.inject({ url: '/published' })).statusCode, 200)
  })
  t.test('true', async t => {
    withEnvironment(t, { AUTHJWT_JWKS_ROUTE: 'yes' })
    const app = await buildApp(t, { keys: set })
    t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200)
  })
  t.test('false', async t => {
    withEnvironment(t, { AUTHJWT_JWKS_ROUTE: 'off' })
    const app = await buildApp(t, { keys: set })
    t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 404)
  })
  t.test('anything else', async t => {
    withEnvironment(t, { AUTHJWT_JWKS_ROUTE: 'sometimes' })
    await expectRegistrationError(t, { keys: set }, 'AUTHJWT_JWKS_ROUTE must be true, false, or a path starting with "/"', 'sometimes')
  })
})
