// implicitRefreshThreshold: a new access cookie on the response of a request
// whose access cookie is about to expire, and nowhere else.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { FastifyJwtAuthOptions } from '../../index'
import { keys } from '../fixtures/keys'
import { bearer, buildApp, expectRegistrationError, SECRET, type LogLine } from '../helpers/app'
import { fakeClock } from '../helpers/clock'

const COOKIES: FastifyJwtAuthOptions = {
  tokenLocation: ['headers', 'cookies'],
  accessTokenExpires: 900,
  implicitRefreshThreshold: 60,
  denylistEnabled: true
}

async function cookieApp (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(t, { ...COOKIES, ...options })
  app.get('/me', { preHandler: app.jwtRequired }, async request => request.authJwt.getRawJwt())
  app.get('/optional', { preHandler: app.jwtOptional }, async () => 'ok')
  app.get('/refresh-guard', { preHandler: app.jwtRefreshTokenRequired }, async () => 'ok')
  app.get('/open', async () => 'ok')
  app.post('/logout', { preHandler: app.jwtRequired }, async (request, reply) => {
    request.authJwt.unsetJwtCookies(reply)
    return 'bye'
  })
  app.post('/revoke', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeToken()
    return 'revoked'
  })
  app.post('/everywhere', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeAllTokens()
    return 'gone'
  })
  app.post('/login-again', { preHandler: app.jwtRequired }, async (request, reply) => {
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject: 'other' }))
    return 'switched'
  })
  return app
}

function accessCookieOf (response: { cookies: Array<{ name: string, value: string }> }): string | undefined {
  return response.cookies.find(cookie => cookie.name === 'access_token_cookie')?.value
}

t.test('an access cookie about to expire is renewed on the response, with its claims and family', async t => {
  const app = await cookieApp(t)
  const clock = fakeClock(t)
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  const fam = app.authJwt.decodeToken(refresh).fam
  const token = app.authJwt.createAccessToken({ subject: 'alice', family: fam, fresh: true, userClaims: { role: 'admin' } })
  const early = await app.inject({ url: '/me', cookies: { access_token_cookie: token } })
  t.equal(accessCookieOf(early), undefined, 'not within the threshold yet: no new cookie')
  clock.advance((900 - 60) * 1000)
  const late = await app.inject({ url: '/me', cookies: { access_token_cookie: token } })
  t.equal(late.statusCode, 200)
  const renewed = accessCookieOf(late) as string
  t.ok(renewed, 'a new access cookie')
  const claims = app.authJwt.decodeToken(renewed)
  t.match(claims, { sub: 'alice', type: 'access', fresh: false, fam, role: 'admin' })
  t.equal(claims.exp, Math.floor(clock.now() / 1000) + 900, 'a full lifetime from now')
  t.ok(late.cookies.some(cookie => cookie.name === 'csrf_access_token' && cookie.value === claims.csrf), 'and its CSRF cookie')
  const optional = await app.inject({ url: '/optional', cookies: { access_token_cookie: token } })
  t.ok(accessCookieOf(optional), 'jwtOptional with a cookie renews it too')
})

t.test('never for a token from a header, for a refresh token, or without a guard', async t => {
  const app = await cookieApp(t)
  const clock = fakeClock(t)
  const token = app.authJwt.createAccessToken({ subject: 'bob' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'bob', expiresTime: 1000 })
  clock.advance(890_000)
  t.equal(accessCookieOf(await app.inject({ url: '/me', headers: bearer(token) })), undefined, 'a header token')
  t.equal(accessCookieOf(await app.inject({ url: '/open', cookies: { access_token_cookie: token } })), undefined, 'no guard')
  const refreshed = await app.inject({ url: '/refresh-guard', cookies: { refresh_token_cookie: refresh } })
  t.equal(refreshed.statusCode, 200)
  t.equal(accessCookieOf(refreshed), undefined, 'a refresh token')
  const endless = app.authJwt.createAccessToken({ subject: 'bob', expiresTime: false })
  t.equal(accessCookieOf(await app.inject({ url: '/me', cookies: { access_token_cookie: endless } })), undefined, 'no exp')
})

