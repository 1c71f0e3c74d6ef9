// The cookie demo (examples/cookies.ts) in a real browser: Debian's Chromium
// driven by playwright-core (never a downloaded browser). Clicks through
// login → protected call → refresh → logout, checks what scripts can read,
// and shows that a cross-site form POST carrying the victim's cookies is
// refused by the double-submit CSRF check.
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { BrowserContext, Page } from 'playwright-core'
import type { FastifyJwtAuthOptions } from '../../index'
import { build } from '../../examples/cookies'
import { listen } from '../helpers/app'
import { browserTest, WAIT } from '../helpers/browser'

process.env.LOG_LEVEL = 'silent'

/** The demo app on 127.0.0.1, with a side-effecting protected route an attacker would target. */
async function startVictim (t: Test, options: FastifyJwtAuthOptions = {}): Promise<{ origin: string, transfers: () => number }> {
  const app = await build(options)
  let transfers = 0
  app.post('/transfer', { preHandler: app.jwtRequired }, async () => {
    transfers++
    return { transferred: true }
  })
  const port = await listen(app)
  t.teardown(() => app.close())
  return { origin: `http://127.0.0.1:${port}`, transfers: () => transfers }
}

/**
 * The attacker's site: another server, reached as http://localhost:<port>,
 * which is another site than http://127.0.0.1:<victim port>. Its page submits
 * a form to the victim's protected route as soon as it loads. text/plain is
 * the form encoding that reaches the guard (Fastify parses it; a urlencoded
 * body would be refused with 415 before any guard runs).
 */
async function startAttacker (t: Test, target: string): Promise<string> {
  const app = Fastify({ logger: false })
  app.get('/', async (_request, reply) => reply.type('text/html').send(`<!doctype html>
<title>You won a prize</title>
<p id="seen"></p>
<form method="POST" action="${target}" enctype="text/plain">
  <input type="hidden" name="amount" value="1000">
</form>
<script>
  document.getElementById('seen').textContent = 'cookies seen here: ' + (document.cookie || '(none)')
  document.forms[0].submit()
</script>`))
  const port = await listen(app)
  t.teardown(() => app.close())
  return `http://localhost:${port}/`
}

/** Clicks a button of the demo page and returns what the page then shows for it. */
async function click (page: Page, button: string): Promise<string> {
  const output = `${button}-result`
  await page.evaluate(id => { document.getElementById(id)!.textContent = '' }, output)
  await page.click(`#${button}`)
  await page.waitForFunction(id => {
    const text = document.getElementById(id)!.textContent
    return text !== '' && text !== '…'
  }, output, WAIT)
  return await page.textContent(`#${output}`) as string
}

async function shownCookies (page: Page): Promise<string> {
  return await page.textContent('#cookies') as string
}

