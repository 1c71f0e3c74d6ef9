// The `keys` option: several keys, each named by a `kid`. The first key that
// can sign signs, and writes its kid in every token's header; each key
// verifies only the tokens whose header names its kid, with its own
// algorithm, so no token is ever tried against several keys. `setKeys`
// replaces the set on a live instance.
import { ConfigError, invalidTokenError } from '../errors'
import { ALGORITHMS, type Algorithm } from '../options'
import { publicJwk, type JwkSet, type PublicJwk } from './jwk'
import { createSignatureVerifier, MAX_KID_LENGTH, type KeySource, type VerifySignature } from './key-source'
import { asymmetricKeys, isHmac, secretKeys, type KeyMaterial, type NameOf } from './material'
import { createSigning, type Signing } from './signing'
import { readKeyHeader } from './token-header'

/** One entry of the `keys` option. */
export type KeyOption = {
  /** Names the key in token headers and in the JWKS: a non-empty string, unique in the set. */
  kid: string
  /** The one algorithm this key signs and verifies with. */
  algorithm: Algorithm
  /**
   * This key also verifies tokens without `kid`: those signed by a single key
   * before the application moved to a key set. At most one key of a set.
   */
  tokensWithoutKid?: boolean
} & (
  | { secretKey: string | Buffer, privateKey?: never, publicKey?: never }
  | { secretKey?: never, privateKey: string | Buffer, publicKey?: string | Buffer }
  | { secretKey?: never, privateKey?: never, publicKey: string | Buffer }
)

interface SetKey {
  kid: string
  algorithm: Algorithm
  material: KeyMaterial
  tokensWithoutKid: boolean
}

const ENTRY_MEMBERS = new Set(['kid', 'algorithm', 'secretKey', 'privateKey', 'publicKey', 'tokensWithoutKid'])

/**
 * Checks a `keys` value: every entry like a single key, kids unique, at most
 * one key for tokens without `kid`, and (when given) every algorithm one of
 * `allowedAlgorithms`. Throws a ConfigError naming the entry.
 */
export function parseKeySet (value: unknown, allowedAlgorithms: readonly Algorithm[] | undefined): SetKey[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError('keys must be a non-empty list of { kid, algorithm, secretKey } or ' +
      '{ kid, algorithm, privateKey?, publicKey? }')
  }
  const kids = new Map<string, number>()
  let withoutKid: number | undefined
  return value.map((entry: unknown, index) => {
    const key = parseEntry(entry, `keys[${index}]`, allowedAlgorithms)
    const earlier = kids.get(key.kid)
    if (earlier !== undefined) throw new ConfigError(`keys[${index}].kid is the kid of keys[${earlier}]: kids must be unique`)
    kids.set(key.kid, index)
    if (key.tokensWithoutKid) {
      if (withoutKid !== undefined) {
        throw new ConfigError(`keys[${index}].tokensWithoutKid: keys[${withoutKid}] already verifies tokens without kid; ` +
          'one key at most')
      }
      withoutKid = index
    }
    return key
  })
}

function parseEntry (entry: unknown, name: string, allowedAlgorithms: readonly Algorithm[] | undefined): SetKey {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new ConfigError(`${name} must be an object { kid, algorithm, secretKey } or { kid, algorithm, privateKey?, publicKey? }`)
  }
  const fields = entry as Record<string, unknown>
  for (const member of Object.keys(fields)) {
    if (!ENTRY_MEMBERS.has(member)) throw new ConfigError(`${name} has an unknown member ${member}`)
  }
  const { kid, algorithm, secretKey, privateKey, publicKey, tokensWithoutKid = false } = fields
  if (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH) {
    throw new ConfigError(`${name}.kid must be a non-empty string of at most ${MAX_KID_LENGTH} characters`)
  }
  if (typeof algorithm === 'string' && algorithm.toLowerCase() === 'none') {
    throw new ConfigError(`${name}.algorithm: the "none" algorithm is never allowed`)
  }
  if (!(ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new ConfigError(`${name}.algorithm must be one of ${ALGORITHMS.join(', ')}`)
  }
  const keyAlgorithm = algorithm as Algorithm
  if (allowedAlgorithms !== undefined && !allowedAlgorithms.includes(keyAlgorithm)) {
    throw new ConfigError(`${name}.algorithm ${keyAlgorithm} is not one of decodeAlgorithms (${allowedAlgorithms.join(', ')})`)
  }
  if (typeof tokensWithoutKid !== 'boolean') throw new ConfigError(`${name}.tokensWithoutKid must be true or false`)
  const nameOf: NameOf = option => `${name}.${option}`
  for (const [option, given] of [['secretKey', secretKey], ['privateKey', privateKey], ['publicKey', publicKey]] as const) {
    if (given !== undefined && !isKeyValue(given)) {
      throw new ConfigError(`${nameOf(option)} must be a non-empty string or Buffer`)
    }
  }
  let material: KeyMaterial
  if (isHmac(keyAlgorithm)) {
    if (privateKey !== undefined || publicKey !== undefined || secretKey === undefined) {
      throw new ConfigError(`${name} uses ${keyAlgorithm}: give it a secretKey, and no privateKey or publicKey`)
    }
    material = secretKeys(secretKey as string | Buffer, [keyAlgorithm], nameOf)
  } else {
    if (secretKey !== undefined || (privateKey === undefined && publicKey === undefined)) {
      throw new ConfigError(`${name} uses ${keyAlgorithm}: give it a privateKey and/or publicKey, and no secretKey`)
    }
    material = asymmetricKeys({ privateKey: privateKey as string | Buffer | undefined, publicKey: publicKey as string | Buffer | undefined },
      [keyAlgorithm], nameOf)
  }
  return { kid, algorithm: keyAlgorithm, material, tokensWithoutKid }
}

