// jwksUrl through the plugin: a verify-only instance that takes an issuer's
// keys from its JWKS, here another instance of the plugin serving jwksRoute.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { KeyOption } from '../../index'
import { resolveConfig } from '../../lib/config'
import { keys } from '../fixtures/keys'
import { bearer, buildApp, buildGuardedApp, expectRegistrationError, listen, type LogLine } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { fakeClock } from '../helpers/clock'
import { withEnvironment } from '../helpers/environment'
import { warningsOfRegistration } from '../helpers/warnings'

const ISSUER = 'https://issuer.example'
const first: KeyOption = { kid: 'first', algorithm: 'ES256', privateKey: keys.ecP256.privateKey }
const second: KeyOption = { kid: 'second', algorithm: 'EdDSA', privateKey: keys.ed25519.privateKey }

t.beforeEach(t => withEnvironment(t))

// An issuer that is the plugin itself, serving its key set with jwksRoute
// (test/helpers/jwks-issuer.ts has a scriptable one, for misbehaving issuers).
async function startPluginIssuer (t: Test, set: KeyOption[] = [first]): Promise<{ issuer: FastifyInstance, url: string }> {
  const issuer = await buildApp(t, { keys: set, jwksRoute: true, encodeIssuer: ISSUER })
  const port = await listen(issuer)
  return { issuer, url: `http://127.0.0.1:${port}/.well-known/jwks.json` }
}

t.test('the resource verifies the issuer\'s tokens with the key their kid names', async t => {
  const { issuer, url } = await startPluginIssuer(t, [first, second])
  const resource = await buildGuardedApp(t, { jwksUrl: url, decodeIssuer: ISSUER })
  await resource.ready()
  const token = issuer.authJwt.createAccessToken({ subject: 'alice' })
  const response = await resource.inject({ url: '/required', headers: bearer(token) })
  t.equal(response.statusCode, 200)
  t.equal(response.json().subject, 'alice')
  t.equal(resource.authJwt.decodeToken(token).sub, 'alice', 'decodeToken uses the keys fetched when the app got ready')
  t.same(resource.authJwt.jwks().keys.map(jwk => jwk.kid), ['first', 'second'], 'jwks() shows the keys in hand')
})

t.test('a kid the resource has not fetched yet: the guard waits for the set', async t => {
  const { issuer, url } = await startPluginIssuer(t)
  const resource = await buildGuardedApp(t, { jwksUrl: url, decodeIssuer: ISSUER, jwksCooldown: 0 })
  await resource.ready()
  issuer.authJwt.setKeys([second, first])
  const token = issuer.authJwt.createAccessToken({ subject: 'bob' })
  t.throws(() => resource.authJwt.decodeToken(token), { code: 'FST_JWT_AUTH_TOKEN_INVALID', message: 'Unknown "kid" header' },
    'decodeToken cannot wait: the key is not in hand yet')
  const response = await resource.inject({ url: '/required', headers: bearer(token) })
  t.equal(response.statusCode, 200, 'the guard fetched the new key')
  t.equal(resource.authJwt.decodeToken(token).sub, 'bob', 'and decodeToken has it now')
})

