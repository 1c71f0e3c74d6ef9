// lib/keys/remote-key-set.ts on its own, against a real issuer on 127.0.0.1:
// which keys of a document are kept (and which are ignored, and why), how a
// token's key is chosen, forged and mismatched tokens, when the document is
// fetched (first use, unknown kid, stale set, cooldown), every way a fetch
// can fail (status, redirect, timeout, slow or huge body, bad document), and
// onChange. Arbitrary kids, documents and issuers: remote-key-set-fuzz.test.ts.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import t, { type Test } from 'tap'
import { JwksError, JWTDecodeError } from '../../lib/errors'
import { KeyNotLoaded, type VerifySignature } from '../../lib/keys/key-source'
import {
  createRemoteKeySource, MAX_JWKS_BYTES, MAX_REMOTE_KEYS, type RemoteKeySetOptions, type RemoteKeySource
} from '../../lib/keys/remote-key-set'
import type { Algorithm } from '../../lib/options'
import { keyFor, keys, type PemKeyPair } from '../fixtures/keys'
import { fakeClock } from '../helpers/clock'
import { forge } from '../helpers/forge'
import { openIssuer, startIssuer, type Handler, type Issuer } from '../helpers/jwks-issuer'

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
const PAYLOAD = { sub: 'user-1' }

/** Holds the next request to the issuer until `release()`: a fetch that stays pending meanwhile. */
function holdNextRequest (issuer: Issuer, answer: Handler): { requested: Promise<void>, release: () => void } {
  let release = (): void => {}
  const requested = new Promise<void>(resolve => {
    issuer.handle((request, response) => {
      release = () => { answer(request, response) }
      resolve()
    })
  })
  return { requested, release: () => { release() } }
}

interface Warning {
  object: Record<string, unknown>
  message: string
}

function source (url: URL, options: Partial<RemoteKeySetOptions> = {}): { keySource: RemoteKeySource, warnings: Warning[] } {
  const warnings: Warning[] = []
  const keySource = createRemoteKeySource({
    url,
    algorithms: ASYMMETRIC,
    cacheMaxAge: 600,
    cooldown: 30,
    timeout: 5,
    log: { warn: (object, message) => { warnings.push({ object: object as Record<string, unknown>, message }) } },
    ...options
  })
  return { keySource, warnings }
}

/** The public JWK of a PEM key pair, as an issuer publishes it. */
function jwkOf (pair: PemKeyPair, kid: string, alg: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...createPublicKey(pair.publicKey).export({ format: 'jwk' }), kid, alg, use: 'sig', ...extra }
}

function sign (pair: PemKeyPair, algorithm: Algorithm, kid: string | undefined, payload: object = PAYLOAD): string {
  return createSigner({ key: pair.privateKey, algorithm, ...(kid === undefined ? {} : { kid }) })(payload)
}

/** What the token verifier does: the key in hand, else the key once loaded (a still unknown key then throws KeyNotLoaded). */
async function verifierAfterLoad (keySource: RemoteKeySource, token: string): Promise<VerifySignature> {
  try {
    return keySource.verifierFor(token)
  } catch (error) {
    if (!(error instanceof KeyNotLoaded)) throw error
    await error.loading
    return keySource.verifierFor(token)
  }
}

/** What `fn` throws (undefined when it returns). */
function thrownBy (fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

/** The `loading` of the KeyNotLoaded that verifierFor throws for `token`. */
function loadingOf (t: Test, keySource: RemoteKeySource, token: string): Promise<void> {
  try {
    keySource.verifierFor(token)
  } catch (error) {
    if (error instanceof KeyNotLoaded) return error.loading
    throw error
  }
  t.fail('verifierFor was expected to throw KeyNotLoaded')
  return Promise.resolve()
}

/** Asserts that `token` is refused: no verifier, or one that throws. */
async function expectRefused (t: Test, keySource: RemoteKeySource, token: string, what: string): Promise<void> {
  let verify: VerifySignature
  try {
    verify = await verifierAfterLoad(keySource, token)
  } catch (error) {
    t.ok(error instanceof KeyNotLoaded || error instanceof JWTDecodeError, `${what}: no key (${(error as Error).name})`)
    return
  }
  t.throws(() => verify(token), `${what}: the key's verifier refuses it`)
}

// Times are moved past a limit by 1 ms or more: the fake monotonic clock is a
// float, and a sum of floats may land a hair short of the limit.

const rsaKid = 'rsa-1'
const ecKid = 'ec-1'
const baseSet = { keys: [jwkOf(keys.rsa, rsaKid, 'RS256'), jwkOf(keys.ecP256, ecKid, 'ES256')] }

t.test('an unknown kid fetches the set, then its tokens verify with the key in hand', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const { keySource, warnings } = source(issuer.url)
  const token = sign(keys.rsa, 'RS256', rsaKid)
  t.equal(issuer.requests(), 0, 'nothing fetched before a token needs a key')
  const loading = loadingOf(t, keySource, token)
  t.resolves(loading, 'the load resolves once the set is in hand')
  await loading
  t.equal(issuer.requests(), 1, 'one fetch')
  const verify = keySource.verifierFor(token)
  t.match(verify(token), PAYLOAD, 'the token verifies')
  t.equal(keySource.verifierFor(sign(keys.rsa, 'RS256', rsaKid, { sub: 'other' })), verify,
    'one verifier per key, built once')
  t.match(keySource.verifierFor(sign(keys.ecP256, 'ES256', ecKid))(sign(keys.ecP256, 'ES256', ecKid)), PAYLOAD,
    'the other key of the set verifies too')
  t.equal(issuer.requests(), 1, 'keys in hand need no fetch')
  t.equal(keySource.signing(), undefined, 'verify-only: nothing to sign with')
  t.same(warnings, [], 'nothing to warn about')
})

