// The guards as strategies of the real @fastify/auth, with "or" and "and":
// either way a request gets in only when the relation allows it, and when
// our guard's failure is the one @fastify/auth reports, the client gets our
// code, status and WWW-Authenticate challenge, not a bare 401.
import fastifyAuth from '@fastify/auth'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import t, { type Test } from 'tap'
import { jwtRequired, jwtScopesRequired } from '../../index'
import { buildApp } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'

const API_KEY = 'a-service-api-key'

// Another strategy, as apps write them: an API key header, failing with a 401 of its own.
async function apiKey (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (request.headers['x-api-key'] !== API_KEY) {
    throw Object.assign(new Error('Bad API key'), { statusCode: 401, code: 'APP_BAD_API_KEY' })
  }
}

function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

async function buildAuthApp (t: Test, options: object = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, options)
  await app.register(fastifyAuth)
  const who = async (request: FastifyRequest) => ({
    subject: request.authJwt.getJwtSubject(),
    user: request.authJwt.currentUser
  })
  app.get('/or', { preHandler: app.auth([apiKey, app.jwtRequired], { relation: 'or' }) }, who)
  app.get('/or-ours-first', { preHandler: app.auth([app.jwtRequired, apiKey], { relation: 'or' }) }, who)
  app.get('/and', { preHandler: app.auth([app.jwtRequired, apiKey], { relation: 'and' }) }, who)
  app.get('/exported', { preHandler: app.auth([apiKey, jwtRequired]) }, who)
  app.get('/scoped', { preHandler: app.auth([apiKey, app.jwtScopesRequired(['admin'])]) }, who)
  app.get('/scoped-exported', { preHandler: app.auth([jwtScopesRequired(['admin']), apiKey], { relation: 'and' }) }, who)
  app.get('/run-all', { preHandler: app.auth([app.jwtRequired, apiKey], { relation: 'or', run: 'all' }) }, who)
  return app
}

t.test('"or": either strategy lets the request in; when both fail, the last one answers', async t => {
  const app = await buildAuthApp(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  const byToken = await app.inject({ url: '/or', headers: bearer(token) })
  t.equal(byToken.statusCode, 200, 'a valid token is enough')
  t.same(byToken.json(), { subject: 'alice', user: null }, 'the claims reach the handler')
  const byKey = await app.inject({ url: '/or', headers: { 'x-api-key': API_KEY } })
  t.equal(byKey.statusCode, 200, 'the API key is enough')
  t.same(byKey.json(), { subject: null, user: null }, 'no claims without a token')

  expectAuthError(t, await app.inject({ url: '/or' }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'neither, our guard last: our missing-token error and bare challenge' })
  expectAuthError(t, await app.inject({ url: '/or', headers: bearer(`${token}x`) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { what: 'a forged token, our guard last: our invalid-token error and challenge' })
  expectAuthError(t, await app.inject({ url: '/or', headers: bearer(token.replace(/\..*$/, '')) }),
    'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a malformed token' })

  const otherLast = await app.inject({ url: '/or-ours-first' })
  t.equal(otherLast.statusCode, 401, 'our guard first: still refused')
  t.equal(otherLast.json().code, 'APP_BAD_API_KEY', 'our guard first: the last strategy\'s error is the answer')
  t.equal((await app.inject({ url: '/or-ours-first', headers: bearer(token) })).statusCode, 200,
    'our guard first, a valid token: in, without running the other strategy')
})

t.test('"and": both must pass; our failure stops the chain with our error', async t => {
  const app = await buildAuthApp(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const both = await app.inject({ url: '/and', headers: { ...bearer(token), 'x-api-key': API_KEY } })
  t.equal(both.statusCode, 200, 'token and key: in')
  t.same(both.json(), { subject: 'alice', user: null }, 'the claims reach the handler')
  expectAuthError(t, await app.inject({ url: '/and', headers: { 'x-api-key': API_KEY } }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'the key alone' })
  const keyMissing = await app.inject({ url: '/and', headers: bearer(token) })
  t.equal(keyMissing.statusCode, 401, 'the token alone: refused')
  t.equal(keyMissing.json().code, 'APP_BAD_API_KEY', 'by the other strategy')
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  expectAuthError(t, await app.inject({ url: '/and', headers: { ...bearer(refresh), 'x-api-key': API_KEY } }),
    'FST_JWT_AUTH_ACCESS_REQUIRED', { what: 'a refresh token in place of an access token' })
})

t.test('the exported guards and the scope guards work as strategies too, their 403 kept', async t => {
  const app = await buildAuthApp(t)
  const admin = app.authJwt.createAccessToken({ subject: 'root', scopes: ['admin'] })
  const reader = app.authJwt.createAccessToken({ subject: 'bob', scopes: ['read'] })

  t.same((await app.inject({ url: '/exported', headers: bearer(admin) })).json(), { subject: 'root', user: null },
    'the exported jwtRequired lets a valid token in')
  expectAuthError(t, await app.inject({ url: '/exported' }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { what: 'the exported jwtRequired, nothing sent' })

  t.equal((await app.inject({ url: '/scoped', headers: bearer(admin) })).statusCode, 200, 'the scope is there: in')
  expectAuthError(t, await app.inject({ url: '/scoped', headers: bearer(reader) }), 'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
    what: 'a scope missing: our 403, though @fastify/auth answers a failure with 401',
    challenge: 'Bearer error="insufficient_scope", scope="admin"'
  })
  expectAuthError(t, await app.inject({ url: '/scoped-exported', headers: { ...bearer(reader), 'x-api-key': API_KEY } }),
    'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
      what: 'the exported scope guard in an "and"',
      challenge: 'Bearer error="insufficient_scope", scope="admin"'
    })
  t.equal((await app.inject({ url: '/scoped-exported', headers: { ...bearer(admin), 'x-api-key': API_KEY } })).statusCode,
    200, 'the exported scope guard, the scope there: in')
})

t.test('asynchronous checks (a denylist hook, a user lookup) settle before @fastify/auth decides', async t => {
  const revoked = new Set<string>()
  const app = await buildAuthApp(t, {
    denylistEnabled: true,
    tokenInDenylist: async (claims: { jti?: string }) => revoked.has(claims.jti as string),
    userLookup: async (claims: { sub: string | number }) => claims.sub === 'gone' ? null : { name: `user ${claims.sub}` }
  })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.same((await app.inject({ url: '/or', headers: bearer(token) })).json(), { subject: 'alice', user: { name: 'user alice' } },
    'the looked-up user reaches the handler')
  expectAuthError(t, await app.inject({ url: '/or', headers: bearer(app.authJwt.createAccessToken({ subject: 'gone' })) }),
    'FST_JWT_AUTH_USER_NOT_FOUND', { what: 'a token whose user is gone' })
  revoked.add(app.authJwt.getJti(token) as string)
  expectAuthError(t, await app.inject({ url: '/or', headers: bearer(token) }), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'a revoked token' })
  t.equal((await app.inject({ url: '/or', headers: { ...bearer(token), 'x-api-key': API_KEY } })).statusCode, 200,
    'a revoked token with a good API key: the other strategy lets it in, as "or" says')
})

t.test('run: "all" runs every strategy and still lets a valid token in', async t => {
  const app = await buildAuthApp(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.same((await app.inject({ url: '/run-all', headers: bearer(token) })).json(), { subject: 'alice', user: null },
    'the token passed, the key failed: in')
  const neither = await app.inject({ url: '/run-all' })
  t.equal(neither.statusCode, 401, 'neither: refused')
})
