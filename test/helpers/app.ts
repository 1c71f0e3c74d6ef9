// Builds a Fastify app with the plugin and one route per guard, for tests.
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../../index'

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!'

export async function buildGuardedApp (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, ...options })
  const whoami = async (request: import('fastify').FastifyRequest) => ({
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
