// Hand-crafted tokens for attack tests: any header and payload (JSON values or
// raw text), signed with HMAC, left unsigned, or given a chosen signature.
// Deliberately independent of fast-jwt so that the verifier is tested against
// tokens it did not produce.
import { createHmac } from 'node:crypto'

/** A segment written as this exact text instead of JSON. */
export interface RawSegment {
  raw: string
}

export const raw = (text: string): RawSegment => ({ raw: text })

export interface ForgeOptions {
  /** Any JSON value, or raw text. Defaults to `{ alg: 'HS256', typ: 'JWT' }`. */
  header?: unknown
  /** Any JSON value, or raw text. */
  payload: unknown
  /** HMAC secret: the token is signed with it. Leave out for an unsigned token. */
  secret?: string | Buffer
  /** HMAC hash; defaults to the one named by `header.alg` (HS384 → sha384), else sha256. */
  hash?: 'sha256' | 'sha384' | 'sha512'
  /** The exact signature segment, overriding `secret`. */
  signature?: string
}

export function base64url (data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

function isRaw (value: unknown): value is RawSegment {
  return value !== null && typeof value === 'object' && typeof (value as RawSegment).raw === 'string'
}

export function encodeSegment (value: unknown): string {
  return base64url(isRaw(value) ? value.raw : JSON.stringify(value))
}

function hashOf (header: unknown): 'sha256' | 'sha384' | 'sha512' {
  const alg = header !== null && typeof header === 'object' ? (header as { alg?: unknown }).alg : undefined
  if (alg === 'HS384') return 'sha384'
  if (alg === 'HS512') return 'sha512'
  return 'sha256'
}

export function hmacSignature (input: string, secret: string | Buffer, hash: 'sha256' | 'sha384' | 'sha512'): string {
  return createHmac(hash, secret).update(input).digest('base64url')
}

export function forge (options: ForgeOptions): string {
  const header = options.header === undefined ? { alg: 'HS256', typ: 'JWT' } : options.header
  const input = `${encodeSegment(header)}.${encodeSegment(options.payload)}`
  let signature = ''
  if (options.signature !== undefined) {
    signature = options.signature
  } else if (options.secret !== undefined) {
    signature = hmacSignature(input, options.secret, options.hash ?? hashOf(header))
  }
  return `${input}.${signature}`
}

/**
 * The same token with a different signature of the same length. The first
 * character is changed because it always carries six signature bits (the last
 * one may carry padding bits only).
 */
export function corruptSignature (token: string): string {
  const dot = token.lastIndexOf('.')
  const signature = token.slice(dot + 1)
  const first = signature[0] === 'A' ? 'B' : 'A'
  return `${token.slice(0, dot + 1)}${first}${signature.slice(1)}`
}

/** The header and payload of a token, decoded without any check. */
export function peek (token: string): { header: Record<string, unknown>, payload: Record<string, unknown> } {
  const [header, payload] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  }
}

/** The csrf claim of a token (the value its CSRF cookie holds), decoded without any check. */
export function csrfOf (token: string): string {
  return peek(token).payload.csrf as string
}