async function logIn (page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`, WAIT)
  const result = await click(page, 'login')
  if (result !== '200 {"login":true}') throw new Error(`login failed: ${result}`)
}

/** Opens the attacker's page, which posts to the victim; returns the victim's JSON answer. */
async function attack (page: Page, attackerUrl: string, target: string): Promise<Record<string, unknown>> {
  await Promise.all([
    page.waitForURL(target, WAIT),
    page.goto(attackerUrl, WAIT)
  ])
  return JSON.parse(await page.textContent('body') as string)
}

browserTest('the cookie demo in Chromium', async (t, browser) => {
  // One page for all (opening one costs about a second); each test starts
  // with an empty cookie jar.
  const context: BrowserContext = await browser.newContext()
  const page: Page = await context.newPage()

  t.test('login → protected call → refresh → logout', async t => {
    await context.clearCookies()
    const { origin } = await startVictim(t)
    await page.goto(`${origin}/`, WAIT)
    t.equal(await shownCookies(page), '(none)', 'no cookie before login')
    t.match(await click(page, 'protected'), /^401 .*"code":"FST_JWT_AUTH_MISSING_TOKEN"/, 'nothing works before login')

    await page.fill('#password', 'wrong')
    t.equal(await click(page, 'login'), '401 {"message":"Bad username or password"}', 'a wrong password is refused')
    await page.fill('#password', 'test')
    t.equal(await click(page, 'login'), '200 {"login":true}', 'the right password logs in')

    t.test('scripts see the CSRF cookies, never the JWT cookies', async t => {
      const visible = await page.evaluate(() => document.cookie)
      t.match(visible, /(^|; )csrf_access_token=[0-9a-f-]{36}(;|$)/, 'the access CSRF cookie is readable')
      t.match(visible, /(^|; )csrf_refresh_token=[0-9a-f-]{36}(;|$)/, 'the refresh CSRF cookie is readable')
      t.notMatch(visible, 'access_token_cookie', 'the access JWT cookie is not')
      t.notMatch(visible, 'refresh_token_cookie', 'the refresh JWT cookie is not')
      t.notMatch(visible, 'eyJ', 'no JWT at all')
      t.equal(await shownCookies(page), visible, 'the page shows what it can read')
      // The browser holds them all, with the demo's attributes.
      const jar = Object.fromEntries((await context.cookies()).map(cookie => [cookie.name, cookie]))
      t.match(jar.access_token_cookie, { httpOnly: true, path: '/', sameSite: 'Lax' }, 'the access JWT cookie\'s attributes')
      t.match(jar.refresh_token_cookie, { httpOnly: true, path: '/refresh', sameSite: 'Lax' }, 'the refresh JWT cookie\'s attributes')
      t.match(jar.csrf_access_token, { httpOnly: false, path: '/' }, 'the access CSRF cookie\'s attributes')
      t.match(jar.csrf_refresh_token, { httpOnly: false, path: '/' }, 'the refresh CSRF cookie\'s attributes')
    })

    t.test('the protected call sends the CSRF header and passes', async t => {
      t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'the protected call passes')
    })

    t.test('refresh replaces the access cookie and its CSRF cookie', async t => {
      const before = await page.evaluate(() => document.cookie)
      t.equal(await click(page, 'refresh'), '200 {"refresh":true}', 'the refresh passes')
      const after = await page.evaluate(() => document.cookie)
      const csrfIn = (cookies: string) => /csrf_access_token=([^;]+)/.exec(cookies)?.[1]
      t.ok(csrfIn(after), 'an access CSRF cookie is there')
      t.not(csrfIn(after), csrfIn(before), 'a new access token, a new CSRF value')
      t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'the new access cookie works')
    })

    t.test('logout clears every cookie', async t => {
      t.equal(await click(page, 'logout'), '200 {"logout":true}', 'the logout passes')
      t.equal(await shownCookies(page), '(none)', 'the page sees no cookie')
      t.same(await context.cookies(), [], 'the browser holds no cookie')
      t.match(await click(page, 'protected'), /^401 .*"code":"FST_JWT_AUTH_MISSING_TOKEN"/, 'the protected call is refused')
      t.match(await click(page, 'refresh'), /^401 .*Missing cookie refresh_token_cookie/, 'the refresh is refused')
    })
  })

  // The double-submit check proven in the browser. The victim is
  // configured with SameSite=None (and Secure, which Chromium accepts on
  // http://127.0.0.1), so the browser really sends the victim's cookies
  // with the cross-site form POST: only the CSRF check stands in the way.
  // The answer, FST_JWT_AUTH_CSRF_MISSING rather than MISSING_TOKEN, shows
  // that the access cookie did arrive; the attacker's page cannot read the
  // CSRF cookie of another site, so it cannot send the header.
  t.test('a cross-site form POST with the victim\'s cookies is refused (SameSite=None)', async t => {
    await context.clearCookies()
    const victim = await startVictim(t, { cookieSamesite: 'none', cookieSecure: true })
    await logIn(page, victim.origin)
    t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'the victim\'s own page works')

    const target = `${victim.origin}/transfer`
    const attackerUrl = await startAttacker(t, target)
    const answer = await attack(page, attackerUrl, target)
    t.same(answer, { statusCode: 401, code: 'FST_JWT_AUTH_CSRF_MISSING', error: 'Unauthorized', message: 'Missing CSRF Token' },
      'the cookies arrived, the CSRF header did not')
    t.equal(victim.transfers(), 0, 'the handler never ran')

    // The same route from the victim's page, with the header, goes through.
    await page.goto(`${victim.origin}/`, WAIT)
    const ok = await page.evaluate(async () => {
      const csrf = /csrf_access_token=([^;]+)/.exec(document.cookie)?.[1] ?? ''
      const response = await fetch('/transfer', { method: 'POST', headers: { 'X-CSRF-Token': csrf } })
      return response.status
    })
    t.equal(ok, 200, 'the victim\'s page, with the header, passes')
    t.equal(victim.transfers(), 1, 'the handler ran once')
  })

  // With the demo's default SameSite=Lax the browser does not even send the
  // cookies on a cross-site POST: a second, independent defence.
  t.test('a cross-site form POST carries no cookie at all with SameSite=Lax', async t => {
    await context.clearCookies()
    const victim = await startVictim(t)
    await logIn(page, victim.origin)
    const target = `${victim.origin}/transfer`
    const answer = await attack(page, await startAttacker(t, target), target)
    t.equal(answer.code, 'FST_JWT_AUTH_MISSING_TOKEN', 'no cookie arrived')
    t.equal(victim.transfers(), 0, 'the handler never ran')
  })
})