t.test('jwks(): a copy of the kept keys, public members only', async (t) => {
  const issuer = await startIssuer(t)
  const { use: _use, ...withoutUse } = jwkOf(keys.ed25519, 'ed', 'EdDSA')
  issuer.serve({ keys: [{ ...jwkOf(keys.rsa, rsaKid, 'RS256'), x5t: 'thumb', ext: true, key_ops: ['verify'] }, withoutUse] })
  const { keySource } = source(issuer.url)
  t.same(keySource.jwks(), { keys: [] }, 'no key before the first fetch')
  await keySource.refresh()
  const rsa = createPublicKey(keys.rsa.publicKey).export({ format: 'jwk' })
  const ed = createPublicKey(keys.ed25519.publicKey).export({ format: 'jwk' })
  t.strictSame(keySource.jwks(), {
    keys: [{ ...rsa, kid: rsaKid, alg: 'RS256', use: 'sig' }, { ...ed, kid: 'ed', alg: 'EdDSA' }]
  }, 'the key members, kid, alg, and use when it was there; nothing else')
  const copy = keySource.jwks()
  copy.keys[0].kid = 'changed'
  copy.keys.pop()
  t.equal(keySource.jwks().keys.length, 2, 'changing the copy changes nothing')
  t.equal(keySource.jwks().keys[0].kid, rsaKid, 'not even a member of a key')
})

t.test('every asymmetric algorithm verifies with a key of its kind', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve({ keys: ASYMMETRIC.map(alg => jwkOf(keyFor[alg], `kid-${alg}`, alg)) })
  const { keySource } = source(issuer.url)
  await keySource.refresh()
  for (const alg of ASYMMETRIC) {
    const token = sign(keyFor[alg], alg, `kid-${alg}`)
    t.match(keySource.verifierFor(token)(token), PAYLOAD, `${alg} verifies`)
  }
})

t.test('a token without kid: the only key of its alg, else none', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve({
    keys: [jwkOf(keys.rsa, 'r1', 'RS256'), jwkOf(keys.rsa2, 'r2', 'RS256'), jwkOf(keys.ecP256, 'e1', 'ES256')]
  })
  const { keySource } = source(issuer.url)
  await keySource.refresh()
  const es = sign(keys.ecP256, 'ES256', undefined)
  t.match(keySource.verifierFor(es)(es), PAYLOAD, 'the only ES256 key verifies an ES256 token without kid')
  const rs = sign(keys.rsa, 'RS256', undefined)
  t.type(thrownBy(() => keySource.verifierFor(rs)), KeyNotLoaded, 'two RS256 keys: ambiguous, none is chosen')
  const ps = sign(keys.rsa, 'PS256', undefined)
  t.type(thrownBy(() => keySource.verifierFor(ps)), KeyNotLoaded, 'no PS256 key: none is chosen')
  await expectRefused(t, keySource, rs, 'ambiguous, after the load')
  const forged = forge({ header: { alg: 'ES256' }, payload: PAYLOAD, signature: 'AAAA' })
  t.throws(() => keySource.verifierFor(forged)(forged), 'a bad signature fails with the chosen key')
  t.equal(issuer.requests(), 1, 'within the cooldown, tokens of no key fetch nothing')
})

