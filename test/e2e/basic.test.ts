// The seed's curl session, replayed with fetch against examples/basic.ts on a
// real port.
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { build } from '../examples/basic'

process.env.LOG_LEVEL = 'silent'

t.test('quick start over HTTP', async t => {
  const app = await build({ secretKey: 'an-end-to-end-secret-long-enough-for-hs256' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const anonymous = await fetch(`${base}/protected`)
  t.equal(anonymous.status, 401)
  t.equal(anonymous.headers.get('www-authenticate'), 'Bearer')
  t.same(await anonymous.json(), {
    statusCode: 401,
    code: 'FST_JWT_AUTH_MISSING_TOKEN',
    error: 'Unauthorized',
    message: 'Missing Authorization Header'
  })

  const wrongPassword = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'test', password: 'nope' })
  })
  t.equal(wrongPassword.status, 401)

  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'test', password: 'test' })
  })
  t.equal(login.status, 200)
  const { access_token: token } = await login.json() as { access_token: string }
  t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/)
  const authorization = { authorization: `Bearer ${token}` }

  const protectedRoute = await fetch(`${base}/protected`, { headers: authorization })
  t.equal(protectedRoute.status, 200)
  t.same(await protectedRoute.json(), { logged_in_as: 'test' })

  t.same(await (await fetch(`${base}/get_jwt_subject`, { headers: authorization })).json(), { subject: 'test' })
  const raw = await (await fetch(`${base}/get_raw_jwt`, { headers: authorization })).json() as Record<string, unknown>
  t.equal(raw.sub, 'test')
  t.equal(raw.type, 'access')
  t.same(await (await fetch(`${base}/get_jti`, { headers: authorization })).json(), { jti: raw.jti })
  t.same(await (await fetch(`${base}/get_headers`, { headers: authorization })).json(), { alg: 'HS256', typ: 'JWT' })
  t.same(await (await fetch(`${base}/partially-protected`)).json(), { user: 'anonymous' })
  t.same(await (await fetch(`${base}/partially-protected`, { headers: authorization })).json(), { user: 'test' })

  const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA')
  const refused = await fetch(`${base}/protected`, { headers: { authorization: `Bearer ${tampered}` } })
  t.equal(refused.status, 401)
  t.equal(refused.headers.get('www-authenticate'), 'Bearer error="invalid_token"')
  t.notMatch(await refused.text(), tampered)
})
