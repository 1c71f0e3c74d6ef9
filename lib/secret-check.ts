// Recognises key material given where an HMAC secret belongs. An HS* token is
// signed with the secret itself, so a public key, a certificate or a JWK used
// as `secretKey` lets anyone who can read it (everyone, for a public key) sign
// tokens that verify: the algorithm-confusion attack, set up by configuration.
// Keys travel in many wrappings (PEM, DER, JWK, SSH, base64 or hex of any of
// them, quoted, prefixed, in UTF-16, a file read into a Buffer), so the
// secret is unwrapped before it is judged. A raw key (32 bytes of an Ed25519
// key, an RSA modulus alone) cannot be told from random bytes and passes.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'

// Key pairs and certificates are at least this long in DER; shorter encoded
// text is not worth decoding.
const MIN_DER_BYTES = 32
// base64 of base64 of base64 of a key is as deep as configurations go.
const MAX_UNWRAPPING = 3
// What is decoded of a secret: no HMAC secret is longer, and the check stays
// quick whatever is passed (the text itself is searched whole).
const MAX_SCANNED_CHARACTERS = 64 * 1024
// Encoded runs tried per layer: enough for a key among a few other words.
const MAX_RUNS = 8
const PEM = /-{4,}\s*(BEGIN|END) [A-Z0-9 ]+-{4,}/i
const PUTTY_KEY = /PuTTY-User-Key-File-\d+:/
const SSH2_PUBLIC_KEY = '---- BEGIN SSH2 PUBLIC KEY ----'
// An OpenSSH public key or certificate, also as an authorized_keys line with options before it.
const SSH_PUBLIC_KEY = /(^|[\s"'])(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-|sk-(ssh|ecdsa)-|[\w.@-]+-cert-v0\d@openssh\.com)\S*\s+AAAA/
// The same key as the bytes under that base64: a 4-byte length, then the key type's name.
const SSH_WIRE_PREFIXES = ['ssh-', 'ecdsa-', 'sk-']
// A JWK written as JSON5, YAML or inside other text.
const KTY = /["']?kty["']?\s*[:=]\s*["']?(RSA|EC|OKP|oct)\b/
const ENCODED_RUN = /[A-Za-z0-9+/_=-]{44,}/g
const HEX_RUN = /(?:0x)?(?:[0-9a-fA-F]{2}[:\s-]?){32,}/g

/**
 * What kind of key material `secret` is ("a PEM key or certificate", "a JWK",
 * …), or undefined for an ordinary secret.
 */
export function looksLikeKeyMaterial (secret: string | Uint8Array): string | undefined {
  return describe(typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret), 0)
}

function describe (bytes: Buffer, depth: number): string | undefined {
  const text = textOf(bytes)
  const kind = describeText(text) ?? describeBytes(bytes)
  if (kind !== undefined || depth === MAX_UNWRAPPING) return kind
  for (const decoded of decodings(text)) {
    const inner = describe(decoded, depth + 1)
    if (inner !== undefined) return inner
  }
  return undefined
}

/** The bytes as text: UTF-16 (either byte order) when its byte order mark or its zero bytes say so, else UTF-8. */
function textOf (bytes: Buffer): string {
  const bom = bytes[0] === 0xff && bytes[1] === 0xfe ? 'le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'be' : undefined
  const zeros = bytes[0] === 0 && bytes[1] !== 0 ? 'be' : bytes[1] === 0 && bytes[0] !== 0 ? 'le' : undefined
  const order = bom ?? zeros
  if (order === undefined) return bytes.toString('utf8').replace(/^\uFEFF/, '').trim()
  const start = bom === undefined ? 0 : 2
  const body = Buffer.from(bytes.subarray(start, start + ((bytes.length - start) & ~1)))
  return (order === 'be' ? body.swap16() : body).toString('utf16le').trim()
}

function describeText (text: string): string | undefined {
  // Before PEM: an RFC 4716 key has PEM-like dashes around its header.
  if (PUTTY_KEY.test(text) || text.includes(SSH2_PUBLIC_KEY) || SSH_PUBLIC_KEY.test(text)) return 'an SSH public key'
  if (PEM.test(text) || PEM.test(urlDecoded(text))) return 'a PEM key or certificate'
  if (KTY.test(text) || isJwk(text)) return 'a JWK'
  return undefined
}

function urlDecoded (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function describeBytes (bytes: Buffer): string | undefined {
  if (isSshWireKey(bytes)) return 'an SSH public key'
  if (isDerKeyOrCertificate(bytes)) return 'a DER key or certificate'
  return undefined
}

function isSshWireKey (bytes: Buffer): boolean {
  if (bytes.length < 8) return false
  const nameLength = bytes.readUInt32BE(0)
  const name = bytes.subarray(4, 4 + Math.min(nameLength, 64)).toString('latin1')
  return nameLength <= 64 && SSH_WIRE_PREFIXES.some(prefix => name.startsWith(prefix))
}

/** JSON holding a `kty` anywhere: a JWK, a JWK set, a list of JWKs, or any of them JSON-encoded again. */
function isJwk (text: string): boolean {
  if (!/^[{["]/.test(text)) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return false
  }
  if (typeof parsed === 'string') return KTY.test(parsed)
  const pending = [parsed]
  while (pending.length > 0) {
    const value = pending.pop()
    if (value === null || typeof value !== 'object') continue
    if (!Array.isArray(value) && typeof (value as { kty?: unknown }).kty === 'string') return true
    for (const child of Object.values(value)) pending.push(child)
  }
  return false
}

/**
 * The bytes that the hex, base64 or base64url runs of `text` stand for, long
 * enough to hold a key: the whole text once its white space is gone, then
 * each run on its own (a key in quotes, after a `base64:` prefix, before a
 * comment).
 */
function decodings (text: string): Buffer[] {
  // Line breaks, real or written as \n in a one-line variable, do not split a run.
  const scanned = text.slice(0, MAX_SCANNED_CHARACTERS).replace(/\\n/g, '\n')
  const compact = scanned.replace(/\s+/g, '')
  const runs = [compact, ...[...scanned.matchAll(ENCODED_RUN)].slice(0, MAX_RUNS).map(match => match[0])]
  const decoded: Buffer[] = []
  for (const run of new Set(runs)) {
    if (/^[0-9a-fA-F]+$/.test(run) && run.length % 2 === 0) decoded.push(Buffer.from(run, 'hex'))
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(run)) decoded.push(Buffer.from(run, 'base64'))
    if (/^[A-Za-z0-9_-]+={0,2}$/.test(run)) decoded.push(Buffer.from(run, 'base64url'))
  }
  for (const match of [...scanned.matchAll(HEX_RUN)].slice(0, MAX_RUNS)) {
    decoded.push(Buffer.from(match[0].replace(/^0x|[:\s-]/g, ''), 'hex'))
  }
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
