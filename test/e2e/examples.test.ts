// The refresh and freshness flows of the examples, end to end with inject.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build as buildRefresh } from '../examples/refresh'
import { build as buildFreshness } from '../examples/freshness'

process.env.LOG_LEVEL = 'silent'
const secretKey = 'an-examples-secret-that-is-long-enough-for-hs256'
const credentials = { username: 'test', password: 'test' }

async function post (app: FastifyInstance, url: string, token?: string, body?: object) {
  return app.inject({
    method: 'POST',
    url,
    ...(body === undefined ? {} : { payload: body }),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
  })
}

t.test('refresh flow', async t => {
  const app = await buildRefresh({ secretKey })
  t.teardown(() => app.close())
  t.equal((await post(app, '/login', undefined, { username: 'test', password: 'x' })).statusCode, 401)
  const { access_token: access, refresh_token: refresh } = (await post(app, '/login', undefined, credentials)).json()

  t.equal((await app.inject({ url: '/protected', headers: { authorization: `Bearer ${access}` } })).statusCode, 200)
  t.equal((await app.inject({ url: '/protected', headers: { authorization: `Bearer ${refresh}` } })).json().code,
    'FST_JWT_AUTH_ACCESS_REQUIRED')
  t.equal((await post(app, '/refresh', access)).json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED')

  const renewed = (await post(app, '/refresh', refresh)).json().access_token
  t.not(renewed, access)
  const response = await app.inject({ url: '/protected', headers: { authorization: `Bearer ${renewed}` } })
  t.same(response.json(), { user: 'test' })
})

t.test('freshness flow', async t => {
  const app = await buildFreshness({ secretKey })
  t.teardown(() => app.close())
  const get = (url: string, token: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } })
  const { access_token: fresh, refresh_token: refresh } = (await post(app, '/login', undefined, credentials)).json()

  t.same((await get('/protected-fresh', fresh)).json(), { user: 'test', fresh: true })
  const stale = (await post(app, '/refresh', refresh)).json().access_token
  t.equal((await get('/protected', stale)).statusCode, 200, 'a refreshed token reaches ordinary routes')
  t.equal((await get('/protected-fresh', stale)).json().code, 'FST_JWT_AUTH_FRESH_REQUIRED')

  t.equal((await post(app, '/fresh-login', undefined, { username: 'test', password: 'no' })).statusCode, 401)
  const again = (await post(app, '/fresh-login', undefined, credentials)).json().access_token
  t.equal((await get('/protected-fresh', again)).statusCode, 200, 'a password login makes a fresh token again')
})
