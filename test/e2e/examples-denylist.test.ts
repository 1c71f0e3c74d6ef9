// The denylist examples end to end: revoking the access token, the refresh
// token, and logging out, with the memory store and with Redis (skipped when
// Redis does not answer, unless REQUIRE_REDIS=1).
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build as buildMemory } from '../../examples/denylist'
import { build as buildRedis } from '../../examples/denylist-redis'
import { realRedis, REDIS_URL, unusedRedisUrl } from '../helpers/redis'

process.env.LOG_LEVEL = 'silent'
const secretKey = 'an-examples-secret-that-is-long-enough-for-hs256'
const credentials = { username: 'test', password: 'test' }
const REVOKED = {
  statusCode: 401,
  code: 'FST_JWT_AUTH_TOKEN_REVOKED',
  error: 'Unauthorized',
  message: 'Token has been revoked'
}

interface Session { access: string, refresh: string }

function client (app: FastifyInstance) {
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, body?: object) => app.inject({
    method,
    url,
    ...(body === undefined ? {} : { payload: body }),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
  })
  return {
    call,
    async login (): Promise<Session> {
      const response = await call('POST', '/login', undefined, credentials)
      const { access_token: access, refresh_token: refresh } = response.json()
      return { access, refresh }
    },
    protectedRoute: (token: string) => call('GET', '/protected', token),
    refresh: (token: string) => call('POST', '/refresh', token),
    logout: (access: string, refreshToken?: unknown) =>
      call('POST', '/logout', access, refreshToken === undefined ? {} : { refresh_token: refreshToken })
  }
}

// The same scenarios for both examples.
function flows (t: Test, build: () => Promise<FastifyInstance>): void {
  let app: FastifyInstance
  let api: ReturnType<typeof client>
  t.before(async () => {
    app = await build()
    api = client(app)
  })
  t.teardown(() => app.close())

  t.test('login', async t => {
    const bad = await api.call('POST', '/login', undefined, { username: 'test', password: 'nope' })
    t.equal(bad.statusCode, 401, 'a wrong password is refused')
    const { access, refresh } = await api.login()
    t.same((await api.protectedRoute(access)).json(), { user: 'test' }, 'the access token opens the protected route')
    t.equal((await api.refresh(refresh)).statusCode, 200, 'the refresh token refreshes')
  })

  t.test('DELETE /access-revoke revokes the access token only', async t => {
    const { access, refresh } = await api.login()
    const other = await api.login()
    const response = await api.call('DELETE', '/access-revoke', access)
    t.same(response.json(), { message: 'Access token revoked' }, 'the route answers that the access token is revoked')
    t.same((await api.protectedRoute(access)).json(), REVOKED, 'the revoked access token is refused')
    t.same((await api.call('DELETE', '/access-revoke', access)).json(), REVOKED, 'it cannot revoke itself again')
    t.same((await api.protectedRoute(other.access)).json(), { user: 'test' }, 'another session goes on')

    const renewed = (await api.refresh(refresh)).json().access_token
    t.same((await api.protectedRoute(renewed)).json(), { user: 'test' }, 'the refresh token still works')
    t.equal((await api.call('DELETE', '/access-revoke', refresh)).json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED',
      'a refresh token cannot use the access-revoke route')
  })

  t.test('DELETE /refresh-revoke revokes the refresh token only', async t => {
    const { access, refresh } = await api.login()
    t.equal((await api.call('DELETE', '/refresh-revoke', access)).json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED',
      'an access token cannot use the refresh-revoke route')
    t.same((await api.call('DELETE', '/refresh-revoke', refresh)).json(), { message: 'Refresh token revoked' },
      'the route answers that the refresh token is revoked')
    t.same((await api.refresh(refresh)).json(), REVOKED, 'the revoked refresh token is refused')
    t.same((await api.call('DELETE', '/refresh-revoke', refresh)).json(), REVOKED, 'it cannot revoke itself again')
    t.same((await api.protectedRoute(access)).json(), { user: 'test' }, 'the access token still works')
  })

  t.test('POST /logout revokes both tokens of the session', async t => {
    const { access, refresh } = await api.login()
    const other = await api.login()
    const response = await api.logout(access, refresh)
    t.equal(response.statusCode, 200, 'the logout succeeds')
    t.same(response.json(), { message: 'Logged out' }, 'and says so')
    t.same((await api.protectedRoute(access)).json(), REVOKED, 'the access token is refused afterwards')
    t.same((await api.refresh(refresh)).json(), REVOKED, 'so is the refresh token')
    t.same((await api.logout(access, refresh)).json(), REVOKED, 'a second logout is refused')
    t.same((await api.protectedRoute(other.access)).json(), { user: 'test' }, 'another session goes on')
    t.equal((await api.refresh(other.refresh)).statusCode, 200, 'and its refresh token still refreshes')
  })

  t.test('POST /logout refuses a bad refresh token and then revokes nothing', async t => {
    const { access, refresh } = await api.login()
    const cases: Array<[string, unknown, number, string]> = [
      ['no refresh token', undefined, 400, 'FST_ERR_VALIDATION'],
      ['an empty one', '', 400, 'FST_ERR_VALIDATION'],
      ['garbage', 'not.a.token', 401, 'FST_JWT_AUTH_TOKEN_INVALID'],
      ['an access token', access, 401, 'FST_JWT_AUTH_REFRESH_REQUIRED']
    ]
    for (const [name, body, status, code] of cases) {
      const response = await api.logout(access, body)
      t.equal(response.statusCode, status, `${name}: ${status}`)
      t.equal(response.json().code, code, `${name}: ${code}`)
    }
    const foreign = app.authJwt.createRefreshToken({ subject: 'mallory' })
    const response = await api.logout(access, foreign)
    t.equal(response.statusCode, 403, 'another user\'s refresh token')
    t.same(response.json(), { statusCode: 403, error: 'Forbidden', message: 'The refresh token belongs to another user' },
      'with Forbidden and a message saying why')
    t.equal((await api.refresh(foreign)).statusCode, 200, 'the other user\'s token was not revoked')

    t.equal((await api.logout(refresh, refresh)).json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED',
      'the header must hold the access token')
    t.same((await api.protectedRoute(access)).json(), { user: 'test' }, 'nothing was revoked')
    t.equal((await api.refresh(refresh)).statusCode, 200, 'the refresh token still refreshes')
  })

  t.test('POST /logout with an expired refresh token revokes the access token', async t => {
    const { access } = await api.login()
    const expired = app.authJwt.createRefreshToken({ subject: 'test', expiresTime: 0 })
    t.same((await api.logout(access, expired)).json(), { message: 'Logged out' }, 'the logout succeeds')
    t.same((await api.protectedRoute(access)).json(), REVOKED, 'the access token is revoked')
  })

  t.test('a refresh token without a session is not an access token', async t => {
    const { refresh } = await api.login()
    t.equal((await api.protectedRoute(refresh)).json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED',
      'refused where an access token is required')
  })
}

