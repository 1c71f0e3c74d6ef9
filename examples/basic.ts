// The quick start: log in with test/test, then call a protected route with
// `Authorization: Bearer <access_token>`.
//
//   npx tsx examples/basic.ts
//   curl -s -X POST localhost:8000/login -H 'content-type: application/json' \
//        -d '{"username":"test","password":"test"}'
//   curl -s localhost:8000/protected -H "Authorization: Bearer $TOKEN"
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
    return { access_token: request.authJwt.createAccessToken({ subject: request.body.username }) }
  })

  app.get('/protected', { preHandler: app.jwtRequired }, async request => {
    return { logged_in_as: request.authJwt.getJwtSubject() }
  })

  // The same check, called inside the handler instead of as a preHandler.
  app.get('/get_jwt_subject', async request => {
    await request.authJwt.jwtRequired()
    return { subject: request.authJwt.getJwtSubject() }
  })

  app.get('/get_raw_jwt', { preHandler: app.jwtRequired }, async request => {
    return request.authJwt.getRawJwt()
  })

  app.get('/get_jti', { preHandler: app.jwtRequired }, async request => {
    return { jti: request.authJwt.getRawJwt()?.jti }
  })

  app.get('/get_headers', { preHandler: app.jwtRequired }, async request => {
    return request.authJwt.getUnverifiedJwtHeaders()
  })

  // Anonymous visitors are welcome; a token, when sent, must be valid.
  app.get('/partially-protected', { preHandler: app.jwtOptional }, async request => {
    return { user: request.authJwt.getJwtSubject() ?? 'anonymous' }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