t.test('forged and mismatched tokens are refused', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const { keySource } = source(issuer.url)
  await keySource.refresh()

  await expectRefused(t, keySource, sign(keys.rsa2, 'RS256', 'rsa-2'), 'signed by a key not in the set')
  await expectRefused(t, keySource, sign(keys.rsa2, 'RS256', undefined), 'signed by a key not in the set, no kid')
  await expectRefused(t, keySource, sign(keys.rsa2, 'RS256', rsaKid), 'kid of key A, signed with key B')
  await expectRefused(t, keySource, sign(keys.ecP256, 'ES256', rsaKid), 'kid of an RSA key, signed with an EC key')
  await expectRefused(t, keySource, sign(keys.rsa, 'PS256', rsaKid), 'the right key, but not the alg of its JWK')
  await expectRefused(t, keySource, sign(keys.rsa, 'RS512', rsaKid), 'the right key, another hash')
  // The algorithm confusion attack: an HMAC signature with the public key as its secret.
  const confused = forge({ header: { alg: 'HS256', kid: rsaKid }, payload: PAYLOAD, secret: keys.rsa.publicKey })
  await expectRefused(t, keySource, confused, 'HS256 signed with the public key as the secret')
  const unsigned = forge({ header: { alg: 'none', kid: rsaKid }, payload: PAYLOAD })
  await expectRefused(t, keySource, unsigned, 'alg none with a known kid')
  t.equal(issuer.requests(), 1, 'none of them fetched the set again within the cooldown')

  t.throws(() => keySource.verifierFor(forge({ header: { alg: 'HS256', kid: 'unknown' }, payload: PAYLOAD })),
    { code: 'FST_JWT_AUTH_TOKEN_INVALID', message: 'The specified alg value is not allowed' },
    'an unknown kid with an alg never accepted: refused at once, no fetch can help')
  t.throws(() => keySource.verifierFor(forge({ header: { kid: 'unknown' }, payload: PAYLOAD })),
    { code: 'FST_JWT_AUTH_TOKEN_INVALID' }, 'no alg at all: refused at once')
  t.throws(() => keySource.verifierFor(sign(keys.rsa, 'RS256', 'k'.repeat(257))),
    { code: 'FST_JWT_AUTH_TOKEN_INVALID', message: 'Unknown "kid" header' },
    'a kid longer than any kept: refused at once')
  t.throws(() => keySource.verifierFor('not a token'), JWTDecodeError, 'a malformed token')
  t.throws(() => keySource.verifierFor(forge({ header: { alg: 'RS256', kid: 7 }, payload: PAYLOAD })),
    { message: 'Invalid "kid" header' }, 'a kid that is not a string')
  t.equal(issuer.requests(), 1, 'none of them fetched anything')
})

t.test('the verifiers accept only the alg of the key: a set restricted to some algorithms keeps only their keys', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const { keySource, warnings } = source(issuer.url, { algorithms: ['ES256'] })
  await keySource.refresh()
  t.same(keySource.jwks().keys.map(key => key.kid), [ecKid], 'the RS256 key is not kept')
  t.throws(() => keySource.verifierFor(sign(keys.rsa, 'RS256', rsaKid)), { message: 'The specified alg value is not allowed' },
    'an RS256 token is refused at once')
  t.match(warnings, [{ object: { ignoredKeys: 1, reasons: { 'alg missing or not accepted': 1 } } }], 'the ignored key is reported')
})

