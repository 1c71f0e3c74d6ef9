// OpenAPI documentation with @fastify/swagger and Swagger UI: every guarded
// route shows the token it needs (its security requirement) and its 401, with
// no code for it. Swagger UI's "Authorize" button takes the access token.
//
//   npx tsx examples/openapi.ts
//   open http://127.0.0.1:8000/docs
//     POST /login {"username":"test","password":"test"} → Try it out → Execute
//     Authorize → paste the access_token → GET /protected → Try it out → Execute
//   curl -s localhost:8000/docs/json    # the document itself
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

const Tokens = Type.Object({ access_token: Type.String(), refresh_token: Type.String() })
const AccessToken = Type.Object({ access_token: Type.String() })
const User = Type.Object({ user: Type.String() })
const Message = Type.Object({ message: Type.String() })

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  // Before the routes, so that it sees them; before or after the plugin.
  await app.register(fastifySwagger, {
    openapi: { openapi: '3.0.3', info: { title: 'fastify-jwt-auth example', version: '1.0.0' } }
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
  await app.register(fastifyJwtAuth, { ...devSecret(app.log), ...options })

  app.post<{ Body: LoginBody }>('/login', {
    schema: { tags: ['tokens'], summary: 'Log in (test/test)', body: Login, response: { 200: Tokens, 401: Message } }
  }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const subject = request.body.username
    return {
      access_token: request.authJwt.createAccessToken({ subject, fresh: true }),
      refresh_token: request.authJwt.createRefreshToken({ subject })
    }
  })

  // Documented as needing a refresh token in the Authorization header.
  app.post('/refresh', {
    preHandler: app.jwtRefreshTokenRequired,
    schema: { tags: ['tokens'], summary: 'A new access token, for a refresh token', response: { 200: AccessToken } }
  }, async request => {
    return { access_token: request.authJwt.createAccessToken({ subject: request.authJwt.getJwtSubject() as string }) }
  })

  app.get('/protected', {
    preHandler: app.jwtRequired,
    schema: { tags: ['account'], summary: 'Needs an access token', response: { 200: User } }
  }, async request => {
    return { user: request.authJwt.getJwtSubject() as string }
  })

  // Documented with `security: [{}, { bearerAuth: [] }]`: the token is optional.
  app.get('/partially-protected', {
    preHandler: app.jwtOptional,
    schema: { tags: ['account'], summary: 'Anyone; a token, when sent, must be valid', response: { 200: User } }
  }, async request => {
    return { user: request.authJwt.getJwtSubject() ?? 'anonymous' }
  })

  app.delete('/account', {
    preHandler: app.freshJwtRequired,
    schema: { tags: ['account'], summary: 'Needs a fresh access token (straight from /login)', response: { 200: Message } }
  }, async () => {
    return { message: 'Nothing was deleted: this is an example' }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