t.test('examples/denylist.ts (memory)', async t => {
  flows(t, () => buildMemory({ secretKey }))
})

t.test('examples/denylist-redis.ts', async t => {
  const redis = await realRedis(t, 'Redis example')
  if (redis === null) return
  const { admin, prefix } = redis

  t.test('the same flows', async t => {
    flows(t, () => buildRedis({ secretKey }, { url: REDIS_URL, prefix }))
  })

  t.test('two instances share the denylist', async t => {
    const one = await buildRedis({ secretKey }, { url: REDIS_URL, prefix })
    t.teardown(() => one.close())
    const two = await buildRedis({ secretKey }, { url: REDIS_URL, prefix })
    t.teardown(() => two.close())
    const { access, refresh } = await client(one).login()
    t.same((await client(two).protectedRoute(access)).json(), { user: 'test' },
      'the other instance lets the access token in before the logout')
    t.same((await client(one).logout(access, refresh)).json(), { message: 'Logged out' }, 'the logout on one instance succeeds')
    t.same((await client(two).protectedRoute(access)).json(), REVOKED, 'logged out on one, refused by the other')
    t.same((await client(two).refresh(refresh)).json(), REVOKED, 'the refresh token is refused by the other too')
    const key = `${prefix}jti:${one.authJwt.getJti(refresh) as string}`
    t.equal(await admin.exists(key), 1, 'under the prefix given')
  })

  t.test('REDIS_URL is the default address', async t => {
    const app = await buildRedis({ secretKey }, { prefix })
    t.teardown(() => app.close())
    const { access } = await client(app).login()
    t.same((await client(app).call('DELETE', '/access-revoke', access)).json(), { message: 'Access token revoked' },
      'the access token is revoked')
    t.equal(await admin.exists(`${prefix}jti:${app.authJwt.getJti(access) as string}`), 1,
      'its key is in the Redis at REDIS_URL, under the prefix')
  })

  t.test('without Redis the example does not start, and leaves nothing running', async t => {
    // Were a connection left reconnecting, this test file would never end.
    await t.rejects(buildRedis({ secretKey }, { url: await unusedRedisUrl() }), { message: /Cannot connect to Redis/ },
      'the example refuses to start, saying why')
  })

  t.test('a bad plugin option closes the Redis connection too', async t => {
    await t.rejects(buildRedis({ secretKey, algorithm: 'RS256' }, { url: REDIS_URL, prefix }), { code: 'FST_JWT_AUTH_CONFIG' },
      'the configuration error reaches the caller')
  })
})