t.test('keys that are not public signature keys of an accepted algorithm are ignored, and reported', async (t) => {
  const issuer = await startIssuer(t)
  const short = generateKeyPairSync('rsa', {
    modulusLength: 1024,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  const privateJwk = createPrivateKey(keys.ecP384.privateKey).export({ format: 'jwk' }) as Record<string, unknown>
  const { alg: _alg, ...noAlg } = jwkOf(keys.rsa2, 'no-alg', 'RS256')
  const cases: Array<[string, Record<string, unknown>, string, PemKeyPair, Algorithm]> = [
    ['no alg', noAlg, 'alg missing or not accepted', keys.rsa2, 'RS256'],
    ['alg HS256 on an RSA key', jwkOf(keys.rsa2, 'hs', 'HS256'), 'alg missing or not accepted', keys.rsa2, 'RS256'],
    ['alg none', jwkOf(keys.rsa2, 'none', 'none'), 'alg missing or not accepted', keys.rsa2, 'RS256'],
    ['use enc', jwkOf(keys.rsa2, 'enc', 'RS256', { use: 'enc' }), 'not a signature verification key', keys.rsa2, 'RS256'],
    ['key_ops without verify', jwkOf(keys.rsa2, 'ops', 'RS256', { key_ops: ['encrypt', 'wrapKey'] }),
      'not a signature verification key', keys.rsa2, 'RS256'],
    ['key_ops not a list', jwkOf(keys.rsa2, 'ops-text', 'RS256', { key_ops: 'verify' }),
      'not a signature verification key', keys.rsa2, 'RS256'],
    ['a private key', { ...privateJwk, kid: 'private', alg: 'ES384' }, 'private or secret key', keys.ecP384, 'ES384'],
    ['an oct key', { kty: 'oct', k: Buffer.from(keys.rsa2.publicKey).toString('base64url'), kid: 'oct', alg: 'RS256' },
      'private or secret key', keys.rsa2, 'RS256'],
    ['an EC key with alg RS256', jwkOf(keys.ecP256, 'ec-as-rsa', 'RS256'), 'key does not fit its alg', keys.ecP256, 'ES256'],
    ['a P-256 key with alg ES384', jwkOf(keys.ecP256, 'p256-as-384', 'ES384'), 'key does not fit its alg', keys.ecP256, 'ES256'],
    ['an RSA key of 1024 bits', jwkOf(short, 'short', 'RS256'), 'key does not fit its alg', short, 'RS256'],
    ['a key that does not parse', { kty: 'RSA', n: 'not-base64url!', e: 42, kid: 'garbage', alg: 'RS256' },
      'key does not fit its alg', keys.rsa2, 'RS256'],
    ['kty oct without k', { kty: 'oct', kid: 'oct-empty', alg: 'ES256' }, 'key does not fit its alg', keys.ecP256, 'ES256'],
    ['an empty kid', jwkOf(keys.rsa2, '', 'RS256'), 'no valid kid', keys.rsa2, 'RS256'],
    ['a kid of 257 characters', jwkOf(keys.rsa2, 'k'.repeat(257), 'RS256'), 'no valid kid', keys.rsa2, 'RS256']
  ]
  const kept = [jwkOf(keys.rsa, rsaKid, 'RS256'), jwkOf(keys.rsa, 'k'.repeat(256), 'RS256', { key_ops: ['verify', 'sign'] })]
  issuer.serve({ keys: [...cases.map(([, jwk]) => jwk), jwkOf(keys.rsa2, 'numeric', 'RS256', { kid: 12 }), ...kept] })
  const { keySource, warnings } = source(issuer.url)
  await keySource.refresh()
  t.same(keySource.jwks().keys.map(key => key.kid), [rsaKid, 'k'.repeat(256)],
    'only the valid keys are kept (a kid of 256 characters, key_ops with verify)')
  for (const [what, jwk, , pair, alg] of cases) {
    if (typeof jwk.kid === 'string' && jwk.kid !== '' && jwk.kid.length <= 256) {
      await expectRefused(t, keySource, sign(pair, alg, jwk.kid), what)
    }
  }
  const reasons: Record<string, number> = { 'no valid kid': 1 }
  for (const [, , reason] of cases) reasons[reason] = (reasons[reason] ?? 0) + 1
  t.equal(warnings.length, 1, 'one warning for the document')
  t.same(warnings[0].object, { jwksUrl: issuer.url.href, ignoredKeys: cases.length + 1, reasons }, 'how many, and why')
  t.match(warnings[0].message, /keys of the JWKS were ignored/)
  const logged = JSON.stringify(warnings)
  const material = cases.flatMap(([, jwk]) => [jwk.n, jwk.x, jwk.d, jwk.k]).filter(value => typeof value === 'string')
  t.ok(material.every(value => !logged.includes(value as string)), 'no key material in the log')
  t.equal(issuer.requests(), 1, 'refusing them fetched nothing')
})

t.test('a kid named twice is ambiguous: every key with it is dropped', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve({
    keys: [
      jwkOf(keys.rsa, 'twice', 'RS256'),
      jwkOf(keys.rsa2, 'twice', 'RS256'),
      jwkOf(keys.ecP256, 'twice-once-valid', 'ES256'),
      jwkOf(keys.ecP256, 'twice-once-valid', 'ES256', { use: 'enc' }),
      jwkOf(keys.ecP256, ecKid, 'ES256')
    ]
  })
  const { keySource, warnings } = source(issuer.url)
  await keySource.refresh()
  t.same(keySource.jwks().keys.map(key => key.kid), [ecKid], 'only the key whose kid is unique')
  await expectRefused(t, keySource, sign(keys.rsa, 'RS256', 'twice'), 'signed by the first key of the kid')
  await expectRefused(t, keySource, sign(keys.rsa2, 'RS256', 'twice'), 'signed by the second key of the kid')
  await expectRefused(t, keySource, sign(keys.ecP256, 'ES256', 'twice-once-valid'), 'the kid is named twice, one of them ignored')
  t.match(warnings, [{ object: { ignoredKeys: 4, reasons: { 'kid not unique in the set': 4 } } }])
})

t.test(`at most ${MAX_REMOTE_KEYS} keys are kept`, async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve({ keys: Array.from({ length: MAX_REMOTE_KEYS + 5 }, (_, i) => jwkOf(keys.ecP256, `k${i}`, 'ES256')) })
  const { keySource, warnings } = source(issuer.url)
  await keySource.refresh()
  t.same(keySource.jwks().keys.map(key => key.kid), Array.from({ length: MAX_REMOTE_KEYS }, (_, i) => `k${i}`),
    'the first ones, in the order of the document')
  const last = sign(keys.ecP256, 'ES256', `k${MAX_REMOTE_KEYS - 1}`)
  t.match(keySource.verifierFor(last)(last), PAYLOAD, 'the last key kept verifies')
  await expectRefused(t, keySource, sign(keys.ecP256, 'ES256', `k${MAX_REMOTE_KEYS}`), 'the first key beyond the limit')
  t.match(warnings, [{ object: { ignoredKeys: 5, reasons: { [`more than ${MAX_REMOTE_KEYS} keys`]: 5 } } }])
})