function isKeyValue (value: unknown): value is string | Buffer {
  return (typeof value === 'string' && value !== '') || (value instanceof Uint8Array && value.byteLength > 0)
}

/** A checked key set, ready to verify and sign. */
interface CompiledSet {
  verifiers: Map<string, VerifySignature>
  /** The verifier of each encoded header seen: the tokens of one key share one header, read once. */
  byHeader: Map<string, VerifySignature>
  withoutKid: VerifySignature | undefined
  signing: Signing | undefined
  jwks: PublicJwk[]
}

function compile (keys: SetKey[]): CompiledSet {
  const verifiers = new Map<string, VerifySignature>()
  let withoutKid: VerifySignature | undefined
  let signing: Signing | undefined
  const jwks: PublicJwk[] = []
  for (const { kid, algorithm, material, tokensWithoutKid } of keys) {
    const verify = createSignatureVerifier(material.verifyingKey, [algorithm])
    verifiers.set(kid, verify)
    if (tokensWithoutKid) withoutKid = verify
    if (signing === undefined && material.signingKey !== undefined) {
      signing = createSigning({ key: material.signingKey, algorithms: [algorithm], kid })
    }
    if (material.publicKey !== undefined) jwks.push(publicJwk(material.publicKey, kid, algorithm))
  }
  return { verifiers, byHeader: new Map(), withoutKid, signing, jwks }
}

// Headers are few (one per key, and per custom header set); made-up ones
// only churn the map, which is emptied when full.
const MAX_KNOWN_HEADERS = 64

/** A key source over a key set, with `replace` for `setKeys`. */
export interface KeySetSource extends KeySource {
  /** Checks `keys` and puts them in force; a refused set leaves the current one in force. */
  replace: (keys: unknown) => void
}

export function createKeySetSource (keys: SetKey[], allowedAlgorithms: readonly Algorithm[] | undefined): KeySetSource {
  let current = compile(keys)
  const listeners: Array<() => void> = []

  return {
    verifierFor (token) {
      // The same text, so the same kid: the verifier still checks this header's alg.
      const header = token.slice(0, token.indexOf('.'))
      const known = current.byHeader.get(header)
      if (known !== undefined) return known
      const { kid } = readKeyHeader(token)
      const verify = kid === undefined ? current.withoutKid : current.verifiers.get(kid)
      if (verify === undefined) {
        throw invalidTokenError(kid === undefined ? 'Token has no "kid" header' : 'Unknown "kid" header')
      }
      // A copy: the slice would keep the whole token alive. One the copy
      // changed (a character beyond Latin-1) is not kept.
      const copy = Buffer.from(header, 'latin1').toString('latin1')
      if (copy === header) {
        if (current.byHeader.size >= MAX_KNOWN_HEADERS) current.byHeader.clear()
        current.byHeader.set(copy, verify)
      }
      return verify
    },
    signing: () => current.signing,
    jwks: () => structuredClone({ keys: current.jwks }) as JwkSet,
    onChange: listener => { listeners.push(listener) },
    replace (value) {
      current = compile(parseKeySet(value, allowedAlgorithms))
      for (const listener of listeners) listener()
    }
  }
}
