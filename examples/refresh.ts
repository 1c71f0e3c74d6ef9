// Short-lived access tokens, renewed with a long-lived refresh token.
//
//   POST /login     {"username":"test","password":"test"} → access + refresh token
//   POST /refresh   Authorization: Bearer <refresh_token>   → a new access token
//   GET  /protected Authorization: Bearer <access_token>
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
      access_token: request.authJwt.createAccessToken({ subject }),
      refresh_token: request.authJwt.createRefreshToken({ subject })
    }
  })

  // Only a refresh token gets in here; the new access token is not fresh.
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    const subject = request.authJwt.getJwtSubject() as string
    return { access_token: request.authJwt.createAccessToken({ subject }) }
  })

  app.get('/protected', { preHandler: app.jwtRequired }, async request => {
    return { user: request.authJwt.getJwtSubject() }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