t.test('never on a response that sets or clears the cookie, or after a revocation', async t => {
  const app = await cookieApp(t)
  const clock = fakeClock(t)
  const tokens = Array.from({ length: 4 }, () => app.authJwt.createAccessToken({ subject: 'carol' }))
  clock.advance(890_000)
  const csrf = (token: string) => app.authJwt.decodeToken(token).csrf as string
  const post = (url: string, token: string) => app.inject({
    method: 'POST', url, cookies: { access_token_cookie: token }, headers: { 'x-csrf-token': csrf(token) }
  })
  const logout = await post('/logout', tokens[0])
  t.equal(logout.statusCode, 200)
  t.equal(accessCookieOf(logout), '', 'only the cleared cookie')
  const revoked = await post('/revoke', tokens[1])
  t.equal(revoked.statusCode, 200)
  t.equal(accessCookieOf(revoked), undefined, 'revoked on this request')
  const switched = await post('/login-again', tokens[3])
  t.equal(app.authJwt.decodeToken(accessCookieOf(switched) as string).sub, 'other', 'the handler\'s own cookie stays')
  // Last: it logs carol out everywhere.
  const everywhere = await post('/everywhere', tokens[2])
  t.equal(everywhere.statusCode, 200)
  t.equal(accessCookieOf(everywhere), undefined, 'logged out everywhere on this request')
})

t.test('never for a token revoked elsewhere while the request ran', async t => {
  const app = await cookieApp(t)
  const clock = fakeClock(t)
  const token = app.authJwt.createAccessToken({ subject: 'dave' })
  app.get('/slow', { preHandler: app.jwtRequired }, async () => {
    // Another request (another instance) logs dave out meanwhile.
    await app.authJwt.revokeToken(token)
    return 'done'
  })
  clock.advance(890_000)
  const response = await app.inject({ url: '/slow', cookies: { access_token_cookie: token } })
  t.equal(response.statusCode, 200)
  t.equal(accessCookieOf(response), undefined)
})

t.test('a renewal that fails leaves the response alone, and is logged', async t => {
  const logs: LogLine[] = []
  const clock = fakeClock(t)
  // A verify-only key set cannot sign the new token.
  const verifyOnly = await buildApp(t, { ...COOKIES, keys: [{ kid: 'v', algorithm: 'ES256', publicKey: keys.ecP256.publicKey }] }, { logs })
  verifyOnly.get('/me', { preHandler: verifyOnly.jwtRequired }, async () => 'ok')
  const signer = await buildApp(t, { keys: [{ kid: 'v', algorithm: 'ES256', privateKey: keys.ecP256.privateKey }], tokenLocation: ['cookies'] })
  const foreign = signer.authJwt.createAccessToken({ subject: 'erin' })
  clock.advance(890_000)
  const response = await verifyOnly.inject({ url: '/me', cookies: { access_token_cookie: foreign } })
  t.equal(response.statusCode, 200)
  t.equal(accessCookieOf(response), undefined)
  t.ok(logs.some(line => line.msg === 'fastify-jwt-auth: the access cookie could not be renewed'), 'logged')
})

t.test('implicitRefreshThreshold needs the cookies location; false by default', async t => {
  await expectRegistrationError(t, { secretKey: SECRET, implicitRefreshThreshold: 60 },
    'implicitRefreshThreshold renews the access cookie: it needs "cookies" in tokenLocation', 'headers only')
  const app = await buildApp(t, { tokenLocation: ['cookies'] })
  app.get('/me', { preHandler: app.jwtRequired }, async () => 'ok')
  const clock = fakeClock(t)
  const token = app.authJwt.createAccessToken({ subject: 'f' })
  clock.advance(899_000)
  t.equal(accessCookieOf(await app.inject({ url: '/me', cookies: { access_token_cookie: token } })), undefined)
})
