// The current user: `userLookup` finds the account behind each token, after
// every other check, and `request.authJwt.currentUser` holds it. Disabling an
// account locks its still-valid tokens out at once.
//
//   POST /login             {"username":"test","password":"test"} → access token
//   GET  /me                Authorization: Bearer <access_token> → the account
//   POST /accounts/disable  (same token) → the account is disabled
//   GET  /me                → 401 FST_JWT_AUTH_USER_NOT_FOUND
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwtAuth, { jwtRequired, type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

interface Account {
  username: string
  displayName: string
  disabled: boolean
}

// An app types currentUser by augmenting the module:
//   declare module 'fastify-jwt-auth' { interface AuthJwtUser extends Account {} }
// (left out here: the examples share one type check with the tests).

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  // The accounts table of this demo.
  const accounts = new Map<string, Account>([['test', { username: 'test', displayName: 'Test User', disabled: false }]])

  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    // A database query in a real app: async, and run once per request.
    userLookup: async claims => {
      const account = accounts.get(String(claims.sub))
      return account === undefined || account.disabled ? null : account
    },
    ...options
  })

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    return { access_token: request.authJwt.createAccessToken({ subject: request.body.username }) }
  })

  app.get('/me', { preHandler: jwtRequired }, async request => {
    const user = request.authJwt.currentUser as Account
    return { username: user.username, displayName: user.displayName }
  })

  app.post('/accounts/disable', { preHandler: jwtRequired }, async request => {
    (request.authJwt.currentUser as Account).disabled = true
    return { disabled: true }
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
