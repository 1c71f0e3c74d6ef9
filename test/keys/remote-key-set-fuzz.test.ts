// lib/keys/remote-key-set.ts under arbitrary input: kid values, JWKS
// documents (arbitrary JSON, and the ignored forms of a key: no alg, use enc,
// oct, private members, wrong kty or curve, short RSA, duplicate kids, beyond
// the key limit) and issuer behaviours (statuses, redirects, huge, slow or cut
// bodies, no answer). Properties: a token the issuer's real keys did not sign
// never verifies, and every load settles within the timeout + 1 s. The
// behaviours one by one: remote-key-set.test.ts.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { createSigner, TokenError } from 'fast-jwt'
import t from 'tap'
import { JwksError, JWTDecodeError } from '../../lib/errors'
import { KeyNotLoaded } from '../../lib/keys/key-source'
import { createRemoteKeySource, MAX_JWKS_BYTES, MAX_REMOTE_KEYS, type RemoteKeySource } from '../../lib/keys/remote-key-set'
import type { Algorithm } from '../../lib/options'
import { keys, type PemKeyPair } from '../fixtures/keys'
import { forge } from '../helpers/forge'
import { openIssuer, type Handler, type Issuer } from '../helpers/jwks-issuer'

const ASYMMETRIC: Algorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const PAYLOAD = { sub: 'user-1' }
/** jwksTimeout of these tests, in seconds: every load must settle within it + 1 s. */
const TIMEOUT = 1
const SETTLE_MS = (TIMEOUT + 1) * 1000

/** Runs `run` against a new issuer answering with `handler`, then closes it. */
async function withIssuer<T> (handler: Handler, run: (issuer: Issuer) => Promise<T>): Promise<T> {
  const issuer = await openIssuer()
  issuer.handle(handler)
  try {
    return await run(issuer)
  } finally {
    await issuer.close()
  }
}

function newSource (url: URL, cooldown = 30): RemoteKeySource {
  return createRemoteKeySource({
    url,
    algorithms: ASYMMETRIC,
    cacheMaxAge: 3600,
    cooldown,
    timeout: TIMEOUT,
    log: { warn: () => {} }
  })
}

type Jwk = Record<string, unknown>

function jwkOf (pair: PemKeyPair, kid: unknown, alg: unknown): Jwk {
  return { ...createPublicKey(pair.publicKey).export({ format: 'jwk' }), kid, alg, use: 'sig' }
}

function sign (pair: PemKeyPair, algorithm: Algorithm, kid: string | undefined): string {
  return createSigner({ key: pair.privateKey, algorithm, ...(kid === undefined ? {} : { kid }) })(PAYLOAD)
}

// The issuer's real keys, always first in a served set.
const REAL = [
  { pair: keys.rsa, kid: 'real-rs', alg: 'RS256' as Algorithm },
  { pair: keys.ecP256, kid: 'real-es', alg: 'ES256' as Algorithm }
]
const REAL_KIDS = REAL.map(key => key.kid)
const realSet = (): Jwk[] => REAL.map(({ pair, kid, alg }) => jwkOf(pair, kid, alg))
// Keys the issuer does not sign with: none of them may ever verify a token.
const short = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
})
const ATTACKERS: Array<{ pair: PemKeyPair, algs: Algorithm[] }> = [
  { pair: keys.rsa2, algs: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] },
  { pair: keys.ecP384, algs: ['ES384'] },
  { pair: keys.ecP521, algs: ['ES512'] },
  { pair: keys.ed25519, algs: ['EdDSA'] }
]

type Settled = { settled: false } | { settled: true, error: unknown }

/** Whether `promise` settles within `ms` (and how). */
async function settlesWithin (promise: Promise<void>, ms: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Settled>(resolve => { timer = setTimeout(() => { resolve({ settled: false }) }, ms) })
  const outcome = promise.then(() => ({ settled: true, error: undefined }), (error: unknown) => ({ settled: true, error }))
  try {
    return await Promise.race([outcome, late]) as Settled
  } finally {
    clearTimeout(timer)
  }
}

