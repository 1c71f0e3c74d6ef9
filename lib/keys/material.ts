// Checks the keys against the algorithms once, at registration, so that a
// wrong key is a clear configuration error instead of a failure per request.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { ConfigError } from '../errors'
import type { Algorithm } from '../options'
import { looksLikeKeyMaterial } from '../secret-check'
import { emitConfigWarning } from '../warnings'

export interface KeyMaterial {
  /** The HS* secret or the PEM private key; undefined on a verify-only instance. */
  signingKey: string | Buffer | undefined
  /** The HS* secret or the PEM public key. */
  verifyingKey: string | Buffer
  /** The public key of an asymmetric pair, for publishing; undefined for an HS* secret. */
  publicKey: KeyObject | undefined
}

/** How a key option is called in messages: `secretKey` alone, or `keys[2].secretKey` in a key set. */
export type NameOf = (option: keyof KeyOptions) => string

const plainName: NameOf = option => option

export interface KeyOptions {
  secretKey?: string | Buffer
  privateKey?: string | Buffer
  publicKey?: string | Buffer
}

export function isHmac (algorithm: Algorithm): boolean {
  return algorithm.startsWith('HS')
}

/** Bytes of the HMAC hash: a shorter secret weakens the signature. */
function hashBytes (algorithm: Algorithm): number {
  return Number(algorithm.slice(2)) / 8
}

// The key each asymmetric algorithm needs (fast-jwt has no RSA-PSS key support:
// PS* use a plain RSA key).
const KEY_KINDS: Record<string, (key: KeyObject) => boolean> = {
  RS: key => key.asymmetricKeyType === 'rsa',
  PS: key => key.asymmetricKeyType === 'rsa',
  ES256: key => key.asymmetricKeyDetails?.namedCurve === 'prime256v1',
  ES384: key => key.asymmetricKeyDetails?.namedCurve === 'secp384r1',
  ES512: key => key.asymmetricKeyDetails?.namedCurve === 'secp521r1',
  EdDSA: key => key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448'
}

/** Whether `key` is of the kind (and curve) `algorithm` signs with. */
export function fitsKey (algorithm: Algorithm, key: KeyObject): boolean {
  const check = KEY_KINDS[algorithm] ?? KEY_KINDS[algorithm.slice(0, 2)]
  return check(key)
}

// RFC 7518 §3.3: RSA keys for RS* and PS* must have at least 2048 bits;
// shorter moduli are within reach of factoring.
export const MIN_RSA_BITS = 2048

function describeKey (key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve === undefined ? `${key.asymmetricKeyType} key` : `${key.asymmetricKeyType} key on ${curve}`
}

export function resolveKeys (options: KeyOptions, decodeAlgorithms: Algorithm[]): KeyMaterial {
  const hmac = decodeAlgorithms.filter(isHmac)
  if (hmac.length > 0 && hmac.length < decodeAlgorithms.length) {
    // One key cannot serve both; accepting both invites algorithm confusion.
    throw new ConfigError('decodeAlgorithms mixes HS* and asymmetric algorithms: use one family')
  }
  if (hmac.length > 0) {
    if (options.secretKey === undefined) {
      throw new ConfigError(`secretKey is required for ${hmac.join(', ')}: pass it, or set AUTHJWT_SECRET_KEY ` +
        'and pass no key option in code')
    }
    refuseUnused(options, ['privateKey', 'publicKey'], hmac)
    return secretKeys(options.secretKey, hmac)
  }
  if (options.privateKey === undefined && options.publicKey === undefined) {
    throw new ConfigError(`privateKey or publicKey is required for ${decodeAlgorithms.join(', ')}`)
  }
  refuseUnused(options, ['secretKey'], decodeAlgorithms)
  return asymmetricKeys(options, decodeAlgorithms)
}

// Key material the algorithms do not use is a sign that two configurations
// were mixed (code and environment, or a .env planted beside the app): an
// asymmetric algorithm from one place would otherwise silently set aside the
// secret from the other, and the reverse.
function refuseUnused (options: KeyOptions, unused: Array<keyof KeyOptions>, algorithms: Algorithm[]): void {
  const given = unused.filter(name => options[name] !== undefined)
  if (given.length > 0) {
    throw new ConfigError(`${given.join(' and ')} cannot be used with ${algorithms.join(', ')}: ` +
      'remove it, or choose an algorithm that uses it')
  }
}

