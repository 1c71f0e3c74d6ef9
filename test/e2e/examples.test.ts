// The refresh and freshness flows of examples/refresh.ts and
// examples/freshness.ts, end to end with inject.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build as buildRefresh } from '../../examples/refresh'
import { build as buildFreshness } from '../../examples/freshness'
import { bearer } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'

process.env.LOG_LEVEL = 'silent'
const secretKey = 'an-examples-secret-that-is-long-enough-for-hs256'
const credentials = { username: 'test', password: 'test' }

async function post (app: FastifyInstance, url: string, token?: string, body?: object) {
  return app.inject({
    method: 'POST',
    url,
    ...(body === undefined ? {} : { payload: body }),
    headers: token === undefined ? {} : bearer(token)
  })
}

t.test('refresh flow', async t => {
  const app = await buildRefresh({ secretKey })
  t.teardown(() => app.close())
  t.equal((await post(app, '/login', undefined, { username: 'test', password: 'x' })).statusCode, 401,
    'a wrong password gets no tokens')
  const { access_token: access, refresh_token: refresh } = (await post(app, '/login', undefined, credentials)).json()

  t.equal((await app.inject({ url: '/protected', headers: bearer(access) })).statusCode, 200,
    'the access token opens /protected')
  expectAuthError(t, await app.inject({ url: '/protected', headers: bearer(refresh) }), 'FST_JWT_AUTH_ACCESS_REQUIRED',
    { what: 'the refresh token does not open /protected' })
  expectAuthError(t, await post(app, '/refresh', access), 'FST_JWT_AUTH_REFRESH_REQUIRED',
    { what: 'the access token cannot refresh' })

  const renewed = (await post(app, '/refresh', refresh)).json().access_token
  t.not(renewed, access, 'the refresh token gets a new access token')
  const response = await app.inject({ url: '/protected', headers: bearer(renewed) })
  t.same(response.json(), { user: 'test' }, 'which opens /protected for the same user')
})

t.test('freshness flow', async t => {
  const app = await buildFreshness({ secretKey })
  t.teardown(() => app.close())
  const get = (url: string, token: string) => app.inject({ url, headers: bearer(token) })
  const { access_token: fresh, refresh_token: refresh } = (await post(app, '/login', undefined, credentials)).json()

  t.same((await get('/protected-fresh', fresh)).json(), { user: 'test', fresh: true },
    'the token of a password login is fresh')
  const stale = (await post(app, '/refresh', refresh)).json().access_token
  t.equal((await get('/protected', stale)).statusCode, 200, 'a refreshed token reaches ordinary routes')
  expectAuthError(t, await get('/protected-fresh', stale), 'FST_JWT_AUTH_FRESH_REQUIRED',
    { what: 'but not the routes that need a fresh token' })

  t.equal((await post(app, '/fresh-login', undefined, { username: 'test', password: 'no' })).statusCode, 401,
    'a wrong password gets no fresh token')
  const again = (await post(app, '/fresh-login', undefined, credentials)).json().access_token
  t.equal((await get('/protected-fresh', again)).statusCode, 200, 'a password login makes a fresh token again')
})
