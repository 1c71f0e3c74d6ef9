// examples/openapi.ts with inject: the document Swagger UI loads names the
// token each route needs, and the routes answer as the document says, their
// body schemas still checked.
import t from 'tap'
import { build } from '../../examples/openapi'
import { bearer } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'

process.env.LOG_LEVEL = 'silent'
const secretKey = 'an-examples-secret-that-is-long-enough-for-hs256'

t.test('the served document describes each route\'s token', async t => {
  const app = await build({ secretKey })
  t.teardown(() => app.close())
  const response = await app.inject({ url: '/docs/json' })
  t.equal(response.statusCode, 200)
  t.notOk(response.body.includes('x-fastify-jwt-auth'), 'no marker')
  const { paths, components } = response.json()
  t.notOk('security' in paths['/login'].post, '/login is open')
  t.same(paths['/refresh'].post.security, [{ bearerAuth: [] }])
  t.same(paths['/protected'].get.security, [{ bearerAuth: [] }])
  t.same(paths['/partially-protected'].get.security, [{}, { bearerAuth: [] }])
  t.same(paths['/account'].delete.security, [{ bearerAuth: [] }])
  t.match(paths['/account'].delete.responses, { 200: {}, 401: { description: /not fresh/ } })
  t.match(paths['/login'].post.responses, { 401: { description: /.+/ } }, 'the route\'s own 401 stays')
  t.match(components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  t.equal((await app.inject({ url: '/docs' })).statusCode, 200, 'Swagger UI is served')
})

t.test('the routes answer as documented', async t => {
  const app = await build({ secretKey })
  t.teardown(() => app.close())
  const login = await app.inject({ method: 'POST', url: '/login', payload: { username: 'test', password: 'test' } })
  const { access_token: access, refresh_token: refresh } = login.json()
  t.same((await app.inject({ url: '/protected', headers: bearer(access) })).json(), { user: 'test' })
  expectAuthError(t, await app.inject({ url: '/protected' }), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'no token: the documented 401' })
  t.same((await app.inject({ url: '/partially-protected' })).json(), { user: 'anonymous' })
  t.same((await app.inject({ url: '/partially-protected', headers: bearer(access) })).json(), { user: 'test' })
  t.equal((await app.inject({ method: 'DELETE', url: '/account', headers: bearer(access) })).statusCode, 200,
    'the login token is fresh')
  const renewed = (await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json().access_token
  expectAuthError(t, await app.inject({ method: 'DELETE', url: '/account', headers: bearer(renewed) }),
    'FST_JWT_AUTH_FRESH_REQUIRED', { what: 'a refreshed token is not' })
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: { username: 'test', password: 'no' } })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: { username: 'test' } })).statusCode, 400,
    'the body schema is checked')
})
