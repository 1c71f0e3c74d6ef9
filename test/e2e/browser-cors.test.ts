// A real cross-origin fetch in Chromium, against a guarded route that answers
// every method, OPTIONS included: @fastify/cors answers the browser's
// preflight (which carries no credentials) before the guard, and the request
// itself needs the token. The handler's side effect happens for the
// authenticated call only.
import fastifyCors from '@fastify/cors'
import Fastify from 'fastify'
import { jwtRequired } from '../../index'
import { buildApp, listen } from '../helpers/app'
import { browserTest, WAIT } from '../helpers/browser'

browserTest('a cross-origin fetch with a bearer token in Chromium', async (t, browser) => {
  // The page's origin, http://localhost:<port>, is not the API's (127.0.0.1).
  const site = Fastify({ logger: false })
  site.get('/', async (_request, reply) => reply.type('text/html').send('<!doctype html><title>client</title>'))
  const pageOrigin = `http://localhost:${await listen(site)}`
  t.teardown(() => site.close())

  // Every answer of the API, recorded before it is sent (onSend), so that it
  // is there by the time the page sees the response.
  const answered: string[] = []
  const api = await buildApp(t, {}, {
    before: async api => {
      api.addHook('onSend', async (request, reply, payload) => {
        answered.push(`${request.method} ${reply.statusCode}`)
        return payload
      })
      await api.register(fastifyCors, { origin: pageOrigin, methods: ['GET', 'PUT'], allowedHeaders: ['Authorization'] })
    }
  })
  const transfers: string[] = []
  api.all('/transfer', { preHandler: jwtRequired }, async request => {
    transfers.push(request.method)
    return { transferred: true }
  })
  const url = `http://127.0.0.1:${await listen(api)}/transfer`

  const page = await browser.newPage()
  t.teardown(() => page.close())
  await page.goto(`${pageOrigin}/`, WAIT)
  // PUT is not a simple method: the browser sends a preflight first, with or
  // without the Authorization header.
  const put = (authorization?: string) => page.evaluate(async ({ url, authorization }) => {
    const response = await fetch(url, { method: 'PUT', headers: authorization === undefined ? {} : { Authorization: authorization } })
    return { status: response.status, body: await response.json() }
  }, { url, authorization })

  const anonymous = await put()
  t.equal(anonymous.status, 401, 'the call without a token is refused')
  t.equal(anonymous.body.code, 'FST_JWT_AUTH_MISSING_TOKEN', 'refused for the missing token, and the page can read why')
  t.same(answered, ['OPTIONS 204', 'PUT 401'], '@fastify/cors answered the preflight, then the guard refused the PUT')
  t.same(transfers, [], 'the handler did not run')

  const forged = await put('Bearer not.a.token')
  t.equal(forged.status, 401, 'the call with a bad token is refused')
  t.equal(forged.body.code, 'FST_JWT_AUTH_TOKEN_INVALID', 'refused for the bad token')
  t.same(transfers, [], 'the handler still did not run')

  const token = api.authJwt.createAccessToken({ subject: 'alice' })
  const authenticated = await put(`Bearer ${token}`)
  t.equal(authenticated.status, 200, 'the call with a valid token succeeds')
  t.same(authenticated.body, { transferred: true }, 'the handler answered')
  t.same(transfers, ['PUT'], 'the handler ran once, for the authenticated PUT, never for a preflight')
  t.ok(answered.filter(line => line.startsWith('OPTIONS')).every(line => line === 'OPTIONS 204'),
    'every preflight got the CORS answer')
})
