// Building the plugin into a Fastify app, for tests: one way to do it, so that
// every test file registers the plugin alike and closes its apps.
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Test } from 'tap'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../../index'

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!'

export interface BuildOptions {
  /** Runs on the app before the plugin is registered (another plugin first, say). */
  before?: (app: FastifyInstance) => unknown
  /** Collects the app's log lines at `warn` and above; the logger is off otherwise. */
  logs?: LogLine[]
}

export interface LogLine {
  level: number
  msg: string
  err?: { message: string, code?: string }
  [field: string]: unknown
}

/**
 * A Fastify app with the plugin registered with `options` (the test secret
 * unless options say otherwise) and closed when the test ends. Routes may
 * still be added; `inject` makes it ready. Options are passed as given, so
 * bad ones can be tested too.
 */
export async function buildApp (t: Test, options: object = {}, build: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: build.logs === undefined ? false : { level: 'warn', stream: collectInto(build.logs) } })
  t.teardown(() => app.close())
  await build.before?.(app)
  await app.register(fastifyJwtAuth, { secretKey: SECRET, ...options } as FastifyJwtAuthOptions)
  return app
}

/** Registers the plugin with exactly `options` and returns the error the registration fails with. */
export async function registrationError (t: Test, options: object): Promise<Error & { code?: string }> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
  try {
    await app.ready()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error(`registration with ${Object.keys(options).join(', ')} should have failed`)
}

/** An app with one GET route per guard (`/required`, `/optional`, `/refresh`, `/fresh`) and an unguarded `/open`. */
export async function buildGuardedApp (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, options)
  const whoami = async (request: FastifyRequest) => ({
    subject: request.authJwt.getJwtSubject(),
    claims: request.authJwt.getRawJwt()
  })
  app.get('/required', { preHandler: app.jwtRequired }, whoami)
  app.get('/optional', { preHandler: app.jwtOptional }, whoami)
  app.get('/refresh', { preHandler: app.jwtRefreshTokenRequired }, whoami)
  app.get('/fresh', { preHandler: app.freshJwtRequired }, whoami)
  app.get('/open', whoami)
  return app
}

export function bearer (token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

function collectInto (logs: LogLine[]): Writable {
  return new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') logs.push(JSON.parse(line) as LogLine)
      }
      callback()
    }
  })
}