t.test('a token verified before is refused once the issuer\'s set, fetched again, no longer has its key', async t => {
  const { issuer, url } = await startPluginIssuer(t, [first, second])
  const resource = await buildGuardedApp(t, { jwksUrl: url, decodeIssuer: ISSUER, jwksCacheMaxAge: 60 })
  await resource.ready()
  const token = issuer.authJwt.createAccessToken({ subject: 'frank' })
  t.equal((await resource.inject({ url: '/required', headers: bearer(token) })).statusCode, 200, 'verified, and cached')
  issuer.authJwt.setKeys([second])
  const clock = fakeClock(t)
  clock.advance(59_000)
  t.equal((await resource.inject({ url: '/required', headers: bearer(token) })).statusCode, 200, 'the set is still fresh')
  clock.advance(1_000)
  // The stale set is fetched again in the background: this request is answered with the keys in hand.
  t.equal((await resource.inject({ url: '/required', headers: bearer(token) })).statusCode, 200, 'answered while fetching')
  let response
  for (let attempt = 0; attempt < 100; attempt++) {
    await new Promise(resolve => setTimeout(resolve, 20))
    response = await resource.inject({ url: '/required', headers: bearer(token) })
    if (response.statusCode !== 200) break
  }
  expectAuthError(t, response as Parameters<typeof expectAuthError>[1], 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Unknown "kid" header', what: 'the cached token of the removed key' })
})

t.test('decodeToken starts fetching a key it does not have', async t => {
  const { issuer, url } = await startPluginIssuer(t)
  const resource = await buildApp(t, { jwksUrl: url, decodeIssuer: ISSUER, jwksCooldown: 0 })
  await resource.ready()
  issuer.authJwt.setKeys([second, first])
  const token = issuer.authJwt.createAccessToken({ subject: 'bob' })
  t.throws(() => resource.authJwt.decodeToken(token), { code: 'FST_JWT_AUTH_TOKEN_INVALID' })
  let claims
  for (let attempt = 0; claims === undefined && attempt < 100; attempt++) {
    await new Promise(resolve => setTimeout(resolve, 20))
    try {
      claims = resource.authJwt.decodeToken(token)
    } catch {}
  }
  t.equal(claims?.sub, 'bob')
})

t.test('revokeToken waits for the key of an encoded token', async t => {
  const { issuer, url } = await startPluginIssuer(t)
  const resource = await buildGuardedApp(t, { jwksUrl: url, decodeIssuer: ISSUER, denylistEnabled: true })
  // Not made ready: no key fetched yet.
  const token = issuer.authJwt.createAccessToken({ subject: 'carol' })
  await resource.authJwt.revokeToken(token)
  expectAuthError(t, await resource.inject({ url: '/required', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_REVOKED')
})

t.test('an unreachable issuer and no key in hand: 500, the cause logged and not sent', async t => {
  const { issuer, url } = await startPluginIssuer(t)
  const token = issuer.authJwt.createAccessToken({ subject: 'dave' })
  await issuer.close()
  const logs: LogLine[] = []
  const resource = await buildApp(t, { jwksUrl: url, decodeIssuer: ISSUER }, { logs })
  resource.get('/required', { preHandler: resource.jwtRequired }, async () => 'in')
  await resource.ready()
  const response = await resource.inject({ url: '/required', headers: bearer(token) })
  expectAuthError(t, response, 'FST_JWT_AUTH_JWKS_FAILED', { message: 'The JWKS could not be fetched' })
  t.notMatch(response.body, /127\.0\.0\.1|ECONNREFUSED|refused|jwks\.json/i, 'the body says nothing of the cause')
  t.ok(logs.some(line => line.level >= 40), 'the failure is logged')
  t.notMatch(JSON.stringify(logs), token, 'no token in the logs')
})

t.test('the issuer\'s tokens must name the issuer', async t => {
  const { url } = await startPluginIssuer(t)
  const impostor = await buildApp(t, { keys: [first], encodeIssuer: 'https://impostor.example' })
  const resource = await buildGuardedApp(t, { jwksUrl: url, decodeIssuer: ISSUER })
  const token = impostor.authJwt.createAccessToken({ subject: 'eve' })
  expectAuthError(t, await resource.inject({ url: '/required', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Invalid issuer' })
})

t.test('a jwksUrl instance only verifies', async t => {
  const { url } = await startPluginIssuer(t)
  const resource = await buildApp(t, { jwksUrl: url, decodeIssuer: ISSUER })
  t.throws(() => resource.authJwt.createAccessToken({ subject: 'x' }), { code: 'FST_JWT_AUTH_CONFIG', message: /only verifies/ })
  t.throws(() => resource.authJwt.setKeys([first]), { code: 'FST_JWT_AUTH_CONFIG', message: /setKeys needs an instance registered with keys/ })
})

t.test('jwksUrl accepts every asymmetric algorithm by default, never HS*', async t => {
  const config = resolveConfig({ jwksUrl: 'https://issuer.example/jwks', decodeIssuer: ISSUER, decodeAudience: 'api' }, {})
  t.same(config.decodeAlgorithms, ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])
  const narrowed = resolveConfig({ jwksUrl: 'https://issuer.example/jwks', decodeIssuer: ISSUER, decodeAudience: 'api', decodeAlgorithms: ['ES256'] }, {})
  t.same(narrowed.decodeAlgorithms, ['ES256'])
})

t.test('bad jwksUrl setups are refused at registration', async t => {
  const base = { jwksUrl: 'https://issuer.example/jwks', decodeIssuer: ISSUER, decodeAudience: 'api' }
  await expectRegistrationError(t, { jwksUrl: base.jwksUrl }, 'decodeIssuer is required with jwksUrl: name the issuer whose tokens this instance accepts', 'no decodeIssuer')
  for (const [name, value] of [['secretKey', 'a-secret-that-is-long-enough-for-hs256!'], ['privateKey', keys.rsa.privateKey],
    ['publicKey', keys.rsa.publicKey], ['algorithm', 'RS256'], ['keys', [first]]] as const) {
    await expectRegistrationError(t, { ...base, [name]: value }, `jwksUrl cannot be combined with ${name}: the keys come from the JWKS`, name)
  }
  await expectRegistrationError(t, { ...base, decodeAlgorithms: ['RS256', 'HS256'] },
    'decodeAlgorithms cannot hold HS256 with jwksUrl: a JWKS publishes public keys only', 'HS256')
  await expectRegistrationError(t, { ...base, jwksRoute: true }, /jwksRoute cannot be used with jwksUrl/, 'jwksRoute')
  for (const url of ['ftp://issuer.example/jwks', 'issuer.example/jwks', '']) {
    await expectRegistrationError(t, { ...base, jwksUrl: url }, 'jwksUrl must be an http(s) URL', `url ${url}`)
  }
  await expectRegistrationError(t, { ...base, jwksUrl: 'http://' }, 'jwksUrl must be an http(s) URL', 'no host')
  for (const name of ['jwksCacheMaxAge', 'jwksCooldown'] as const) {
    await expectRegistrationError(t, { ...base, [name]: -1 }, new RegExp(`^${name} must be a non-negative whole number of seconds`), name)
  }
  for (const timeout of [0, 61, 2_200_000]) {
    await expectRegistrationError(t, { ...base, jwksTimeout: timeout }, 'jwksTimeout must be a whole number of seconds from 1 to 60', `timeout ${timeout}`)
  }
  await expectRegistrationError(t, { ...base, jwksCacheMaxAge: '2d' }, 'jwksCacheMaxAge must be at most 86400 seconds (a day)', 'a cache of two days')
  const error = await expectRegistrationError(t, { ...base, jwksUrl: 'https://svc:S3cret@issuer.example/jwks?key=Q' },
    'jwksUrl cannot hold a user name or password: a JWKS is public', 'credentials')
  t.notMatch(error.message, /S3cret|key=Q/)
})

t.test('durations of the jwks options', async t => {
  const config = resolveConfig({ jwksUrl: 'https://issuer.example/jwks', decodeIssuer: ISSUER, decodeAudience: 'api', jwksCacheMaxAge: '1h', jwksCooldown: '1m' }, {})
  t.match(config, { jwksCacheMaxAge: 3600, jwksCooldown: 60, jwksTimeout: 5 })
  const defaults = resolveConfig({ jwksUrl: 'https://issuer.example/jwks', decodeIssuer: ISSUER, decodeAudience: 'api' }, {})
  t.match(defaults, { jwksCacheMaxAge: 600, jwksCooldown: 30, jwksTimeout: 5, jwksRoute: false })
})

t.test('a plain-http jwksUrl beyond this machine is warned about', async t => {
  const audience = { decodeIssuer: ISSUER, decodeAudience: 'api' }
  const warnings = await warningsOfRegistration(t, { jwksUrl: 'http://issuer.internal/jwks', ...audience })
  t.match(warnings, [{ code: 'FST_JWT_AUTH_WEAK_SETTING', message: /jwksUrl is plain http/ }])
  for (const url of ['https://issuer.example/jwks', 'http://127.0.0.1:3001/jwks', 'http://localhost/jwks', 'http://[::1]/jwks']) {
    t.same(await warningsOfRegistration(t, { jwksUrl: url, ...audience }), [], `no warning for ${url}`)
  }
})

t.test('jwksUrl without decodeAudience, or with no cooldown, is warned about', async t => {
  const base = { jwksUrl: 'https://issuer.example/jwks', decodeIssuer: ISSUER }
  t.match(await warningsOfRegistration(t, base),
    [{ code: 'FST_JWT_AUTH_WEAK_SETTING', message: /jwksUrl without decodeAudience: tokens the issuer made for any other application/ }])
  t.match(await warningsOfRegistration(t, { ...base, decodeAudience: 'api', jwksCooldown: 0 }),
    [{ code: 'FST_JWT_AUTH_WEAK_SETTING', message: /jwksCooldown is 0/ }])
})

t.test('with decodeAudience, a token the issuer made for another application is refused', async t => {
  const { issuer, url } = await startPluginIssuer(t)
  const resource = await buildGuardedApp(t, { jwksUrl: url, decodeIssuer: ISSUER, decodeAudience: 'api' })
  const elsewhere = issuer.authJwt.createAccessToken({ subject: 'x', audience: 'another-app' })
  expectAuthError(t, await resource.inject({ url: '/required', headers: bearer(elsewhere) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { message: 'Invalid audience' })
  const mine = issuer.authJwt.createAccessToken({ subject: 'x', audience: 'api' })
  t.equal((await resource.inject({ url: '/required', headers: bearer(mine) })).statusCode, 200)
})

t.test('AUTHJWT_JWKS_URL and the jwks settings from the environment', async t => {
  const { issuer, url } = await startPluginIssuer(t)
  withEnvironment(t, { AUTHJWT_JWKS_URL: url, AUTHJWT_DECODE_ISSUER: ISSUER, AUTHJWT_JWKS_COOLDOWN: '1m' })
  const resource = await buildApp(t, {}, { testSecret: false })
  resource.get('/required', { preHandler: resource.jwtRequired }, async () => 'in')
  t.equal((await resource.inject({ url: '/required', headers: bearer(issuer.authJwt.createAccessToken({ subject: 'x' })) })).statusCode, 200)
})
