// Revoking tokens (logout) with the in-memory denylist: one process, lost on
// restart. examples/denylist-redis.ts shares the same routes on Redis, for
// apps running on several machines.
//
//   npx tsx examples/denylist.ts
//   POST   /login          {"username":"test","password":"test"} → access + refresh token
//   GET    /protected      Authorization: Bearer <access_token>
//   POST   /refresh        Authorization: Bearer <refresh_token>  → a new access token
//   DELETE /access-revoke  Authorization: Bearer <access_token>   → revokes that access token
//   DELETE /refresh-revoke Authorization: Bearer <refresh_token>  → revokes that refresh token
//   POST   /logout         Authorization: Bearer <access_token>,
//                          body {"refresh_token":"<refresh_token>"} → revokes both
import { Type, type Static } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, {
  createMemoryDenylist,
  JWTDecodeError,
  RefreshTokenRequired,
  type AuthJwtClaims,
  type FastifyJwtAuthOptions
} from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

const Logout = Type.Object({ refresh_token: Type.String({ minLength: 1 }) })
type LogoutBody = Static<typeof Logout>

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    denylistEnabled: true,
    // The default store, written out: bounded, it forgets a revocation once
    // its token has expired.
    denylistStore: createMemoryDenylist({ maxEntries: 100_000 }),
    ...options
  })
  denylistRoutes(app)
  return app
}

/** The routes of both denylist examples, whatever the store. */
export function denylistRoutes (app: FastifyInstance): void {
  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const subject = request.body.username
    return {
      access_token: request.authJwt.createAccessToken({ subject }),
      refresh_token: request.authJwt.createRefreshToken({ subject })
    }
  })

  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    const subject = request.authJwt.getJwtSubject() as string
    return { access_token: request.authJwt.createAccessToken({ subject }) }
  })

  app.get('/protected', { preHandler: app.jwtRequired }, async request => {
    return { user: request.authJwt.getJwtSubject() }
  })

  // revokeToken() with no argument revokes the token the guard verified.
  app.delete('/access-revoke', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeToken()
    return { message: 'Access token revoked' }
  })

  app.delete('/refresh-revoke', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    await request.authJwt.revokeToken()
    return { message: 'Refresh token revoked' }
  })

  // Ends the session: the access token authenticates the call, the refresh
  // token comes in the body. Both are checked before either is revoked, so a
  // bad refresh token revokes nothing and the client can try again.
  app.post<{ Body: LogoutBody }>('/logout', {
    schema: { body: Logout },
    preHandler: app.jwtRequired
  }, async (request, reply) => {
    const refresh = refreshClaims(app, request.body.refresh_token)
    if (refresh !== null && refresh.sub !== request.authJwt.getJwtSubject()) {
      return reply.code(403).send({
        statusCode: 403,
        error: 'Forbidden',
        message: 'The refresh token belongs to another user'
      })
    }
    await Promise.all([
      request.authJwt.revokeToken(),
      refresh === null ? undefined : request.authJwt.revokeToken(refresh)
    ])
    return { message: 'Logged out' }
  })
}

// The verified claims of the refresh token, or null when it has expired
// already (nothing left to revoke). Any other problem is the client's error.
function refreshClaims (app: FastifyInstance, token: string): AuthJwtClaims | null {
  let claims: AuthJwtClaims
  try {
    claims = app.authJwt.decodeToken(token)
  } catch (error) {
    if (error instanceof JWTDecodeError && error.code === 'FST_JWT_AUTH_TOKEN_EXPIRED') return null
    throw error
  }
  if (claims.type !== 'refresh') throw new RefreshTokenRequired()
  return claims
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