/**
 * What the token verifier does with `token`: its key in hand, else the key
 * once loaded. Throws when a load does not settle in time, or when anything
 * fails with an error of the wrong kind.
 */
async function verifies (keySource: RemoteKeySource, token: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let verify
    try {
      verify = keySource.verifierFor(token)
    } catch (error) {
      if (error instanceof JWTDecodeError) return false
      if (!(error instanceof KeyNotLoaded)) throw new Error('verifierFor threw an unexpected error', { cause: error })
      const outcome = await settlesWithin(error.loading, SETTLE_MS)
      if (!outcome.settled) throw new Error('a load did not settle within the timeout + 1 s')
      if (outcome.error !== undefined) {
        if (!(outcome.error instanceof JwksError)) throw new Error('a load failed with an unexpected error', { cause: outcome.error })
        return false
      }
      continue
    }
    try {
      verify(token)
      return true
    } catch (error) {
      if (!(error instanceof TokenError)) throw new Error('the verifier threw an unexpected error', { cause: error })
      return false
    }
  }
  // Still unknown once loaded: the caller answers 401.
  return false
}

/** Kids of every kind: short, unicode (lone surrogates too), around the 256 limit, huge. */
const kidArbitrary = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
  fc.string({ minLength: 250, maxLength: 262 }),
  fc.string({ minLength: 1000, maxLength: 20_000 }),
  fc.constantFrom(...REAL_KIDS)
)

t.test('arbitrary kids: tokens of keys not in the set never verify', async (t) => {
  const issuer = await openIssuer()
  t.teardown(issuer.close)
  issuer.handle((_request, response) => { response.writeHead(200).end(JSON.stringify({ keys: realSet() })) })
  // A cooldown longer than the whole run: one fetch, however many made-up kids.
  const keySource = newSource(issuer.url, 3600)
  const realToken = sign(keys.rsa, 'RS256', 'real-rs')
  t.ok(await verifies(keySource, realToken), 'a token of a real key verifies')
  let accepted = 0
  await fc.assert(fc.asyncProperty(
    fc.option(kidArbitrary, { nil: undefined }),
    fc.nat({ max: ATTACKERS.length - 1 }),
    fc.nat(),
    fc.option(fc.record({ alg: fc.oneof(fc.constantFrom(...ASYMMETRIC, 'HS256', 'none', ''), fc.string()), signature: fc.base64String() })),
    async (kid, attackerIndex, algIndex, forged) => {
      const { pair, algs } = ATTACKERS[attackerIndex]
      const token = forged === null
        ? sign(pair, algs[algIndex % algs.length], kid)
        : forge({ header: { alg: forged.alg, ...(kid === undefined ? {} : { kid }) }, payload: PAYLOAD, signature: forged.signature })
      if (await verifies(keySource, token)) accepted++
      // The algorithm confusion attack, with the real key's own PEM as the HMAC secret.
      const confused = forge({ header: { alg: 'HS256', kid: kid ?? 'real-rs' }, payload: PAYLOAD, secret: keys.rsa.publicKey })
      if (await verifies(keySource, confused)) accepted++
    }
  ), { numRuns: 1000 })
  t.equal(accepted, 0, 'no token of another key was accepted')
  t.same(issuer.paths, ['/jwks'], 'one fetch in all: every made-up kid came within the cooldown')
  t.ok(await verifies(keySource, realToken), 'the real key still verifies')
})

/** A key the issuer does not sign with, published in a form that must be ignored, and a token that form would let in. */
interface Mutation {
  entries: Jwk[]
  token: string
}

