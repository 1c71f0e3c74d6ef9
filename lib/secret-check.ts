// Recognises key material given where an HMAC secret belongs. An HS* token is
// signed with the secret itself, so a public key, a certificate or a JWK used
// as `secretKey` lets anyone who can read it (everyone, for a public key) sign
// tokens that verify: the algorithm-confusion attack, set up by configuration.
// Keys travel in many wrappings (PEM, DER, JWK, SSH, base64 or hex of any of
// them, a file read into a Buffer), so the secret is unwrapped before it is
// judged. A raw 32-byte key cannot be told from random bytes and passes.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'

// Key pairs and certificates are at least this long in DER; shorter encoded
// text is not worth decoding.
const MIN_DER_BYTES = 32
// base64 of base64 of a key is as deep as configurations go.
const MAX_UNWRAPPING = 2
const PEM = /-----BEGIN [A-Z0-9 ]+-----/
const SSH2_PUBLIC_KEY = '---- BEGIN SSH2 PUBLIC KEY ----'
// An OpenSSH public key, also as an authorized_keys line with options before it.
const SSH_PUBLIC_KEY = /(^|\s)(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-\S+|sk-\S+)\s+AAAA/
const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

/**
 * What kind of key material `secret` is ("a PEM key or certificate", "a JWK",
 * …), or undefined for an ordinary secret.
 */
export function looksLikeKeyMaterial (secret: string | Uint8Array): string | undefined {
  return describe(typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret), 0)
}

function describe (bytes: Buffer, depth: number): string | undefined {
  const text = textOf(bytes)
  const kind = describeText(text)
  if (kind !== undefined) return kind
  if (isDerKeyOrCertificate(bytes)) return 'a DER key or certificate'
  if (depth === MAX_UNWRAPPING) return undefined
  for (const decoded of decodings(text)) {
    const inner = describe(decoded, depth + 1)
    if (inner !== undefined) return inner
  }
  return undefined
}

/** The bytes as text: UTF-8 without a byte order mark, or UTF-16 when every other byte is zero. */
function textOf (bytes: Buffer): string {
  const utf16 = bytes.length >= 2 && bytes.length % 2 === 0 && bytes[1] === 0
  const text = utf16 ? bytes.toString('utf16le') : bytes.toString('utf8')
  return text.replace(/^\uFEFF/, '').trim()
}

function describeText (text: string): string | undefined {
  if (PEM.test(text)) return 'a PEM key or certificate'
  if (text.includes(SSH2_PUBLIC_KEY) || SSH_PUBLIC_KEY.test(text)) return 'an SSH public key'
  if (isJwk(text)) return 'a JWK'
  return undefined
}

/** JSON holding a `kty` anywhere: a JWK, a JWK set, or a list of JWKs. */
function isJwk (text: string): boolean {
  if (!(text.startsWith('{') || text.startsWith('['))) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return false
  }
  const pending = [parsed]
  while (pending.length > 0) {
    const value = pending.pop()
    if (value === null || typeof value !== 'object') continue
    if (!Array.isArray(value) && typeof (value as { kty?: unknown }).kty === 'string') return true
    pending.push(...Object.values(value))
  }
  return false
}

/** The bytes `text` stands for when it is hex, base64 or base64url long enough to hold a key. */
function decodings (text: string): Buffer[] {
  const compact = text.replace(/\s+/g, '')
  const decoded: Buffer[] = []
  if (HEX.test(compact)) decoded.push(Buffer.from(compact, 'hex'))
  if (BASE64.test(compact)) decoded.push(Buffer.from(compact, 'base64'))
  if (BASE64URL.test(compact)) decoded.push(Buffer.from(compact, 'base64url'))
  return decoded.filter(bytes => bytes.length >= MIN_DER_BYTES)
}

function isDerKeyOrCertificate (der: Buffer): boolean {
  if (der.length < MIN_DER_BYTES) return false
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
