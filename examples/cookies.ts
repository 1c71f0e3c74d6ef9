// Tokens in httpOnly cookies for a browser app, with double-submit CSRF
// protection: open http://127.0.0.1:8000 and click through the page.
//
//   npx tsx examples/cookies.ts
//
// The page (examples/public/cookies.html) never sees a token: the JWTs sit in
// httpOnly cookies the browser sends by itself. What the page can read are the
// CSRF cookies, whose values it echoes in the X-CSRF-Token header of every
// POST; a cross-site page can make the browser send the cookies, but cannot
// read them, so it cannot send the header.
//
// The same flow with curl (a cookie jar, and the CSRF value read from it):
//   curl -s -c jar -X POST localhost:8000/login -H 'content-type: application/json' \
//        -d '{"username":"test","password":"test"}'
//   curl -s -b jar -X POST localhost:8000/protected \
//        -H "X-CSRF-Token: $(awk '$6 == "csrf_access_token" { print $7 }' jar)"
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

const PAGE = readFileSync(join(__dirname, 'public', 'cookies.html'), 'utf8')

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    tokenLocation: ['cookies'],
    // The refresh token travels to /refresh only; its CSRF cookie stays at
    // "/" (the default) so that the page can read it.
    refreshCookiePath: '/refresh',
    ...options
  })

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE))

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const subject = request.body.username
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject, fresh: true }))
    request.authJwt.setRefreshCookies(reply, request.authJwt.createRefreshToken({ subject }))
    return { login: true }
  })

  // The refresh cookie (and the X-CSRF-Token header holding the value of the
  // csrf_refresh_token cookie) buys a new access cookie.
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async (request, reply) => {
    const subject = request.authJwt.getJwtSubject() as string
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject, fresh: false }))
    return { refresh: true }
  })

  // POST is CSRF-checked: the X-CSRF-Token header must hold the value of the
  // csrf_access_token cookie. GET is not (it must not change anything).
  app.post('/protected', { preHandler: app.jwtRequired }, async request => {
    return { logged_in_as: request.authJwt.getJwtSubject() }
  })
  app.get('/protected', { preHandler: app.jwtRequired }, async request => {
    return { logged_in_as: request.authJwt.getJwtSubject() }
  })

  // Unguarded: logging out must work even with an expired token.
  app.post('/logout', async (request, reply) => {
    request.authJwt.unsetJwtCookies(reply)
    return { logout: true }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
