// Double-submit CSRF: a token kept in a cookie carries a random `csrf` claim,
// the same value sits in a cookie scripts can read, and a state-changing
// request must echo it in a header. A cross-site page can make the browser
// send the cookies but cannot read them, so it cannot send the header.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { CSRFError } from './errors'

/**
 * A WebSocket handshake: always a GET asking to upgrade to `websocket`.
 * Browsers cannot add headers to it, so its CSRF value may come in the query.
 */
export function isWebSocketUpgrade (request: FastifyRequest): boolean {
  const upgrade = request.headers.upgrade
  return request.method === 'GET' && typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket'
}

/** Throws unless the value sent equals the token's claim, compared in constant time. */
export function checkCsrfMatch (sent: string, claim: string | undefined): void {
  if (claim === undefined) throw new CSRFError('FST_JWT_AUTH_CSRF_MISMATCH')
  const expected = Buffer.from(claim)
  const actual = Buffer.from(sent)
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new CSRFError('FST_JWT_AUTH_CSRF_MISMATCH')
  }
}
