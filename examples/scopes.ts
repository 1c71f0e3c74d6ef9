// Scopes and validated claims: each account's token carries its role and its
// scopes; routes require scopes; a TypeBox schema checks (and types) the
// claims when tokens are made and when they come back.
//
//   POST   /login     {"username":"reader","password":"reader"} → access + refresh token
//                     (accounts: reader/reader, editor/editor, admin/admin)
//   GET    /posts     needs posts:read
//   POST   /posts     needs posts:write              → 403 insufficient_scope for reader
//   DELETE /posts/:id needs posts:delete or admin    → 403 for editor, 200 for admin
//   POST   /refresh   Authorization: Bearer <refresh_token> → a new pair, scopes kept
import { Type, type Static } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { jwtScopesRequired, type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { Login, type LoginBody } from './users'

// The claims of this app's tokens besides the plugin's own. `scope` is
// listed because the schema allows no other claim.
const Claims = Type.Object({
  role: Type.Union([Type.Literal('reader'), Type.Literal('editor'), Type.Literal('admin')]),
  scope: Type.Optional(Type.String())
}, { additionalProperties: false })

// An app types its claims with the same schema:
//   declare module 'fastify-jwt-auth' { interface AuthJwtUserClaims extends Static<typeof Claims> {} }
// (left out here: the examples share one type check with the tests).

type Role = Static<typeof Claims>['role']

const ACCOUNTS: Record<string, { role: Role, scopes: string[] }> = {
  reader: { role: 'reader', scopes: ['posts:read'] },
  editor: { role: 'editor', scopes: ['posts:read', 'posts:write'] },
  admin: { role: 'admin', scopes: ['posts:read', 'posts:write', 'admin'] }
}

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    claimsSchema: Claims,
    // Rotation detects a replayed refresh token in the denylist (in memory here).
    denylistEnabled: true,
    ...options
  })
  const posts = new Map<string, string>([['1', 'Hello']])

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    const { username, password } = request.body
    const account = Object.hasOwn(ACCOUNTS, username) ? ACCOUNTS[username] : undefined
    // A demo: each account's password is its name.
    if (account === undefined || password !== username) return reply.code(401).send({ message: 'Bad username or password' })
    // The refresh token carries the scopes too, so that a rotation keeps them.
    const grant = { subject: username, scopes: account.scopes, userClaims: { role: account.role } }
    return {
      access_token: request.authJwt.createAccessToken(grant),
      refresh_token: request.authJwt.createRefreshToken(grant)
    }
  })

  app.get('/posts', { preHandler: jwtScopesRequired(['posts:read']) }, async request => ({
    role: request.authJwt.getRawJwt()?.role,
    posts: Object.fromEntries(posts)
  }))

  app.post<{ Body: { text: string } }>('/posts', {
    preHandler: jwtScopesRequired(['posts:write']),
    schema: { body: Type.Object({ text: Type.String({ maxLength: 280 }) }) }
  }, async request => {
    const id = String(posts.size + 1)
    posts.set(id, request.body.text)
    return { id }
  })

  // Either scope will do: moderators hold posts:delete, administrators admin.
  app.delete<{ Params: { id: string } }>('/posts/:id', {
    preHandler: jwtScopesRequired(['posts:delete', 'admin'], { any: true })
  }, async request => ({ deleted: posts.delete(request.params.id) }))

  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    const pair = await request.authJwt.refreshTokens()
    return { access_token: pair.accessToken, refresh_token: pair.refreshToken }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
