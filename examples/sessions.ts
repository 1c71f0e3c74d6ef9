// Login sessions: refresh-token rotation with reuse detection, and "log out
// everywhere", for a JSON API whose clients keep their tokens themselves.
//
//   npx tsx examples/sessions.ts
//   POST /login             {"username":"test","password":"test"} → access + refresh token
//   POST /refresh           Authorization: Bearer <refresh_token> → a new access + refresh token
//   GET  /me                Authorization: Bearer <access_token>
//   POST /logout-everywhere Authorization: Bearer <access_token>  → every token of the user refused
//
// A login starts a session, which the plugin calls a family: the refresh
// token carries it in its `fam` claim, and the access tokens issued with it
// carry the same. Every refresh token is good for one refresh: /refresh marks
// it used and answers with a new pair of the same family, whose refresh
// token keeps the login's expiry (refreshing never makes a session longer).
//
// Reuse detection: a used refresh token that comes back means that two
// parties hold it, the client and someone who copied it. The server cannot
// tell which one is the thief, so it revokes the whole family (every access
// and refresh token of that login) and answers 401 FST_JWT_AUTH_TOKEN_REUSED:
// the thief's copies die with the client's, and the user logs in again.
//
// The grace window (refreshReuseGrace, 30 seconds by default): a used refresh
// token presented again within that time after its use gets a pair again
// instead. Two tabs that refresh at the same moment, or a retry after an
// answer lost on the way, would otherwise log the user out.
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { createMemoryDenylist, type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    // Rotation and "log out everywhere" keep their state in the denylist
    // store: the used refresh tokens, the revoked families, the cut-offs.
    denylistEnabled: true,
    // One process, lost on restart; several instances share a Redis store
    // instead (see examples/denylist-redis.ts).
    denylistStore: createMemoryDenylist(),
    ...options
  })

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const subject = request.body.username
    // The refresh token starts the family; the access token joins it, so a
    // detected reuse revokes it too.
    const refreshToken = request.authJwt.createRefreshToken({ subject })
    const family = app.authJwt.decodeToken(refreshToken).fam
    return {
      access_token: request.authJwt.createAccessToken({ subject, fresh: true, family }),
      refresh_token: refreshToken
    }
  })

  // The client must keep the new refresh token: the one it sent is used up.
  // Sent again after the grace window, it revokes the session (401
  // FST_JWT_AUTH_TOKEN_REUSED); a refresh token of a revoked session gets
  // 401 FST_JWT_AUTH_TOKEN_REVOKED.
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    const { accessToken, refreshToken } = await request.authJwt.refreshTokens()
    return { access_token: accessToken, refresh_token: refreshToken }
  })

  app.get('/me', { preHandler: app.jwtRequired }, async request => {
    return { user: request.authJwt.getJwtSubject() }
  })

  // After a password change, or "this is not me": every token of the user
  // issued before this call is refused, on every device and every session;
  // a login afterwards gets tokens that pass.
  app.post('/logout-everywhere', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeAllTokens()
    return { message: 'Logged out everywhere' }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
