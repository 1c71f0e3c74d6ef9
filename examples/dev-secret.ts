// The examples run without any setup: when no secret is configured they use
// a throwaway one and say so. Never do this in an application.
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'

/**
 * `{ secretKey }` with a random development secret, or `{}` when
 * AUTHJWT_SECRET_KEY is set: the plugin then reads it from the environment
 * (an option passed as undefined would be refused).
 */
export function devSecret (log: FastifyBaseLogger): { secretKey?: string } {
  if (process.env.AUTHJWT_SECRET_KEY !== undefined) return {}
  log.warn('No AUTHJWT_SECRET_KEY set: using a random development secret; tokens die with this process')
  return { secretKey: randomBytes(32).toString('base64url') }
}