t.test('a flood of made-up kids makes at most one request to the issuer', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  fakeClock(t)
  const { keySource } = source(issuer.url)
  const first = Array.from({ length: 1000 }, (_, i) => loadingOf(t, keySource, sign(keys.rsa2, 'RS256', `made-up-${i}`)))
  await Promise.all(first)
  t.equal(issuer.requests(), 1, '1,000 kids at once before any fetch: one request, shared')
  let stillUnknown = 0
  for (let i = 0; i < 1000; i++) {
    const token = sign(keys.rsa2, 'RS256', `again-${i}`)
    // As the token verifier does: the load, then the key is looked for again.
    await loadingOf(t, keySource, token)
    if (loadingOf(t, keySource, token) instanceof Promise) stillUnknown++
  }
  t.equal(stillUnknown, 1000, 'every made-up kid is still unknown after its load')
  t.equal(issuer.requests(), 1, '1,000 more kids within the cooldown, one after the other: no request')
})

t.test('an unknown kid after the cooldown fetches again: a key the issuer added is found', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const clock = fakeClock(t)
  const { keySource } = source(issuer.url)
  const onChange: string[] = []
  keySource.onChange(() => { onChange.push('changed') })
  await keySource.refresh()
  issuer.serve({ keys: [...baseSet.keys, jwkOf(keys.rsa2, 'added', 'RS256')] })
  const token = sign(keys.rsa2, 'RS256', 'added')
  await expectRefused(t, keySource, token, 'within the cooldown, the new key is not looked for')
  t.equal(issuer.requests(), 1)
  clock.advance(29_999)
  await expectRefused(t, keySource, token, 'still within the cooldown')
  t.equal(issuer.requests(), 1)
  clock.advance(2)
  t.match((await verifierAfterLoad(keySource, token))(token), PAYLOAD, 'once the cooldown is over, it is fetched')
  t.equal(issuer.requests(), 2)
  t.same(onChange, [], 'a key added is no change to what was verified')
})

t.test('a stale set is refetched in the background; the key in hand keeps working', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const clock = fakeClock(t)
  // cooldown = cacheMaxAge: refresh() fetches nothing while the set is fresh,
  // so awaiting it only waits for a pending fetch.
  const { keySource } = source(issuer.url, { cacheMaxAge: 60, cooldown: 60 })
  await keySource.refresh()
  const token = sign(keys.rsa, 'RS256', rsaKid)
  const verify = keySource.verifierFor(token)
  clock.advance(59_999)
  t.equal(keySource.verifierFor(token), verify, 'fresh: the key in hand')
  await keySource.refresh()
  t.equal(issuer.requests(), 1, 'not yet stale: no fetch')
  const held = holdNextRequest(issuer, (_request, response) => { response.writeHead(200).end(JSON.stringify(baseSet)) })
  clock.advance(2)
  t.equal(keySource.verifierFor(token), verify, 'stale: the key in hand answers at once')
  await held.requested
  t.equal(issuer.requests(), 2, 'and a refetch has started in the background')
  t.equal(keySource.verifierFor(token), verify, 'while it is pending, the key in hand answers')
  t.match(verify(token), PAYLOAD)
  held.release()
  await keySource.refresh()
  t.equal(issuer.requests(), 2, 'one refetch for both')
  t.equal(keySource.verifierFor(token), verify, 'the same key: the same verifier')
  clock.advance(59_999)
  keySource.verifierFor(token)
  await keySource.refresh()
  t.equal(issuer.requests(), 2, 'fresh again: no fetch')
})

