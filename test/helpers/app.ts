// Building the plugin into a Fastify app, for tests: one way to do it, so that
// every test file registers the plugin alike and closes its apps.
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Test } from 'tap'
import fastifyJwtAuth, { ConfigError, type FastifyJwtAuthOptions } from '../../index'

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!'

export interface BuildOptions {
  /** Runs on the app before the plugin is registered (another plugin first, say). */
  before?: (app: FastifyInstance) => unknown
  /** Collects the app's log lines at `warn` and above; the logger is off otherwise. */
  logs?: LogLine[]
  /** Serves HTTP/2 in cleartext (prior knowledge) instead of HTTP/1.1, for `listen`. */
  http2?: boolean
  /** false: no test secret either, so that the key material can come from the environment. */
  testSecret?: boolean
}

export interface LogLine {
  level: number
  msg: string
  err?: { message: string, code?: string }
  [field: string]: unknown
}

/**
 * A Fastify app with the plugin registered with `options` (plus the test
 * secret, unless the options name a key of their own or `testSecret` is
 * false) and closed when the test ends. Routes may still be added; `inject`
 * makes it ready. Options are passed as given, so bad ones can be tested too.
 */
export async function buildApp (t: Test, options: object = {}, build: BuildOptions = {}): Promise<FastifyInstance> {
  const logger = build.logs === undefined ? false : { level: 'warn', stream: collectInto(build.logs) } as const
  // Fastify types an HTTP/2 instance apart; the plugin and the routes are the same.
  const app = (build.http2 === true ? Fastify({ http2: true, logger }) : Fastify({ logger })) as unknown as FastifyInstance
  t.teardown(() => app.close())
  await build.before?.(app)
  const ownKey = ['secretKey', 'privateKey', 'publicKey', 'keys', 'jwksUrl'].some(name => name in options)
  const withSecret = ownKey || build.testSecret === false ? options : { secretKey: SECRET, ...options }
  await app.register(fastifyJwtAuth, withSecret as FastifyJwtAuthOptions)
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

/**
 * Registers the plugin with exactly `options` and asserts that it fails with
 * a ConfigError (`FST_JWT_AUTH_CONFIG`) whose message matches `message`;
 * `what` prefixes the assertions' labels. Returns the error.
 */
export async function expectRegistrationError (
  t: Test,
  options: object,
  message: RegExp | string,
  what: string
): Promise<ConfigError> {
  const error = await registrationError(t, options)
  t.ok(error instanceof ConfigError, `${what}: a ConfigError`)
  t.equal(error.code, 'FST_JWT_AUTH_CONFIG', `${what}: code FST_JWT_AUTH_CONFIG`)
  t.match(error.message, message, `${what}: the message names the setting`)
  return error as ConfigError
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

/** Listens on 127.0.0.1 only, on a free port, and returns the port. */
export async function listen (app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
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
