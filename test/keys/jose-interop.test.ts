// Another JWT implementation verifies our tokens with nothing but our JWKS:
// jose, as a service written without this plugin would. Each asymmetric
// family, key sets (the kid chooses the key) and a single key pair (no kid:
// the only key of the set), from jwks() and over the served jwksRoute; and
// jose refuses the tokens whose key the JWKS does not hold.
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Algorithm, KeyOption } from '../../index'
import { keyFor, keys } from '../fixtures/keys'
import { buildApp, listen } from '../helpers/app'
import { withEnvironment } from '../helpers/environment'
import { peek } from '../helpers/forge'

const ISSUER = 'https://issuer.example'
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const satisfies readonly Algorithm[]

// jose is an ES module only: imported, not required.
const josePromise = import('jose')

t.beforeEach(t => withEnvironment(t))

/** jose's verification of `token` against the JWKS document of `app`, for `algorithm`. */
async function verifyWithJose (app: FastifyInstance, token: string, algorithm: Algorithm) {
  const { createLocalJWKSet, jwtVerify } = await josePromise
  return jwtVerify(token, createLocalJWKSet(app.authJwt.jwks()), { issuer: ISSUER, algorithms: [algorithm] })
}

t.test('tokens of a key set, for each asymmetric family: jose picks the key by its kid', async t => {
  for (const algorithm of ALGORITHMS) {
    const signing: KeyOption = { kid: `signs-${algorithm}`, algorithm, privateKey: keyFor[algorithm].privateKey }
    // Another key of the family in the set, so that the kid has to choose.
    const other: KeyOption = algorithm.startsWith('RS') || algorithm.startsWith('PS')
      ? { kid: 'other', algorithm, publicKey: keys.rsa2.publicKey }
      : { kid: 'other', algorithm: 'ES256', publicKey: keys.ecP256.publicKey }
    const app = await buildApp(t, { keys: [signing, other], encodeIssuer: ISSUER })
    for (const token of [
      app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'reader' } }),
      app.authJwt.createRefreshToken({ subject: 'alice' })
    ]) {
      const { type } = peek(token).payload
      const { payload, protectedHeader } = await verifyWithJose(app, token, algorithm)
      t.same(protectedHeader, { alg: algorithm, typ: 'JWT', kid: signing.kid }, `${algorithm} ${String(type)}: the header jose read`)
      t.same(payload, peek(token).payload, `${algorithm} ${String(type)}: jose verifies the token and reads its claims`)
    }
  }
})

t.test('tokens of a single key pair carry no kid: jose takes the only key of the set', async t => {
  for (const algorithm of ALGORITHMS) {
    const app = await buildApp(t, { algorithm, privateKey: keyFor[algorithm].privateKey, encodeIssuer: ISSUER })
    const token = app.authJwt.createAccessToken({ subject: 'bob' })
    t.notOk('kid' in peek(token).header, `${algorithm}: no kid in the token`)
    const { payload } = await verifyWithJose(app, token, algorithm)
    t.equal(payload.sub, 'bob', `${algorithm}: jose verifies it`)
  }
})

t.test('over HTTP: jose fetches the JWKS from jwksRoute', async t => {
  const { createRemoteJWKSet, jwtVerify } = await josePromise
  const app = await buildApp(t, {
    keys: [
      { kid: 'current', algorithm: 'ES256', privateKey: keys.ecP256.privateKey },
      { kid: 'previous', algorithm: 'EdDSA', publicKey: keys.ed25519.publicKey }
    ],
    encodeIssuer: ISSUER,
    jwksRoute: true
  })
  const remote = createRemoteJWKSet(new URL(`http://127.0.0.1:${await listen(app)}/.well-known/jwks.json`))
  const { payload, protectedHeader } = await jwtVerify(app.authJwt.createAccessToken({ subject: 'carol' }), remote,
    { issuer: ISSUER, algorithms: ['ES256', 'EdDSA'] })
  t.equal(protectedHeader.kid, 'current', 'the key the kid names')
  t.equal(payload.sub, 'carol', 'verifies the token')
  t.same(remote.jwks(), app.authJwt.jwks(), 'from the document the app serves')
})

t.test('jose refuses a token whose key our JWKS does not hold', async t => {
  const { errors } = await josePromise
  const app = await buildApp(t, { keys: [{ kid: 'ec', algorithm: 'ES256', privateKey: keys.ecP256.privateKey }], encodeIssuer: ISSUER })
  const sign = async (key: KeyOption): Promise<string> =>
    (await buildApp(t, { keys: [key], encodeIssuer: ISSUER })).authJwt.createAccessToken({ subject: 'mallory' })

  const elsewhere = await sign({ kid: 'elsewhere', algorithm: 'ES256', privateKey: keys.ecP256.privateKey })
  await t.rejects(verifyWithJose(app, elsewhere, 'ES256'), errors.JWKSNoMatchingKey,
    'a kid the JWKS does not list (even for a key it holds under another kid)')
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const impostor = await sign({ kid: 'ec', algorithm: 'ES256', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) })
  await t.rejects(verifyWithJose(app, impostor, 'ES256'), errors.JWSSignatureVerificationFailed,
    'another key under a kid of the JWKS')
})
