// Recognises key material given where an HMAC secret belongs. An HS* token is
// signed with the secret itself, so a public key, a certificate or a JWK used
// as `secretKey` lets anyone who can read it (everyone, for a public key) sign
// tokens that verify: the algorithm-confusion attack, set up by configuration.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'

// Key pairs and certificates are at least this long in DER; shorter base64
// text is not worth decoding.
const MIN_DER_BYTES = 32
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/
const SSH_PUBLIC_KEY = /^\s*(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-|sk-(ssh|ecdsa)-)\S* AAAA/

/**
 * What kind of key material `secret` is ("a PEM key or certificate", "a JWK",
 * …), or undefined for an ordinary secret.
 */
export function looksLikeKeyMaterial (secret: string | Buffer): string | undefined {
  const text = Buffer.isBuffer(secret) ? secret.toString('latin1') : secret
  if (text.includes('-----BEGIN ')) return 'a PEM key or certificate'
  if (SSH_PUBLIC_KEY.test(text)) return 'an SSH public key'
  if (isJwk(text)) return 'a JWK'
  const der = Buffer.isBuffer(secret) ? secret : base64Bytes(secret)
  if (der !== undefined && isDerKeyOrCertificate(der)) return 'a DER key or certificate'
  return undefined
}

function isJwk (text: string): boolean {
  if (!text.trimStart().startsWith('{')) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return false
  }
  const { kty, keys } = parsed as { kty?: unknown, keys?: unknown }
  return typeof kty === 'string' || Array.isArray(keys)
}

/** The bytes of base64 text long enough to hold a DER key; undefined for anything else. */
function base64Bytes (text: string): Buffer | undefined {
  if (!BASE64_TEXT.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  return bytes.length >= MIN_DER_BYTES ? bytes : undefined
}

function isDerKeyOrCertificate (der: Buffer): boolean {
  const attempts = [
    () => createPublicKey({ key: der, format: 'der', type: 'spki' }),
    () => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
    () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    () => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
    () => createPrivateKey({ key: der, format: 'der', type: 'sec1' }),
    () => new X509Certificate(der)
  ]
  return attempts.some(attempt => {
    try {
      attempt()
      return true
    } catch {
      return false
    }
  })
}