/** Checks an HMAC secret for the algorithms: never key material, and warned about when short. */
export function secretKeys (secret: string | Buffer, algorithms: Algorithm[], nameOf: NameOf = plainName): KeyMaterial {
  const keyKind = looksLikeKeyMaterial(secret)
  if (keyKind !== undefined) {
    // A public key is public: anyone could HMAC-sign tokens with it. And a key
    // of an asymmetric pair used as an HMAC secret is the classic algorithm
    // confusion set-up, so every form of key material is refused here.
    throw new ConfigError(`${nameOf('secretKey')} is ${keyKind}, not an HMAC secret: use a long random secret for HS*, ` +
      'or privateKey/publicKey with an RS*, PS*, ES* or EdDSA algorithm')
  }
  const strongest = algorithms.reduce((a, b) => hashBytes(a) >= hashBytes(b) ? a : b)
  if (Buffer.byteLength(secret) < hashBytes(strongest)) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SECRET',
      `fastify-jwt-auth: ${nameOf('secretKey')} is shorter than ${hashBytes(strongest)} bytes, the hash size of ` +
      `${strongest}; use a longer random secret`)
  }
  // fast-jwt takes a string or a Buffer, not any Uint8Array.
  const key = typeof secret === 'string' ? secret : Buffer.from(secret)
  return { signingKey: key, verifyingKey: key, publicKey: undefined }
}

/**
 * Checks a private and/or public key for the algorithms: a valid PEM key of
 * the right kind and size, and one pair when both are given.
 */
export function asymmetricKeys (options: KeyOptions, algorithms: Algorithm[], nameOf: NameOf = plainName): KeyMaterial {
  const { privateKey, publicKey } = options
  const privateObject = privateKey === undefined ? undefined : parseKey(privateKey, 'privateKey', nameOf)
  const publicObject = publicKey === undefined
    ? createPublicKey(privateObject as KeyObject)
    : parseKey(publicKey, 'publicKey', nameOf)

  if (privateObject !== undefined && publicKey !== undefined && !sameKeyPair(privateObject, publicObject)) {
    throw new ConfigError(`${nameOf('publicKey')} does not belong to ${nameOf('privateKey')}`)
  }
  const keyName = nameOf(privateKey === undefined ? 'publicKey' : 'privateKey')
  for (const algorithm of algorithms) {
    if (!fitsKey(algorithm, publicObject)) {
      throw new ConfigError(`${keyName} (${describeKey(publicObject)}) cannot be used with ${algorithm}: ` +
        'use a key of the right kind, or change algorithm / decodeAlgorithms')
    }
  }
  const bits = publicObject.asymmetricKeyDetails?.modulusLength
  if (publicObject.asymmetricKeyType === 'rsa' && (bits as number) < MIN_RSA_BITS) {
    throw new ConfigError(`${keyName} is an RSA key of ${bits as number} bits: ${algorithms.join(', ')} ` +
      `need at least ${MIN_RSA_BITS} bits`)
  }
  return {
    // fast-jwt takes a string or a Buffer, not any Uint8Array.
    signingKey: privateKey === undefined || typeof privateKey === 'string' ? privateKey : Buffer.from(privateKey),
    verifyingKey: publicObject.export({ type: 'spki', format: 'pem' }) as string,
    publicKey: publicObject
  }
}

function parseKey (pem: string | Buffer, name: 'privateKey' | 'publicKey', nameOf: NameOf): KeyObject {
  if (name === 'publicKey' && isPrivateKey(pem)) {
    // createPublicKey would quietly derive the public half: refuse to keep a
    // private key where only a public one belongs.
    throw new ConfigError(`${nameOf('publicKey')} is a private key: pass the public key there ` +
      `(or the private key as ${nameOf('privateKey')})`)
  }
  try {
    return name === 'privateKey' ? createPrivateKey(pem) : createPublicKey(pem)
  } catch {
    // The parser's message may quote the input: never let a key reach a log.
    throw new ConfigError(`${nameOf(name)} is not a valid PEM ${name === 'privateKey' ? 'private' : 'public'} key`)
  }
}

function isPrivateKey (pem: string | Buffer): boolean {
  try {
    createPrivateKey(pem)
    return true
  } catch {
    return false
  }
}

function sameKeyPair (privateObject: KeyObject, publicObject: KeyObject): boolean {
  const derived = createPublicKey(privateObject).export({ type: 'spki', format: 'der' })
  return derived.equals(publicObject.export({ type: 'spki', format: 'der' }))
}
