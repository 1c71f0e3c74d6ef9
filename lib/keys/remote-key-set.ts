// The `jwksUrl` key source: the public keys of another issuer, fetched from
// its JWKS endpoint and chosen by `kid`. jose fetches the document (timeout,
// no redirects, the JWK Set shape); which keys are kept, and when the
// document is fetched again, is decided here: a token whose key is in hand
// never waits for the issuer, and tokens naming unknown keys cannot make this
// instance hammer it.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { RemoteJWKSet } from 'jose' with { 'resolution-mode': 'import' }
import { invalidTokenError, JwksError } from '../errors'
import type { Algorithm } from '../options'
import type { JwkSet, PublicJwk } from './jwk'
import { createSignatureVerifier, KeyNotLoaded, MAX_KID_LENGTH, type KeySource, type VerifySignature } from './key-source'
import { fitsKey, MIN_RSA_BITS } from './material'
import { readKeyHeader } from './token-header'

export interface RemoteKeySetOptions {
  url: URL
  /** Accepted algorithms: asymmetric only (the instance's decodeAlgorithms). */
  algorithms: readonly Algorithm[]
  /** Seconds after a successful fetch before the set is fetched again (in the background). */
  cacheMaxAge: number
  /** Seconds after a fetch attempt during which no other attempt is made. */
  cooldown: number
  /** Seconds a fetch may take, its body included. */
  timeout: number
  /** Where fetch failures and ignored keys are reported (the plugin passes fastify.log); never gets a key or a token. */
  log: { warn: (object: object, message: string) => void }
}

export interface RemoteKeySource extends KeySource {
  /** Fetches the set now unless a fetch is pending or the cooldown forbids it; never rejects (failures are logged). */
  refresh: () => Promise<void>
}

/** Bytes of a document (decompressed) beyond which it is refused, mid-read: a huge answer cannot exhaust memory. */
export const MAX_JWKS_BYTES = 1024 * 1024
/** Keys kept from one document; the rest are ignored. */
export const MAX_REMOTE_KEYS = 100
// Members only a private or secret key has: such a JWK is never a verification key.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

interface KeptKey {
  alg: Algorithm
  /** SPKI DER of the key: tells whether a refetched key is the same one. */
  der: Buffer
  /** As published by jwks(): the public members only. */
  jwk: PublicJwk
  verify: VerifySignature
}

/** What one JWK of a document is, after the checks: a key to keep, or the reason it is ignored. */
type Verdict = { kid: string, alg: Algorithm, key: KeyObject } | { ignored: string }

/**
 * global fetch, reading at most MAX_JWKS_BYTES of the body. jose passes its
 * timeout signal, which also aborts the reading of a body dribbled slowly.
 */
async function fetchCapped (url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init)
  if (response.status !== 200) {
    await response.body?.cancel()
    // Redirects are not followed (redirect: 'manual'): they answer 3xx here.
    throw new Error(`The JWKS endpoint answered with status ${response.status}, not 200`)
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_JWKS_BYTES) {
      // Cancelling the body aborts the request.
      await reader.cancel()
      throw new Error(`The JWKS document is larger than ${MAX_JWKS_BYTES} bytes`)
    }
    chunks.push(value)
  }
  return new Response(Buffer.concat(chunks), { status: 200, headers: response.headers })
}