function mutationArbitrary (kid: fc.Arbitrary<string>): fc.Arbitrary<Mutation> {
  const attacker = fc.constantFrom(...ATTACKERS).chain(({ pair, algs }) =>
    fc.record({ pair: fc.constant(pair), alg: fc.constantFrom(...algs), kid }))
  const member = fc.constantFrom('d', 'p', 'q', 'dp', 'dq', 'qi', 'k')
  return fc.oneof(
    // No alg: the token would choose how the key is used.
    attacker.map(({ pair, alg, kid }) => {
      const { alg: _alg, ...jwk } = jwkOf(pair, kid, alg)
      return { entries: [jwk], token: sign(pair, alg, kid) }
    }),
    // Not for signatures.
    fc.tuple(attacker, fc.oneof(
      fc.record({ use: fc.oneof(fc.constant('enc'), fc.string().filter(use => use !== 'sig'), fc.integer()) }),
      fc.record({
        key_ops: fc.oneof(
          fc.array(fc.string().filter(operation => operation !== 'verify')),
          fc.constant('verify'),
          fc.jsonValue().filter(value => !(Array.isArray(value) && value.includes('verify'))))
      })
    )).map(([{ pair, alg, kid }, extra]) => ({ entries: [{ ...jwkOf(pair, kid, alg), ...extra }], token: sign(pair, alg, kid) })),
    // Private members: a private key, or a public one carrying one of them.
    fc.tuple(attacker, fc.option(fc.tuple(member, fc.jsonValue()))).map(([{ pair, alg, kid }, extra]) => ({
      entries: [extra === null
        ? { ...createPrivateKey(pair.privateKey).export({ format: 'jwk' }), kid, alg }
        : { ...jwkOf(pair, kid, alg), [extra[0]]: extra[1] }],
      token: sign(pair, alg, kid)
    })),
    // An oct key: an HMAC secret, whatever its alg says.
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), kid, fc.constantFrom('HS256', 'HS384', 'HS512', ...ASYMMETRIC))
      .map(([secret, kid, alg]) => ({
        entries: [{ kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid, alg }],
        token: forge({ header: { alg: 'HS256', kid }, payload: PAYLOAD, secret: Buffer.from(secret) })
      })),
    // The alg of another family or kind: the token signs as the key's real kind.
    fc.tuple(attacker, fc.constantFrom('HS256', 'HS512', 'none', 'ES256', 'RS256', 'EdDSA', 'RSA-OAEP'))
      .filter(([{ alg }, published]) => !ATTACKERS.some(({ algs }) => algs.includes(alg) && algs.includes(published as Algorithm)))
      .map(([{ pair, alg, kid }, published]) => ({ entries: [jwkOf(pair, kid, published)], token: sign(pair, alg, kid) })),
    // The public key's PEM as an HMAC secret.
    attacker.map(({ pair, kid }) => ({
      entries: [jwkOf(pair, kid, 'HS256')],
      token: forge({ header: { alg: 'HS256', kid }, payload: PAYLOAD, secret: pair.publicKey })
    })),
    // A kty or curve that does not fit the key's members.
    fc.tuple(attacker, fc.constantFrom('RSA', 'EC', 'OKP', 'oct', 'AKP'), fc.constantFrom('P-256', 'P-384', 'P-521', 'Ed25519', 'Ed448'))
      .map(([{ pair, alg, kid }, kty, crv]) => {
        const jwk = jwkOf(pair, kid, alg)
        // Another kty; or, for a key with a curve, another curve.
        const change = kty !== jwk.kty ? { kty } : jwk.crv !== undefined && crv !== jwk.crv ? { crv } : { kty: 'oct' }
        return { entries: [{ ...jwk, ...change }], token: sign(pair, alg, kid) }
      }),
    // RSA shorter than 2048 bits.
    fc.tuple(kid, fc.constantFrom<Algorithm>('RS256', 'PS256'))
      .map(([kid, alg]) => ({ entries: [jwkOf(short, kid, alg)], token: sign(short, alg, kid) })),
    // A kid named twice: both are dropped, even where one of them is valid.
    fc.tuple(attacker, fc.constantFrom(...ATTACKERS), fc.boolean()).map(([{ pair, alg, kid }, other, attackerFirst]) => {
      const entries = [jwkOf(pair, kid, alg), jwkOf(other.pair, kid, other.algs[0])]
      return { entries: attackerFirst ? entries : entries.reverse(), token: sign(pair, alg, kid) }
    }),
    // No kid, or one no token can name.
    fc.tuple(attacker, fc.constantFrom(undefined, '', 5, null, ['kid'], 'k'.repeat(257))).map(([{ pair, alg }, badKid]) => ({
      entries: [jwkOf(pair, badKid, alg)],
      token: sign(pair, alg, typeof badKid === 'string' && badKid !== '' ? badKid : badKid === 5 ? '5' : undefined)
    })),
    // Beyond the limit of kept keys.
    attacker.map(({ pair, alg, kid }) => ({
      entries: [
        ...Array.from({ length: MAX_REMOTE_KEYS - REAL.length }, (_, i) => jwkOf(keys.ecP256, `filler-${i}`, 'ES256')),
        jwkOf(pair, kid, alg)
      ],
      token: sign(pair, alg, kid)
    }))
  )
}

