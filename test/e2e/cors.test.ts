// Guards check OPTIONS like any other method, and CORS still works:
// @fastify/cors answers preflights in its onRequest hook, before any
// preHandler runs. An OPTIONS request that @fastify/cors leaves to the routes
// reaches the guard and needs a token.
import t, { type Test } from 'tap'
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { bearer, buildApp } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'

// @fastify/cors reads `config.cors` on a route but does not declare it.
declare module 'fastify' {
  interface FastifyContextConfig {
    cors?: boolean
  }
}

const ALLOWED = 'http://app.example'

/** An API with @fastify/cors and a guarded route answering every method, OPTIONS included. */
async function buildApi (t: Test, cors: FastifyCorsOptions): Promise<{ app: FastifyInstance, runs: () => number }> {
  const app = await buildApp(t, {}, { before: app => app.register(fastifyCors, cors) })
  let runs = 0
  app.all('/account', { preHandler: app.jwtRequired }, async () => {
    runs++
    return { deleted: true }
  })
  app.all('/no-cors', { preHandler: app.jwtRequired, config: { cors: false } }, async () => {
    runs++
    return { deleted: true }
  })
  return { app, runs: () => runs }
}

function preflight (origin: string): Record<string, string> {
  return { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' }
}

t.test('@fastify/cors answers the preflight; the request itself is authenticated', async t => {
  const { app, runs } = await buildApi(t, { origin: ALLOWED, methods: ['GET', 'DELETE'], allowedHeaders: ['Authorization'] })

  const answer = await app.inject({ method: 'OPTIONS', url: '/account', headers: preflight(ALLOWED) })
  t.equal(answer.statusCode, 204, 'the preflight gets the CORS answer')
  t.equal(answer.headers['access-control-allow-origin'], ALLOWED, 'the origin is allowed')
  t.equal(answer.headers['access-control-allow-methods'], 'GET, DELETE', 'the methods are allowed')
  t.equal(answer.headers['access-control-allow-headers'], 'Authorization', 'the Authorization header is allowed')
  t.equal(runs(), 0, 'the handler did not run for the preflight')

  // With a fixed origin, @fastify/cors answers every OPTIONS request itself:
  // one that is not a complete preflight gets its 400.
  const bare = await app.inject({ method: 'OPTIONS', url: '/account' })
  t.equal(bare.statusCode, 400, '@fastify/cors refuses an incomplete preflight')
  t.equal(runs(), 0, 'the handler did not run for the bare OPTIONS request')

  const refused = await app.inject({ method: 'DELETE', url: '/account', headers: { origin: ALLOWED } })
  expectAuthError(t, refused, 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'DELETE without a token is refused' })
  t.equal(refused.headers['access-control-allow-origin'], ALLOWED, 'the 401 carries the CORS header, so the page can read it')
  t.equal(runs(), 0, 'the handler did not run without a token')

  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const allowed = await app.inject({ method: 'DELETE', url: '/account', headers: { origin: ALLOWED, ...bearer(token) } })
  t.equal(allowed.statusCode, 200, 'DELETE with a valid token passes')
  t.equal(runs(), 1, 'the handler ran once, for the authenticated request')
})

t.test('OPTIONS requests that @fastify/cors leaves to the route reach the guard', async t => {
  // CORS enabled for one origin only: every other request, a bare OPTIONS
  // included, goes on to the route as if @fastify/cors were not there.
  const { app, runs } = await buildApi(t, {
    origin: (origin, callback) => callback(null, origin === ALLOWED),
    allowedHeaders: ['Authorization']
  })

  const answer = await app.inject({ method: 'OPTIONS', url: '/account', headers: preflight(ALLOWED) })
  t.equal(answer.statusCode, 204, 'the preflight of the allowed origin gets the CORS answer')
  t.equal(answer.headers['access-control-allow-origin'], ALLOWED, 'the origin is allowed')
  t.equal(runs(), 0, 'the handler did not run for the preflight')

  expectAuthError(t, await app.inject({ method: 'OPTIONS', url: '/account' }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'a bare OPTIONS request without a token is refused' })
  t.equal(runs(), 0, 'the handler did not run for the bare OPTIONS request')

  const foreign = await app.inject({ method: 'OPTIONS', url: '/account', headers: preflight('http://evil.example') })
  expectAuthError(t, foreign, 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'the preflight of another origin reaches the guard and is refused' })
  t.notOk(foreign.headers['access-control-allow-origin'], 'another origin gets no CORS header')
  t.equal(runs(), 0, 'the handler did not run for the other origin')

  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const allowed = await app.inject({ method: 'OPTIONS', url: '/account', headers: bearer(token) })
  t.equal(allowed.statusCode, 200, 'OPTIONS with a valid token passes')
  t.same(allowed.json(), { deleted: true }, 'the handler answered')
  t.equal(runs(), 1, 'the handler ran once, for the authenticated request')
})

t.test('a route with CORS turned off: OPTIONS reaches the guard', async t => {
  const { app, runs } = await buildApi(t, { origin: ALLOWED })
  expectAuthError(t, await app.inject({ method: 'OPTIONS', url: '/no-cors', headers: preflight(ALLOWED) }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'the OPTIONS request is refused without a token' })
  t.equal(runs(), 0, 'the handler did not run')
})

t.test('with preflight: false, preflights reach the routes, and a guarded one refuses them', async t => {
  const { app, runs } = await buildApi(t, { origin: ALLOWED, preflight: false })
  expectAuthError(t, await app.inject({ method: 'OPTIONS', url: '/account', headers: preflight(ALLOWED) }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'the preflight carries no credentials, so the guard refuses it' })
  t.equal(runs(), 0, 'the handler did not run for the preflight')
})
