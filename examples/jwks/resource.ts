// A service that accepts the tokens of examples/jwks/issuer.ts. It has no key
// of its own: it fetches the issuer's public keys from its JWKS, keeps them
// for jwksCacheMaxAge (600 s), and fetches them again at once for a token
// whose kid it does not know (at most once per jwksCooldown, 30 s), so that
// a rotation on the issuer needs nothing here.
//
//   npx tsx examples/jwks/resource.ts     (RESOURCE_PORT, default 3002;
//                                          ISSUER_URL, default http://127.0.0.1:3001)
//   GET /me   Authorization: Bearer <a token of the issuer>
//
// AUTHJWT_JWKS_CACHE_MAX_AGE and AUTHJWT_JWKS_COOLDOWN change the two delays,
// to watch a retired key being refused sooner.
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../../index'
import { AUDIENCE, ISSUER } from './issuer'

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  const issuerUrl = process.env.ISSUER_URL ?? 'http://127.0.0.1:3001'
  await app.register(fastifyJwtAuth, {
    jwksUrl: new URL('/.well-known/jwks.json', issuerUrl).href,
    // Required with jwksUrl: only the tokens this issuer signed its name in.
    decodeIssuer: ISSUER,
    // Tokens the issuer made for another application are refused.
    decodeAudience: AUDIENCE,
    ...options
  })

  app.get('/me', { preHandler: app.jwtRequired }, async request => {
    return { subject: request.authJwt.getJwtSubject() }
  })

  return app
}

if (require.main === module) {
  build()
    .then(app => app.listen({ port: Number(process.env.RESOURCE_PORT ?? 3002), host: '127.0.0.1' }))
    .catch(error => { console.error(error); process.exit(1) })
}
