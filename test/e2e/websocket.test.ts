// WebSocket routes of @fastify/websocket behind the guards, with a real `ws`
// client against examples/websocket.ts: the upgrade is authenticated before
// the socket opens, and refused with the normal HTTP error.
import t, { type Test } from 'tap'
import type { IncomingMessage } from 'node:http'
import WebSocket from 'ws'
import type { AuthJwtErrorCode } from '../../index'
import { build } from '../../examples/websocket'
import { listen } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { csrfOf } from '../helpers/forge'

process.env.LOG_LEVEL = 'silent'

type Outcome =
  | { opened: true, ws: WebSocket }
  | { opened: false, status: number, headers: IncomingMessage['headers'], body: Record<string, unknown> }

/** Opens a WebSocket, or reports the HTTP answer that refused the upgrade. */
function connect (url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ opened: true, ws }))
    ws.once('unexpected-response', (_request, response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { text += chunk })
      response.on('end', () => resolve({ opened: false, status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) }))
    })
    ws.once('error', reject)
  })
}

function echo (ws: WebSocket, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', data => resolve(String(data)))
    ws.once('error', reject)
    ws.send(message)
  })
}

function close (ws: WebSocket): Promise<void> {
  return new Promise(resolve => {
    ws.once('close', () => resolve())
    ws.close()
  })
}

t.test('a WebSocket echo behind jwtRequired', async t => {
  const app = await build()
  // A normal route, to show that csrf_token counts for WebSocket upgrades only.
  app.post('/action', { preHandler: app.jwtRequired }, async request => ({ subject: request.authJwt.getJwtSubject() }))
  t.teardown(() => app.close())
  const port = await listen(app)
  const base = `ws://127.0.0.1:${port}/echo`
  const login = await app.inject({ method: 'POST', url: '/login', payload: { username: 'test', password: 'test' } })
  const token: string = login.json().access_token
  const cookie = `access_token_cookie=${token}`
  const csrf = csrfOf(token)

  /** The upgrade was answered with the plugin's `code` error, and the socket never opened. */
  async function assertRefused (t: Test, outcome: Outcome, code: AuthJwtErrorCode, message?: string): Promise<void> {
    t.equal(outcome.opened, false, 'the socket did not open')
    if (outcome.opened) return close(outcome.ws)
    expectAuthError(t, { statusCode: outcome.status, headers: outcome.headers, json: () => outcome.body }, code, { message })
    t.notMatch(JSON.stringify(outcome.body), token, 'the token is not echoed')
  }

  async function assertEchoes (t: Test, outcome: Outcome): Promise<void> {
    t.equal(outcome.opened, true, 'the socket opened')
    if (!outcome.opened) return
    t.equal(await echo(outcome.ws, 'hello'), 'test: hello', 'a message echoes with the subject')
    t.equal(await echo(outcome.ws, 'again'), 'test: again', 'messages keep flowing')
    await close(outcome.ws)
  }

  t.test('no token: the upgrade is refused with 401, and the client sees it', async t => {
    await assertRefused(t, await connect(base), 'FST_JWT_AUTH_MISSING_TOKEN',
      'Missing Authorization Header; Missing query parameter token; Missing cookie access_token_cookie')
  })

  t.test('token in the query: messages echo', async t => {
    await assertEchoes(t, await connect(`${base}?token=${token}`))
  })

  t.test('token in the Authorization header (non-browser clients): messages echo', async t => {
    await assertEchoes(t, await connect(base, { authorization: `Bearer ${token}` }))
  })

  t.test('a bad token in the query is refused', async t => {
    await assertRefused(t, await connect(`${base}?token=${token}x`), 'FST_JWT_AUTH_TOKEN_INVALID')
    const expired = app.authJwt.createAccessToken({ subject: 'test', expiresTime: 0 })
    await assertRefused(t, await connect(`${base}?token=${expired}`), 'FST_JWT_AUTH_TOKEN_EXPIRED')
    const refresh = app.authJwt.createRefreshToken({ subject: 'test' })
    await assertRefused(t, await connect(`${base}?token=${refresh}`), 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })

  t.test('cookie without a CSRF value: refused, although the handshake is a GET', async t => {
    await assertRefused(t, await connect(base, { cookie }), 'FST_JWT_AUTH_CSRF_MISSING', 'Missing CSRF Token')
    await assertRefused(t, await connect(`${base}?csrf_token=`, { cookie }), 'FST_JWT_AUTH_CSRF_MISSING')
  })

  t.test('cookie + csrf_token query parameter: accepted', async t => {
    await assertEchoes(t, await connect(`${base}?csrf_token=${csrf}`, { cookie }))
  })

  t.test('cookie + CSRF header: accepted', async t => {
    await assertEchoes(t, await connect(base, { cookie, 'x-csrf-token': csrf }))
  })

  t.test('cookie + a wrong or repeated csrf_token: refused', async t => {
    const other = csrfOf(app.authJwt.createAccessToken({ subject: 'test' }))
    await assertRefused(t, await connect(`${base}?csrf_token=${other}`, { cookie }), 'FST_JWT_AUTH_CSRF_MISMATCH')
    await assertRefused(t, await connect(`${base}?csrf_token=${csrf}&csrf_token=${csrf}`, { cookie }), 'FST_JWT_AUTH_CSRF_MISSING')
  })

  t.test('csrf_token in the query of a normal POST does not count', async t => {
    const response = await app.inject({ method: 'POST', url: `/action?csrf_token=${csrf}`, headers: { cookie } })
    expectAuthError(t, response, 'FST_JWT_AUTH_CSRF_MISSING', { what: 'a POST with csrf_token in the query' })
    // Not even with an Upgrade header: a WebSocket handshake is a GET.
    const upgrade = await app.inject({ method: 'POST', url: `/action?csrf_token=${csrf}`, headers: { cookie, upgrade: 'websocket' } })
    expectAuthError(t, upgrade, 'FST_JWT_AUTH_CSRF_MISSING', { what: 'a POST asking for a WebSocket upgrade' })
    // The header still works.
    const ok = await app.inject({ method: 'POST', url: '/action', headers: { cookie, 'x-csrf-token': csrf } })
    t.same(ok.json(), { subject: 'test' }, 'a POST with the CSRF header passes')
  })

  t.test('a GET with another Upgrade value is an ordinary GET', async t => {
    const response = await app.inject({ url: '/echo', headers: { cookie, upgrade: 'h2c' } })
    // Not a WebSocket request: the guard passes (GET, not CSRF-checked), then @fastify/websocket answers 404.
    t.equal(response.statusCode, 404, 'the guard let the GET through to @fastify/websocket')
  })
})