t.test('arbitrary documents: a key the issuer published only in an ignored form never verifies', async (t) => {
  const plainKid = fc.string({ minLength: 1, maxLength: 20 }).filter(kid => !REAL_KIDS.includes(kid))
  let document = ''
  const serveDocument: Handler = (_request, response) => { response.writeHead(200).end(document) }
  let checked = 0
  let realVerified = 0
  await fc.assert(fc.asyncProperty(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          mutation: mutationArbitrary(fc.oneof(plainKid, kidArbitrary)),
          noise: fc.array(fc.object({ maxDepth: 2 }), { maxLength: 3 }),
          noiseFirst: fc.boolean()
        })
      },
      { weight: 1, arbitrary: fc.record({ json: fc.jsonValue(), mutation: mutationArbitrary(plainKid) }) }
    ),
    async (run) => withIssuer(serveDocument, async (issuer) => {
      const source = newSource(issuer.url)
      if ('json' in run) {
        // Arbitrary JSON, maybe a set, holding the attacker's key in an ignored form somewhere.
        document = JSON.stringify(run.json)
        if (run.json !== null && typeof run.json === 'object' && !Array.isArray(run.json)) {
          document = JSON.stringify({ ...run.json, keys: [...realSet(), ...run.mutation.entries] })
        }
        if (await verifies(source, run.mutation.token)) throw new Error('a token of an ignored key was accepted')
      } else {
        const { mutation, noise, noiseFirst } = run
        // Noise never names a real kid: the real keys stay unambiguous.
        const named = noise.map(entry => ({ ...entry, kid: `noise-${String(entry.kid)}` }))
        const others = noiseFirst ? [...named, ...mutation.entries] : [...mutation.entries, ...named]
        document = JSON.stringify({ keys: [...realSet(), ...others] })
        if (await verifies(source, mutation.token)) throw new Error('a token of an ignored key was accepted')
        const mutatedKids = mutation.entries.map(entry => entry.kid)
        const real = REAL.find(({ kid }) => !mutatedKids.includes(kid))
        if (real !== undefined) {
          if (!(await verifies(source, sign(real.pair, real.alg, real.kid)))) throw new Error('a real key did not verify')
          realVerified++
        }
      }
      checked++
    })
  ), { numRuns: 300 })
  t.ok(checked >= 300, `${checked} documents checked`)
  t.ok(realVerified > 0, 'the real keys of the documents built from keys verified')
})

/** Answers the attacker's valid set (the real keys, and its key as a valid one) in a way that must never be used. */
interface Behaviour {
  name: string
  handler: Handler
  /** Whether the answer is used: the real keys then verify. */
  usable: boolean
}

