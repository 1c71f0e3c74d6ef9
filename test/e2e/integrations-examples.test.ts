// examples/scopes.ts and examples/current-user.ts, end to end with inject:
// the answers a client of each sees.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build as buildCurrentUser } from '../../examples/current-user'
import { build as buildScopes } from '../../examples/scopes'
import { bearer } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { forge } from '../helpers/forge'

process.env.LOG_LEVEL = 'silent'
const secretKey = 'an-examples-secret-that-is-long-enough-for-hs256'

async function login (app: FastifyInstance, username: string, password = username): Promise<Record<string, string>> {
  const response = await app.inject({ method: 'POST', url: '/login', payload: { username, password } })
  return response.json()
}

t.test('scopes: each account reaches what its scopes allow, and a rotation keeps them', async t => {
  const app = await buildScopes({ secretKey })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: { username: 'admin', password: 'x' } })).statusCode,
    401, 'a wrong password gets no tokens')
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: { username: 'toString', password: 'toString' } })).statusCode,
    401, 'no account is found on the prototype')
  const reader = await login(app, 'reader')
  const editor = await login(app, 'editor')
  const admin = await login(app, 'admin')

  const read = await app.inject({ url: '/posts', headers: bearer(reader.access_token) })
  t.same(read.json(), { role: 'reader', posts: { 1: 'Hello' } }, 'the reader reads, with its role from the claims')
  expectAuthError(t, await app.inject({ method: 'POST', url: '/posts', headers: bearer(reader.access_token), payload: { text: 'x' } }),
    'FST_JWT_AUTH_INSUFFICIENT_SCOPE', { what: 'the reader cannot write', challenge: 'Bearer error="insufficient_scope", scope="posts:write"' })
  const written = await app.inject({ method: 'POST', url: '/posts', headers: bearer(editor.access_token), payload: { text: 'Hi' } })
  t.same(written.json(), { id: '2' }, 'the editor writes')
  expectAuthError(t, await app.inject({ method: 'DELETE', url: '/posts/2', headers: bearer(editor.access_token) }),
    'FST_JWT_AUTH_INSUFFICIENT_SCOPE', {
      what: 'the editor cannot delete',
      challenge: 'Bearer error="insufficient_scope", scope="posts:delete admin"'
    })
  t.same((await app.inject({ method: 'DELETE', url: '/posts/2', headers: bearer(admin.access_token) })).json(),
    { deleted: true }, 'admin is one of the scopes that may delete')

  const rotated = (await app.inject({ method: 'POST', url: '/refresh', headers: bearer(reader.refresh_token) })).json()
  t.equal((await app.inject({ url: '/posts', headers: bearer(rotated.access_token) })).statusCode, 200,
    'the rotated access token still reads')
  t.equal(app.authJwt.decodeToken(rotated.access_token).scope, 'posts:read', 'with the scopes of the login, no more')
})

t.test('scopes: the claims schema refuses a token signed with the right key but claims the app never issues', async t => {
  const app = await buildScopes({ secretKey })
  t.teardown(() => app.close())
  const now = Math.floor(Date.now() / 1000)
  const forged = forge({ payload: { sub: 'mallory', iat: now, exp: now + 60, type: 'access', role: 'root', scope: 'posts:read' }, secret: secretKey })
  expectAuthError(t, await app.inject({ url: '/posts', headers: bearer(forged) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { what: 'a role outside the schema', message: 'Invalid claims' })
  const extra = forge({ payload: { sub: 'mallory', iat: now, type: 'access', role: 'reader', scope: 'posts:read', admin: true }, secret: secretKey })
  expectAuthError(t, await app.inject({ url: '/posts', headers: bearer(extra) }), 'FST_JWT_AUTH_TOKEN_INVALID',
    { what: 'a claim the schema does not allow', message: 'Invalid claims' })
})

t.test('current user: the account behind the token, locked out once disabled', async t => {
  const app = await buildCurrentUser({ secretKey })
  t.teardown(() => app.close())
  const { access_token: token } = await login(app, 'test', 'test')
  t.same((await app.inject({ url: '/me', headers: bearer(token) })).json(), { username: 'test', displayName: 'Test User' },
    'the handler reads the looked-up account')
  t.same((await app.inject({ method: 'POST', url: '/accounts/disable', headers: bearer(token) })).json(), { disabled: true },
    'the account disables itself')
  expectAuthError(t, await app.inject({ url: '/me', headers: bearer(token) }), 'FST_JWT_AUTH_USER_NOT_FOUND',
    { what: 'its still-valid token is refused' })
})