/** The checks of one JWK, cheapest first; only a public signature key of an accepted algorithm passes. */
function judge (jwk: Record<string, unknown>, algorithms: readonly Algorithm[], kidCounts: Map<unknown, number>): Verdict {
  const { kid, alg, use, key_ops: keyOps } = jwk
  if (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH) return { ignored: 'no valid kid' }
  if ((kidCounts.get(kid) as number) > 1) return { ignored: 'kid not unique in the set' }
  // A JWK without alg (or with one of another family) would let a token choose
  // how its key is used: the algorithm confusion attacks.
  if (!(algorithms as readonly unknown[]).includes(alg)) return { ignored: 'alg missing or not accepted' }
  if ((use !== undefined && use !== 'sig') || (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify')))) {
    return { ignored: 'not a signature verification key' }
  }
  if (PRIVATE_MEMBERS.some(member => Object.hasOwn(jwk, member))) return { ignored: 'private or secret key' }
  let key: KeyObject
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch {
    return { ignored: 'key does not fit its alg' }
  }
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (!fitsKey(alg as Algorithm, key) || (key.asymmetricKeyType === 'rsa' && (bits as number) < MIN_RSA_BITS)) {
    return { ignored: 'key does not fit its alg' }
  }
  return { kid, alg: alg as Algorithm, key }
}

/** The keys of a document worth keeping, by kid, and why the others were ignored. */
function selectKeys (entries: Array<Record<string, unknown>>, algorithms: readonly Algorithm[]) {
  const kidCounts = new Map<unknown, number>()
  for (const { kid } of entries) kidCounts.set(kid, (kidCounts.get(kid) ?? 0) + 1)
  const selected = new Map<string, { alg: Algorithm, key: KeyObject, use: unknown }>()
  const reasons: Record<string, number> = {}
  for (const jwk of entries) {
    const verdict: Verdict = selected.size >= MAX_REMOTE_KEYS
      ? { ignored: `more than ${MAX_REMOTE_KEYS} keys` }
      : judge(jwk, algorithms, kidCounts)
    if ('ignored' in verdict) {
      reasons[verdict.ignored] = (reasons[verdict.ignored] ?? 0) + 1
    } else {
      selected.set(verdict.kid, { alg: verdict.alg, key: verdict.key, use: jwk.use })
    }
  }
  return { selected, ignored: entries.length - selected.size, reasons }
}

export function createRemoteKeySource (options: RemoteKeySetOptions): RemoteKeySource {
  const { url, algorithms, log } = options
  const cacheMaxAge = options.cacheMaxAge * 1000
  const cooldown = options.cooldown * 1000
  // The monotonic clock: a change of the wall clock neither freezes nor floods the fetches.
  const now = () => performance.now()

  let keys = new Map<string, KeptKey>()
  // For tokens without kid: the only key of each algorithm, null when there are several.
  let byAlg = new Map<unknown, KeptKey | null>()
  let fetchedAt = -Infinity
  let attemptedAt = -Infinity
  let lastError: unknown
  let pending: Promise<void> | undefined
  const listeners: Array<() => void> = []

  let remoteSet: Promise<RemoteJWKSet> | undefined
  // jose is ESM only: imported on the first fetch. Its reload() fetches the
  // document now, one request at a time, and never follows a redirect.
  const fetcher = () => (remoteSet ??= import('jose').then(jose => jose.createRemoteJWKSet(url, {
    // Whole milliseconds: jose refuses any other number.
    timeoutDuration: Math.round(options.timeout * 1000),
    [jose.customFetch]: fetchCapped
  })))

  function apply (document: JwkSet): boolean {
    // jose has checked the shape: an object whose `keys` is a list of objects.
    const { selected, ignored, reasons } = selectKeys(document.keys as unknown as Array<Record<string, unknown>>, algorithms)
    const next = new Map<string, KeptKey>()
    let changed = false
    for (const [kid, { alg, key, use }] of selected) {
      const der = key.export({ type: 'spki', format: 'der' })
      const previous = keys.get(kid)
      if (previous !== undefined && previous.alg === alg && previous.der.equals(der)) {
        next.set(kid, previous)
        continue
      }
      changed ||= previous !== undefined
      const members = key.export({ format: 'jwk' })
      const jwk = { ...members, kid, alg, ...(use === undefined ? {} : { use }) } as PublicJwk
      const pem = key.export({ type: 'spki', format: 'pem' }) as string
      next.set(kid, { alg, der, jwk, verify: createSignatureVerifier(pem, [alg]) })
    }
    for (const kid of keys.keys()) changed ||= !next.has(kid)
    keys = next
    byAlg = new Map()
    for (const key of next.values()) byAlg.set(key.alg, byAlg.has(key.alg) ? null : key)
    if (ignored > 0) {
      log.warn({ jwksUrl: url.origin + url.pathname, ignoredKeys: ignored, reasons },
        'fastify-jwt-auth: keys of the JWKS were ignored')
    }
    return changed
  }

  async function fetchSet (): Promise<void> {
    try {
      const remote = await fetcher()
      await remote.reload()
      const changed = apply(remote.jwks() as unknown as JwkSet)
      fetchedAt = now()
      lastError = undefined
      if (changed) for (const listener of listeners) listener()
    } catch (error) {
      lastError = error
      log.warn({ jwksUrl: url.origin + url.pathname, err: error }, 'fastify-jwt-auth: the JWKS could not be fetched')
    } finally {
      attemptedAt = now()
    }
  }

  function refresh (): Promise<void> {
    if (pending !== undefined) return pending
    // Cooling down: a flood of unknown kids, or an issuer that is down, gets
    // one request per cooldown at most.
    if (now() - attemptedAt < cooldown) return Promise.resolve()
    const fetching = fetchSet().finally(() => { pending = undefined })
    pending = fetching
    return fetching
  }

  async function load (): Promise<void> {
    await refresh()
    if (lastError !== undefined) throw new JwksError('The JWKS could not be fetched', { cause: lastError })
  }

  // Stale while revalidate: the keys in hand answer now, and keep answering
  // if the issuer cannot be reached. refresh() never rejects.
  function keepFresh (): void {
    if (now() - fetchedAt >= cacheMaxAge) refresh()
  }

  return {
    verifierFor (token) {
      const { kid, alg } = readKeyHeader(token)
      const key = kid === undefined ? byAlg.get(alg) : keys.get(kid)
      if (key != null) {
        keepFresh()
        return key.verify
      }
      // No document can give a key for these: no fetch can help.
      if (kid !== undefined && kid.length > MAX_KID_LENGTH) throw invalidTokenError('Unknown "kid" header')
      if (!(algorithms as readonly unknown[]).includes(alg)) throw invalidTokenError('The specified alg value is not allowed')
      throw new KeyNotLoaded(load())
    },
    signing: () => undefined,
    jwks: () => structuredClone({ keys: [...keys.values()].map(key => key.jwk) }),
    onChange: listener => { listeners.push(listener) },
    keepFresh,
    refresh
  }
}
