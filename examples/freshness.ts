// Fresh tokens: a token straight from a password login is fresh; one made
// from a refresh token is not. Sensitive routes ask for a fresh one, so a
// stolen refresh token cannot reach them.
//
//   POST /login        → fresh access token + refresh token
//   POST /refresh      → non-fresh access token (refresh token required)
//   POST /fresh-login  → fresh access token only (password again)
//   GET  /protected        any valid access token
//   GET  /protected-fresh  a fresh access token only
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(fastifyJwtAuth, { ...devSecret(app.log), ...options })

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const subject = request.body.username
    return {
      access_token: request.authJwt.createAccessToken({ subject, fresh: true }),
      refresh_token: request.authJwt.createRefreshToken({ subject })
    }
  })

  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    const subject = request.authJwt.getJwtSubject() as string
    return { access_token: request.authJwt.createAccessToken({ subject, fresh: false }) }
  })

  app.post<{ Body: LoginBody }>('/fresh-login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    return { access_token: request.authJwt.createAccessToken({ subject: request.body.username, fresh: true }) }
  })

  app.get('/protected', { preHandler: app.jwtRequired }, async request => {
    return { user: request.authJwt.getJwtSubject() }
  })

  app.get('/protected-fresh', { preHandler: app.freshJwtRequired }, async request => {
    return { user: request.authJwt.getJwtSubject(), fresh: true }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
