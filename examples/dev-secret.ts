// The examples run without any setup: when no secret is configured they use
// a throwaway one and say so. Never do this in an application.
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'

export function devSecretKey (log: FastifyBaseLogger): string | undefined {
  if (process.env.AUTHJWT_SECRET_KEY !== undefined) return undefined
  log.warn('No AUTHJWT_SECRET_KEY set: using a random development secret; tokens die with this process')
  return randomBytes(32).toString('base64url')
}