function behaviourArbitrary (attackerSet: string): fc.Arbitrary<Behaviour> {
  const realDocument = JSON.stringify({ keys: realSet() })
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Behaviour>({ name: 'the real set', usable: true, handler: (_request, response) => { response.writeHead(200).end(realDocument) } }) },
    {
      weight: 3,
      arbitrary: fc.integer({ min: 201, max: 599 }).map((status): Behaviour => ({
        name: `status ${status}`,
        usable: false,
        handler: (_request, response) => { response.writeHead(status, { 'content-type': 'application/json' }).end(attackerSet) }
      }))
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(301, 302, 303, 307, 308).map((status): Behaviour => ({
        name: `redirect ${status}`,
        usable: false,
        handler: (request, response) => {
          if (request.url === '/jwks') response.writeHead(status, { location: '/attacker' }).end()
          else response.writeHead(200).end(attackerSet)
        }
      }))
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 1, max: 4 * MAX_JWKS_BYTES }).map((extra): Behaviour => ({
        name: `a body ${extra} bytes over the limit`,
        usable: false,
        handler: (_request, response) => {
          response.writeHead(200).end(' '.repeat(Math.max(0, MAX_JWKS_BYTES + extra - attackerSet.length)) + attackerSet)
        }
      }))
    },
    {
      weight: 2,
      arbitrary: fc.nat({ max: attackerSet.length - 1 }).map((cut): Behaviour => ({
        name: `the body cut at ${cut}`,
        usable: false,
        handler: (_request, response) => {
          response.writeHead(200, { 'content-length': String(attackerSet.length) })
          response.write(attackerSet.slice(0, cut), () => { response.destroy() })
        }
      }))
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom('{', attackerSet.slice(1), `${attackerSet}}`, attackerSet.replace('{', '[')).map((body): Behaviour => ({
        name: 'not JSON',
        usable: false,
        handler: (_request, response) => { response.writeHead(200).end(body) }
      }))
    },
    { weight: 1, arbitrary: fc.constant<Behaviour>({ name: 'the connection destroyed', usable: false, handler: (request) => { request.socket.destroy() } }) },
    { weight: 1, arbitrary: fc.constant<Behaviour>({ name: 'no answer', usable: false, handler: () => {} }) },
    { weight: 1, arbitrary: fc.constant<Behaviour>({ name: 'headers, then nothing', usable: false, handler: (_request, response) => { response.writeHead(200).flushHeaders() } }) },
    {
      weight: 1,
      arbitrary: fc.constant<Behaviour>({
        name: 'a body dribbled slowly',
        usable: false,
        handler: (_request, response) => {
          response.writeHead(200, { 'content-length': String(attackerSet.length) })
          let sent = 0
          const timer = setInterval(() => { response.write(attackerSet.slice(sent, sent += 16)) }, 100)
          response.on('close', () => { clearInterval(timer) })
        }
      })
    }
  )
}

t.test('arbitrary issuer behaviours: only a 200 answered in time is used, and every load settles in time', async (t) => {
  const attacker = ATTACKERS[0]
  const attackerKid = 'attacker'
  const attackerSet = JSON.stringify({ keys: [...realSet(), jwkOf(attacker.pair, attackerKid, 'RS256')] })
  const attackerToken = sign(attacker.pair, 'RS256', attackerKid)
  const realToken = sign(keys.ecP256, 'ES256', 'real-es')
  let usable = 0
  await fc.assert(fc.asyncProperty(behaviourArbitrary(attackerSet), async (behaviour) => withIssuer(behaviour.handler, async (issuer) => {
    const source = newSource(issuer.url)
    if (await verifies(source, attackerToken)) throw new Error(`${behaviour.name}: the attacker's key was used`)
    if (await verifies(source, realToken) !== behaviour.usable) {
      throw new Error(`${behaviour.name}: the real key ${behaviour.usable ? 'did not verify' : 'verified from an unusable answer'}`)
    }
    if (issuer.paths.includes('/attacker')) throw new Error(`${behaviour.name}: a redirect was followed`)
    if (behaviour.usable) usable++
  })), { numRuns: 60 })
  t.ok(usable > 0, 'some answers were usable, and their real keys verified')
})