t.test('stale set, issuer down: the key in hand works, one refetch per cooldown, unknown kids fail', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const clock = fakeClock(t)
  const { keySource, warnings } = source(issuer.url, { cacheMaxAge: 60, cooldown: 10 })
  await keySource.refresh()
  const down: Handler = (_request, response) => { response.writeHead(503).end('down') }
  const token = sign(keys.rsa, 'RS256', rsaKid)
  clock.advance(61_000)
  let held = holdNextRequest(issuer, down)
  for (let i = 0; i < 3; i++) t.match(keySource.verifierFor(token)(token), PAYLOAD, `stale: the key in hand verifies (${i})`)
  await held.requested
  issuer.handle(down)
  held.release()
  await keySource.refresh()
  t.equal(issuer.requests(), 2, 'one refetch, started by the token')
  t.match(warnings, [{ object: { err: { message: /status 503/ } }, message: /the JWKS could not be fetched/ }], 'its failure is logged')
  t.equal(JSON.stringify(warnings[0].object).includes('down'), false, 'the answer body is not logged')
  for (let i = 0; i < 100; i++) t.match(keySource.verifierFor(token)(token), PAYLOAD, `still verifies (${i})`)
  clock.advance(9_999)
  keySource.verifierFor(token)
  await keySource.refresh()
  t.equal(issuer.requests(), 2, 'no other refetch within the cooldown, however many tokens')
  const unknown = sign(keys.rsa2, 'RS256', 'unknown')
  await t.rejects(loadingOf(t, keySource, unknown), {
    code: 'FST_JWT_AUTH_JWKS_FAILED', statusCode: 500, message: 'The JWKS could not be fetched', cause: { message: /status 503/ }
  }, 'an unknown kid, the last fetch failed: JwksError, without a fetch')
  t.equal(issuer.requests(), 2)
  held = holdNextRequest(issuer, down)
  clock.advance(2)
  t.match(keySource.verifierFor(token)(token), PAYLOAD, 'after the cooldown, the key in hand still verifies')
  await held.requested
  t.equal(issuer.requests(), 3, 'and one more refetch has started')
  issuer.handle(down)
  held.release()
  await keySource.refresh()
  t.match(keySource.verifierFor(token)(token), PAYLOAD, 'it failed too: the key in hand still verifies')
  issuer.serve(baseSet)
  clock.advance(10_001)
  await keySource.refresh()
  t.equal(issuer.requests(), 4, 'the issuer is back')
  await t.resolves(loadingOf(t, keySource, unknown), 'an unknown kid no longer fails: the last fetch succeeded')
})

t.test('refresh(): one fetch at a time, none within the cooldown, never rejects', async (t) => {
  const issuer = await startIssuer(t)
  const clock = fakeClock(t)
  const held = holdNextRequest(issuer, (_request, response) => { response.writeHead(500).end() })
  const { keySource } = source(issuer.url, { cooldown: 5 })
  const first = keySource.refresh()
  const second = keySource.refresh()
  t.equal(first, second, 'a pending fetch is shared')
  const loading = loadingOf(t, keySource, sign(keys.rsa, 'RS256', rsaKid))
  await held.requested
  held.release()
  await t.resolves(first, 'a failed fetch does not reject refresh()')
  await t.rejects(loading, JwksError, 'a load waiting for the pending fetch rejects with its failure')
  t.equal(issuer.requests(), 1, 'one request for all three')
  await keySource.refresh()
  t.equal(issuer.requests(), 1, 'none within the cooldown')
  clock.advance(5001)
  issuer.serve(baseSet)
  await keySource.refresh()
  t.equal(issuer.requests(), 2, 'one after it')
  t.equal(keySource.jwks().keys.length, 2)
})

t.test('a load waits for a pending background refetch instead of starting its own', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const clock = fakeClock(t)
  const { keySource } = source(issuer.url, { cacheMaxAge: 60, cooldown: 0 })
  await keySource.refresh()
  const added = jwkOf(keys.rsa2, 'added', 'RS256')
  const held = holdNextRequest(issuer, (_request, response) => {
    response.writeHead(200).end(JSON.stringify({ keys: [...baseSet.keys, added] }))
  })
  clock.advance(60_001)
  keySource.verifierFor(sign(keys.rsa, 'RS256', rsaKid))
  const token = sign(keys.rsa2, 'RS256', 'added')
  const loading = loadingOf(t, keySource, token)
  await held.requested
  held.release()
  await loading
  t.equal(issuer.requests(), 2, 'one refetch served both')
  t.match(keySource.verifierFor(token)(token), PAYLOAD, 'the key it brought verifies')
})

