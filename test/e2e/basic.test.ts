// The README's quick-start curl session (no token: 401; log in; the token
// opens /protected), replayed with fetch against examples/basic.ts on a real
// port, then the example's other routes and a tampered token.
import t from 'tap'
import { build } from '../../examples/basic'
import { bearer, listen } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'

process.env.LOG_LEVEL = 'silent'

/** A fetch answer in the shape expectAuthError reads, with its body as text. */
async function answer (response: Response): Promise<{
  statusCode: number
  headers: Record<string, string>
  body: string
  json: () => unknown
}> {
  const body = await response.text()
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), body, json: () => JSON.parse(body) }
}

t.test('quick start over HTTP', async t => {
  const app = await build({ secretKey: 'an-end-to-end-secret-long-enough-for-hs256' })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${await listen(app)}`

  const anonymous = await answer(await fetch(`${base}/protected`))
  expectAuthError(t, anonymous, 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing Authorization Header', what: 'no token' })

  const wrongPassword = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'test', password: 'nope' })
  })
  t.equal(wrongPassword.status, 401, 'a wrong password gets no token')

  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'test', password: 'test' })
  })
  t.equal(login.status, 200, 'test/test logs in')
  const { access_token: token } = await login.json() as { access_token: string }
  t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the answer holds a JWT')
  const authorization = bearer(token)

  const protectedRoute = await fetch(`${base}/protected`, { headers: authorization })
  t.equal(protectedRoute.status, 200, 'the token opens /protected')
  t.same(await protectedRoute.json(), { logged_in_as: 'test' }, 'as the user who logged in')

  t.same(await (await fetch(`${base}/get_jwt_subject`, { headers: authorization })).json(), { subject: 'test' },
    'the check called inside the handler passes too')
  const raw = await (await fetch(`${base}/get_raw_jwt`, { headers: authorization })).json() as Record<string, unknown>
  t.equal(raw.sub, 'test', 'getRawJwt: the subject')
  t.equal(raw.type, 'access', 'getRawJwt: an access token')
  t.same(await (await fetch(`${base}/get_jti`, { headers: authorization })).json(), { jti: raw.jti },
    "the jti of the token's claims")
  t.same(await (await fetch(`${base}/get_headers`, { headers: authorization })).json(), { alg: 'HS256', typ: 'JWT' },
    "the token's header, unverified")
  t.same(await (await fetch(`${base}/partially-protected`)).json(), { user: 'anonymous' },
    'jwtOptional: no token, anonymous')
  t.same(await (await fetch(`${base}/partially-protected`, { headers: authorization })).json(), { user: 'test' },
    'jwtOptional: with the token, the user')

  const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA')
  const refused = await answer(await fetch(`${base}/protected`, { headers: bearer(tampered) }))
  expectAuthError(t, refused, 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a tampered token' })
  t.notMatch(refused.body, tampered, 'the answer does not echo the token')
})
