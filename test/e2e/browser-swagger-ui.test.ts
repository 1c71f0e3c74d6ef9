// Swagger UI (served by @fastify/swagger-ui, assets included: nothing comes
// from the network) in Debian's Chromium: the guarded route shows its lock,
// answers 401 when tried without a token, and 200 once the token of a
// /login tried in the same page is entered in the "Authorize" dialog, which
// shows the scheme's description as written, `<JWT>` included.
import type { Test } from 'tap'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { Browser, Locator, Page } from 'playwright-core'
import type { FastifyJwtAuthOptions } from '../../index'
import { buildApp, listen } from '../helpers/app'
import { browserTest, WAIT } from '../helpers/browser'

/** The app: Swagger UI on /docs, POST /login giving an access token, GET /protected behind jwtRequired. */
async function startApp (t: Test, options: FastifyJwtAuthOptions = {}): Promise<string> {
  const app = await buildApp(t, options, {
    before: async app => {
      await app.register(fastifySwagger, { openapi: { openapi: '3.0.3', info: { title: 'test', version: '1.0.0' } } })
      await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
    }
  })
  app.post<{ Body: { username: string } }>('/login', {
    schema: { body: { type: 'object', required: ['username'], properties: { username: { type: 'string' } } } }
  }, async request => ({ access_token: request.authJwt.createAccessToken({ subject: request.body.username }) }))
  app.get('/protected', { preHandler: app.jwtRequired }, async request => ({ user: request.authJwt.getJwtSubject() }))
  const port = await listen(app)
  return `http://127.0.0.1:${port}`
}

/** A page on Swagger UI, refusing every request that leaves the app; `external` lists them. */
async function openDocs (t: Test, browser: Browser, origin: string): Promise<{ page: Page, external: string[] }> {
  const context = await browser.newContext()
  t.teardown(() => context.close())
  const external: string[] = []
  await context.route('**/*', async route => {
    const url = route.request().url()
    if (url.startsWith(`${origin}/`)) return route.continue()
    external.push(url)
    return route.abort()
  })
  const page = await context.newPage()
  await page.goto(`${origin}/docs`, WAIT)
  await operation(page, 'get', '/protected').waitFor(WAIT)
  return { page, external }
}

function operation (page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock.opblock-${method}`, { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
}

/** Opens the operation, clicks "Try it out" (then `fill`s its form), "Execute", and waits for the answer. */
async function execute (page: Page, block: Locator, fill?: () => Promise<void>) {
  await block.locator('.opblock-summary-control').click(WAIT)
  await block.locator('button.try-out__btn').click(WAIT)
  await fill?.()
  const [response] = await Promise.all([
    page.waitForResponse(response => response.request().resourceType() === 'fetch', WAIT),
    block.locator('button.execute').click(WAIT)
  ])
  const status = block.locator('.live-responses-table tbody .response-col_status')
  await status.waitFor(WAIT)
  return { response, shown: (await status.textContent())?.trim() }
}

browserTest('Swagger UI: a guarded route tried without a token gets 401', async (t, browser) => {
  const origin = await startApp(t)
  const { page, external } = await openDocs(t, browser, origin)
  t.equal(await operation(page, 'get', '/protected').locator('.authorization__btn').count(), 1,
    'the guarded route shows a lock')
  t.equal(await operation(page, 'post', '/login').locator('.authorization__btn').count(), 0, '/login does not')

  const { response, shown } = await execute(page, operation(page, 'get', '/protected'))
  t.equal(response.status(), 401)
  t.equal(response.request().headers().authorization, undefined, 'no token was sent')
  t.match(shown, /^401/, 'the page shows the 401')
  t.same(external, [], 'nothing was fetched from outside the app')
})

browserTest('Swagger UI: the token from /login, entered in "Authorize", opens the guarded route', async (t, browser) => {
  const origin = await startApp(t)
  const { page, external } = await openDocs(t, browser, origin)

  const login = await execute(page, operation(page, 'post', '/login'), async () => {
    await operation(page, 'post', '/login').locator('textarea.body-param__text').fill('{"username":"alice"}', WAIT)
  })
  t.equal(login.response.status(), 200, '/login answers')
  const token = ((await login.response.json()) as { access_token: string }).access_token

  await page.locator('.auth-wrapper button.authorize').click(WAIT)
  const dialog = page.locator('.modal-ux')
  await dialog.locator('#auth-bearer-value').fill(token, WAIT)
  await dialog.locator('button.modal-btn.auth.authorize').click(WAIT)
  await dialog.locator('button.btn-done').click(WAIT)
  await dialog.waitFor({ ...WAIT, state: 'detached' })

  const { response, shown } = await execute(page, operation(page, 'get', '/protected'))
  t.equal(response.request().headers().authorization, `Bearer ${token}`, 'the UI sent the token')
  t.equal(response.status(), 200)
  t.same(await response.json(), { user: 'alice' })
  t.match(shown, /^200/, 'the page shows the 200')
  t.same(external, [], 'nothing was fetched from outside the app')
})

browserTest('Swagger UI: the "Authorize" dialog shows the header value to send, <JWT> included', async (t, browser) => {
  const origin = await startApp(t, { headerName: 'X-Token', headerType: 'JWT' })
  const { page, external } = await openDocs(t, browser, origin)
  await page.locator('.auth-wrapper button.authorize').click(WAIT)
  const dialog = page.locator('.modal-ux')
  const value = dialog.locator('code', { hasText: 'JWT <JWT>' })
  await value.waitFor(WAIT)
  t.equal(await value.textContent(), 'JWT <JWT>', 'shown as code, nothing dropped')
  t.match(await dialog.textContent(), /X-Token/, 'the header\'s name')
  t.same(external, [], 'nothing was fetched from outside the app')
})