t.test('onChange: after a refresh that removed or replaced a key, never for an unchanged set', async (t) => {
  const issuer = await startIssuer(t)
  issuer.serve(baseSet)
  const clock = fakeClock(t)
  const { keySource } = source(issuer.url, { cooldown: 1 })
  let changes = 0
  keySource.onChange(() => { changes++ })
  keySource.onChange(() => { changes += 100 })
  const refetch = async (document: unknown): Promise<void> => {
    issuer.serve(document)
    clock.advance(1001)
    await keySource.refresh()
  }
  await keySource.refresh()
  t.equal(changes, 0, 'the first set is no change')
  const rsaToken = sign(keys.rsa, 'RS256', rsaKid)
  const verify = keySource.verifierFor(rsaToken)

  await refetch(baseSet)
  t.equal(changes, 0, 'the same set: no change')
  t.equal(keySource.verifierFor(rsaToken), verify, 'and the same verifier')
  await refetch({ keys: [...baseSet.keys].reverse().map(jwk => ({ ...jwk, x5t: 'other member' })) })
  t.equal(changes, 0, 'the same keys in another order, with other members: no change')
  await refetch({ keys: [...baseSet.keys, jwkOf(keys.ed25519, 'ed', 'EdDSA')] })
  t.equal(changes, 0, 'a key added: no change')

  await refetch({ keys: [jwkOf(keys.rsa2, rsaKid, 'RS256'), jwkOf(keys.ecP256, ecKid, 'ES256'), jwkOf(keys.ed25519, 'ed', 'EdDSA')] })
  t.equal(changes, 101, 'the key of a kid replaced: every listener runs once')
  t.not(keySource.verifierFor(rsaToken), verify, 'a new verifier for the new key')
  await expectRefused(t, keySource, rsaToken, 'a token of the replaced key')
  const rsa2Token = sign(keys.rsa2, 'RS256', rsaKid)
  t.match(keySource.verifierFor(rsa2Token)(rsa2Token), PAYLOAD, 'a token of the new key verifies')

  await refetch({ keys: [jwkOf(keys.rsa2, rsaKid, 'PS256'), jwkOf(keys.ecP256, ecKid, 'ES256'), jwkOf(keys.ed25519, 'ed', 'EdDSA')] })
  t.equal(changes, 202, 'the alg of a kid changed: a change')
  await expectRefused(t, keySource, rsa2Token, 'a token of the old alg')

  await refetch({ keys: [jwkOf(keys.ecP256, ecKid, 'ES256'), jwkOf(keys.ed25519, 'ed', 'EdDSA')] })
  t.equal(changes, 303, 'a key removed: a change')
  t.type(thrownBy(() => keySource.verifierFor(rsa2Token)), KeyNotLoaded, 'the removed key is not found')

  issuer.handle((_request, response) => { response.writeHead(500).end() })
  clock.advance(1001)
  await keySource.refresh()
  t.equal(changes, 303, 'a failed fetch changes nothing')
  const ecToken = sign(keys.ecP256, 'ES256', ecKid)
  t.match(keySource.verifierFor(ecToken)(ecToken), PAYLOAD, 'and keeps the keys in hand')
})

t.test('failed fetches: the load rejects with JwksError, the cause is logged', async (t) => {
  const cases: Array<[string, Handler, RegExp | Record<string, unknown>]> = [
    ['status 500', (_request, response) => { response.writeHead(500).end(JSON.stringify(baseSet)) }, { message: /status 500/ }],
    ['status 204', (_request, response) => { response.writeHead(204).end() }, { message: /status 204/ }],
    ['status 404', (_request, response) => { response.writeHead(404).end(JSON.stringify(baseSet)) }, { message: /status 404/ }],
    ['bad JSON', (_request, response) => { response.writeHead(200).end('{"keys": [') }, { code: 'ERR_JOSE_GENERIC' }],
    ['an empty body', (_request, response) => { response.writeHead(200).end() }, { code: 'ERR_JOSE_GENERIC' }],
    ['no keys member', (_request, response) => { response.writeHead(200).end('{}') }, { code: 'ERR_JWKS_INVALID' }],
    ['keys not a list', (_request, response) => { response.writeHead(200).end('{"keys":{}}') }, { code: 'ERR_JWKS_INVALID' }],
    ['a list', (_request, response) => { response.writeHead(200).end('[]') }, { code: 'ERR_JWKS_INVALID' }],
    ['a key that is not an object', (_request, response) => {
      response.writeHead(200).end(JSON.stringify({ keys: [...baseSet.keys, 'key'] }))
    }, { code: 'ERR_JWKS_INVALID' }],
    ['the connection closed before an answer', (request) => { request.socket.destroy() }, { message: /fetch failed/ }]
  ]
  for (const [what, handler, cause] of cases) {
    const issuer = await startIssuer(t)
    issuer.handle(handler)
    const { keySource, warnings } = source(issuer.url)
    const token = sign(keys.rsa, 'RS256', rsaKid)
    await t.rejects(loadingOf(t, keySource, token), { code: 'FST_JWT_AUTH_JWKS_FAILED', cause }, `${what}: JwksError`)
    t.match(warnings, [{ object: { jwksUrl: issuer.url.href, err: cause }, message: /the JWKS could not be fetched/ }],
      `${what}: the cause is logged`)
    t.same(keySource.jwks(), { keys: [] }, `${what}: no key`)
    await t.rejects(loadingOf(t, keySource, token), JwksError, `${what}: within the cooldown, the failure stands`)
    t.equal(issuer.requests(), 1, `${what}: one request`)
  }
})

t.test('a redirect is not followed, even to a valid set', async (t) => {
  const issuer = await startIssuer(t)
  issuer.handle((request, response) => {
    if (request.url === '/jwks') response.writeHead(302, { location: '/elsewhere' }).end()
    else response.writeHead(200).end(JSON.stringify(baseSet))
  })
  const { keySource } = source(issuer.url)
  await t.rejects(loadingOf(t, keySource, sign(keys.rsa, 'RS256', rsaKid)), { cause: { message: /status 302/ } })
  t.same(issuer.paths, ['/jwks'], 'the redirect target was never requested')
  t.same(keySource.jwks(), { keys: [] })
})

t.test(`a document over ${MAX_JWKS_BYTES} bytes is refused; one of exactly that size is read`, async (t) => {
  const document = JSON.stringify(baseSet)
  const padded = (bytes: number) => ' '.repeat(bytes - document.length) + document
  // Written in chunks, without a content-length: the size is only known by reading.
  const chunked = (body: string): Handler => (_request, response) => {
    response.writeHead(200)
    for (let i = 0; i < body.length; i += 65_536) response.write(body.slice(i, i + 65_536))
    response.end()
  }
  const cases: Array<[string, Handler]> = [
    ['one byte too many, with content-length', (_request, response) => { response.writeHead(200).end(padded(MAX_JWKS_BYTES + 1)) }],
    ['one byte too many, chunked', chunked(padded(MAX_JWKS_BYTES + 1))],
    ['64 MiB, chunked', (_request, response) => {
      // Written as fast as the client reads: stops when the client aborts.
      const chunk = Buffer.alloc(1024 * 1024, ' ')
      response.writeHead(200)
      let sent = 0
      const more = (): void => {
        while (sent < 64 && !response.destroyed) {
          sent++
          if (!response.write(chunk)) {
            response.once('drain', more)
            return
          }
        }
        response.end()
      }
      more()
    }]
  ]
  for (const [what, handler] of cases) {
    const issuer = await startIssuer(t)
    issuer.handle(handler)
    const { keySource } = source(issuer.url)
    await t.rejects(loadingOf(t, keySource, sign(keys.rsa, 'RS256', rsaKid)),
      { code: 'FST_JWT_AUTH_JWKS_FAILED', cause: { message: `The JWKS document is larger than ${MAX_JWKS_BYTES} bytes` } },
      `${what}: refused`)
  }
  const issuer = await startIssuer(t)
  issuer.handle(chunked(padded(MAX_JWKS_BYTES)))
  const { keySource } = source(issuer.url)
  const token = sign(keys.rsa, 'RS256', rsaKid)
  t.match((await verifierAfterLoad(keySource, token))(token), PAYLOAD, 'exactly the limit: read and used')
})

t.test('a fetch that takes longer than the timeout fails: no answer, or a body dribbled slowly', async (t) => {
  const body = JSON.stringify(baseSet)
  const cases: Array<[string, Handler]> = [
    ['no answer at all', () => {}],
    ['headers, then no body', (_request, response) => { response.writeHead(200).flushHeaders() }],
    ['the body a byte at a time', (_request, response) => {
      response.writeHead(200, { 'content-length': String(body.length) })
      let sent = 0
      const timer = setInterval(() => { response.write(body[sent++]) }, 100)
      response.on('close', () => { clearInterval(timer) })
    }]
  ]
  for (const [what, handler] of cases) {
    const issuer = await startIssuer(t)
    issuer.handle(handler)
    const { keySource, warnings } = source(issuer.url, { timeout: 1 })
    await t.rejects(loadingOf(t, keySource, sign(keys.rsa, 'RS256', rsaKid)),
      { code: 'FST_JWT_AUTH_JWKS_FAILED', cause: { code: 'ERR_JWKS_TIMEOUT' } }, `${what}: the timeout ends it`)
    t.match(warnings, [{ object: { err: { code: 'ERR_JWKS_TIMEOUT' } } }], `${what}: logged`)
  }
})

t.test('an issuer that cannot be reached fails the load', async (t) => {
  const issuer = await openIssuer()
  // A port nobody listens on any more.
  await issuer.close()
  const { keySource } = source(issuer.url)
  await t.rejects(loadingOf(t, keySource, sign(keys.rsa, 'RS256', rsaKid)),
    { code: 'FST_JWT_AUTH_JWKS_FAILED', cause: { message: /fetch failed/ } })
})

t.test('the query string is not logged', async (t) => {
  const issuer = await startIssuer(t)
  issuer.handle((_request, response) => { response.writeHead(500).end() })
  const url = new URL(issuer.url)
  url.search = '?api_key=secret-value'
  const { keySource, warnings } = source(url)
  await keySource.refresh()
  t.equal(warnings.length, 1)
  t.equal(JSON.stringify(warnings).includes('secret-value'), false, 'the query string is left out of the log')
})

t.test('a key whose JWK parses but is not valid for its type is ignored', async (t) => {
  const issuer = await startIssuer(t)
  const jwk = createPublicKey(keys.ecP256.publicKey).export({ format: 'jwk' }) as JsonWebKey
  issuer.serve({ keys: [{ ...jwk, crv: 'P-384', kid: 'wrong-curve', alg: 'ES384' }, { ...jwk, kid: 'ok', alg: 'ES256' }] })
  const { keySource, warnings } = source(issuer.url)
  await keySource.refresh()
  t.same(keySource.jwks().keys.map(key => key.kid), ['ok'])
  t.match(warnings, [{ object: { ignoredKeys: 1, reasons: { 'key does not fit its alg': 1 } } }])
})
