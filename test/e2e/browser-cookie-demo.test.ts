// The cookie demo (examples/cookies.ts) in a real browser: Debian's Chromium
// driven by playwright-core (never a downloaded browser). Clicks through
// login → protected call → CSRF-less call → refresh → logout, lets the access
// token expire and refreshes it, checks what scripts can read and what the
// page shows (claims, colours, stale answers cleared), renders the page at
// desktop and phone widths, and shows that a cross-site form POST carrying
// the victim's cookies is refused by the double-submit CSRF check. The
// session steps: refresh rotates both tokens, a replayed used refresh token
// ends the session, logging out everywhere ends every browser's, and a page
// in use gets its access cookie renewed.
import type { Test } from 'tap'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { FastifyJwtAuthOptions } from '../../index'
import { build } from '../../examples/cookies'
import { listen } from '../helpers/app'
import { browserTest, contrastRatio, pngSize, rgbChannels, WAIT } from '../helpers/browser'

process.env.LOG_LEVEL = 'silent'

// The access token's lifetime in the demo as `npm run demo` serves it.
const DEMO_LIFETIME = 30
// Its grace window for a used refresh token, and how close to the expiry a
// request renews the access cookie.
const DEMO_GRACE = 5
const DEMO_RENEW_WITHIN = 10
const RESULT_IDS = ['login-result', 'protected-result', 'no-csrf-result', 'refresh-result', 'replay-result',
  'logout-everywhere-result', 'logout-result']

/**
 * Moves the server's clock on: Date.now, which the plugin and its store
 * read, runs `advance`d ahead until the test ends. performance.now, which
 * Playwright's own timeouts read, is left alone, and time keeps flowing.
 */
function shiftClock (t: Test): { advance: (ms: number) => void } {
  const realNow = Date.now
  let offset = 0
  Date.now = () => realNow() + offset
  t.teardown(() => { Date.now = realNow })
  return { advance: ms => { offset += ms } }
}

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

/** What the page shows for one request: its badge, error code, explanation and body, and their colours. */
interface ShownAnswer {
  outcome: string
  badge: string
  code: string
  explanation: string
  body: string
  badgeColour: string
  badgeTextColour: string
  boxColour: string
  boxTextColour: string
}

async function shownAnswer (page: Page, id: string): Promise<ShownAnswer> {
  return await page.$eval(`#${id}`, output => {
    const part = (selector: string) => output.querySelector(selector)
    const badge = part('.badge')
    return {
      outcome: (output as HTMLElement).dataset.outcome ?? '',
      badge: badge?.textContent ?? '',
      code: part('.error-code')?.textContent ?? '',
      explanation: part('.result-text')?.textContent ?? '',
      body: part('.result-body')?.textContent ?? '',
      badgeColour: badge === null ? '' : getComputedStyle(badge).backgroundColor,
      badgeTextColour: badge === null ? '' : getComputedStyle(badge).color,
      boxColour: getComputedStyle(output).backgroundColor,
      boxTextColour: getComputedStyle(output).color
    }
  })
}

/**
 * Clicks a button of the demo page and waits until the page has shown the
 * answer and updated the session from it; returns what it shows.
 */
async function press (page: Page, button: string): Promise<ShownAnswer> {
  const output = `${button}-result`
  await page.evaluate(id => { delete document.getElementById(id)!.dataset.status }, output)
  await page.click(`#${button}`)
  await page.waitForFunction(([id, buttonId]) =>
    document.getElementById(id)!.dataset.status !== undefined &&
    !document.getElementById(buttonId)!.hasAttribute('aria-busy'), [output, button], WAIT)
  return await shownAnswer(page, output)
}

/** Clicks a button and returns "<status> <body as the server sent it>". */
async function click (page: Page, button: string): Promise<string> {
  const { badge, body } = await press(page, button)
  return `${badge.split(' ')[0]} ${JSON.stringify(JSON.parse(body))}`
}

/** The cookies the page lists as readable, in document.cookie's own form, or what it shows instead. */
async function shownCookies (page: Page): Promise<string> {
  return await page.$eval('#cookies', list => {
    const items = [...list.querySelectorAll('li')]
    if (items.length === 1 && items[0].querySelector('.name') === null) return items[0].textContent ?? ''
    return items.map(item => `${item.querySelector('.name')?.textContent}=${item.querySelector('.value')?.textContent}`).join('; ')
  })
}

/** The claims the page shows, parsed back from their JSON values. */
async function shownClaims (page: Page): Promise<Record<string, unknown>> {
  const shown = await page.$$eval('#claims .claim', rows => rows.map(row =>
    [row.querySelector('dt')?.textContent ?? '', row.querySelector('.value')?.textContent ?? '']))
  return Object.fromEntries(shown.map(([name, value]) => [name, JSON.parse(value)]))
}

/** The values of the JWT cookies the browser holds (which no script can read). */
async function jwtCookies (context: BrowserContext): Promise<{ access?: string, refresh?: string }> {
  const jar = Object.fromEntries((await context.cookies()).map(cookie => [cookie.name, cookie.value]))
  return { access: jar.access_token_cookie, refresh: jar.refresh_token_cookie }
}

/** The value of a cookie the page's scripts can read. */
async function readableCookie (page: Page, name: string): Promise<string | undefined> {
  const cookies = await page.evaluate(() => document.cookie)
  return new RegExp(`(?:^|; )${name}=([^;]+)`).exec(cookies)?.[1]
}

async function sessionState (page: Page): Promise<{ state: string, text: string, countdown: string }> {
  return await page.evaluate(() => ({
    state: document.getElementById('session')!.dataset.state ?? '',
    text: document.getElementById('session-text')!.textContent ?? '',
    countdown: document.getElementById('countdown')!.textContent ?? ''
  }))
}

/** The ids of the result boxes that show anything. */
async function shownResults (page: Page): Promise<string[]> {
  return await page.evaluate(ids => ids.filter(id => document.getElementById(id)!.textContent !== ''), RESULT_IDS)
}

function isGreen (colour: string): boolean {
  const [red, green, blue] = rgbChannels(colour)
  return green > red && green > blue
}

function isRed (colour: string): boolean {
  const [red, green, blue] = rgbChannels(colour)
  return red > green && red > blue
}

/** A passed answer: green badge and box, each readable. */
function expectPassed (t: Test, answer: ShownAnswer, what: string): void {
  t.equal(answer.outcome, 'passed', `${what}: shown as passed`)
  t.ok(isGreen(answer.badgeColour), `${what}: the badge is green (${answer.badgeColour})`)
  t.ok(isGreen(answer.boxTextColour), `${what}: the box's text is green (${answer.boxTextColour})`)
  expectReadable(t, answer, what)
}

/** A refused answer: red badge and box, the status and the error code shown, each readable. */
function expectRefused (t: Test, answer: ShownAnswer, status: string, code: string, what: string): void {
  t.equal(answer.outcome, 'refused', `${what}: shown as refused`)
  t.equal(answer.badge, status, `${what}: the status is shown`)
  t.equal(answer.code, code, `${what}: the error code is shown`)
  t.ok(isRed(answer.badgeColour), `${what}: the badge is red (${answer.badgeColour})`)
  t.ok(isRed(answer.boxTextColour), `${what}: the box's text is red (${answer.boxTextColour})`)
  expectReadable(t, answer, what)
}

function expectReadable (t: Test, answer: ShownAnswer, what: string): void {
  t.ok(contrastRatio(answer.badgeTextColour, answer.badgeColour) >= 4.5, `${what}: the badge's text has a contrast of 4.5 or more`)
  t.ok(contrastRatio(answer.boxTextColour, answer.boxColour) >= 4.5, `${what}: the box's text has a contrast of 4.5 or more`)
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

/**
 * Opens the demo in a new context of the given size, logs in and clicks
 * `button`; returns the page, the requests it made, and what it printed to
 * the console.
 */
async function openDemoAt (
  t: Test,
  browser: Browser,
  size: { width: number, height: number, phone: boolean },
  button: string
): Promise<{ page: Page, origin: string, requests: string[], messages: string[], policy: string }> {
  const context = await browser.newContext({
    viewport: { width: size.width, height: size.height },
    // Honours the viewport meta tag, as a phone's browser does.
    isMobile: size.phone,
    hasTouch: size.phone
  })
  t.teardown(() => context.close())
  const page = await context.newPage()
  const requests: string[] = []
  const messages: string[] = []
  page.on('request', request => { requests.push(request.url()) })
  page.on('console', message => { messages.push(message.text()) })
  page.on('pageerror', error => { messages.push(`page error: ${error.message}`) })
  const { origin } = await startVictim(t)
  const response = await page.goto(`${origin}/`, WAIT)
  await press(page, 'login')
  await press(page, button)
  await page.evaluate(() => window.scrollTo(0, 0))
  return { page, origin, requests, messages, policy: response?.headers()['content-security-policy'] ?? '' }
}

/** Takes a full-page screenshot into `dir` (and into DEMO_SCREENSHOTS_DIR when set); returns the image. */
async function screenshot (page: Page, dir: string, name: string): Promise<Buffer> {
  const path = join(dir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  const keepIn = process.env.DEMO_SCREENSHOTS_DIR
  if (keepIn !== undefined && keepIn !== '') {
    mkdirSync(keepIn, { recursive: true })
    copyFileSync(path, join(keepIn, `${name}.png`))
  }
  return readFileSync(path)
}

browserTest('the cookie demo in Chromium', async (t, browser) => {
  // One page for the flows (opening one costs about a second); each test
  // starts with an empty cookie jar.
  const context: BrowserContext = await browser.newContext()
  const page: Page = await context.newPage()

  t.test('login → protected call → CSRF-less call → refresh → logout', async t => {
    await context.clearCookies()
    const { origin } = await startVictim(t)
    await page.goto(`${origin}/`, WAIT)
    t.equal(await shownCookies(page), '(none)', 'no cookie before login')
    t.match(await sessionState(page), { state: 'signed-out', text: 'Signed out' }, 'the session shows signed out')
    t.match(await click(page, 'protected'), /^401 .*"code":"FST_JWT_AUTH_MISSING_TOKEN"/, 'nothing works before login')
    expectRefused(t, await shownAnswer(page, 'protected-result'), '401 Unauthorized', 'FST_JWT_AUTH_MISSING_TOKEN',
      'the call before login')

    await page.getByLabel('Password').fill('wrong')
    t.equal(await click(page, 'login'), '401 {"message":"Bad username or password"}', 'a wrong password is refused')
    t.equal((await shownAnswer(page, 'login-result')).explanation, 'Bad username or password', 'the refusal says why')
    t.same(await shownResults(page), ['login-result'], 'the earlier answer is gone')
    await page.getByLabel('Password').fill('test')
    t.equal(await click(page, 'login'), '200 {"login":true}', 'the right password logs in')

    t.test('scripts see the CSRF cookies, never the JWT cookies', async t => {
      const visible = await page.evaluate(() => document.cookie)
      t.match(visible, /(^|; )csrf_access_token=[0-9a-f-]{36}(;|$)/, 'the access CSRF cookie is readable')
      t.match(visible, /(^|; )csrf_refresh_token=[0-9a-f-]{36}(;|$)/, 'the refresh CSRF cookie is readable')
      t.notMatch(visible, 'access_token_cookie', 'the access JWT cookie is not')
      t.notMatch(visible, 'refresh_token_cookie', 'the refresh JWT cookie is not')
      t.notMatch(visible, 'eyJ', 'no JWT at all')
      t.equal(await shownCookies(page), visible, 'the page shows what it can read')
      t.equal(await page.textContent('#jwt-check'), 'No JWT among them.', 'and says that no JWT is among it')
      t.notMatch(await page.innerText('body'), 'eyJ', 'no JWT anywhere on the page')
      // The browser holds them all, with the demo's attributes.
      const jar = Object.fromEntries((await context.cookies()).map(cookie => [cookie.name, cookie]))
      t.match(jar.access_token_cookie, { httpOnly: true, path: '/', sameSite: 'Lax' }, 'the access JWT cookie\'s attributes')
      t.match(jar.refresh_token_cookie, { httpOnly: true, path: '/refresh', sameSite: 'Lax' }, 'the refresh JWT cookie\'s attributes')
      t.match(jar.csrf_access_token, { httpOnly: false, path: '/' }, 'the access CSRF cookie\'s attributes')
      t.match(jar.csrf_refresh_token, { httpOnly: false, path: '/' }, 'the refresh CSRF cookie\'s attributes')
    })

    t.test('the page shows the claims the server verified, and counts down to their expiry', async t => {
      const claims = await shownClaims(page)
      t.match(claims, { sub: 'test', type: 'access', fresh: true }, 'the subject, type and freshness of the login\'s token')
      t.equal(Number(claims.exp) - Number(claims.iat), DEMO_LIFETIME, 'the demo\'s access token lives 30 seconds')
      const csrfCookie = /csrf_access_token=([^;]+)/.exec(await page.evaluate(() => document.cookie))?.[1]
      t.equal(claims.csrf, csrfCookie, 'the csrf claim is the value of the readable CSRF cookie')
      const csrfNote = await page.evaluate(() => document.querySelector('[data-claim="csrf"] .note')?.textContent ?? '')
      t.match(csrfNote, /the value of cookie csrf_access_token/,
        'and the page says so')
      const session = await sessionState(page)
      t.match(session, { state: 'active', text: 'Signed in as test' }, 'the session shows who is signed in')
      const seconds = Number(/^(\d+) s$/.exec(session.countdown)?.[1])
      t.ok(seconds > 0 && seconds <= DEMO_LIFETIME, `the countdown shows the seconds left (${session.countdown})`)
    })

    t.test('the protected call sends the CSRF header and passes, in green', async t => {
      const answer = await press(page, 'protected')
      t.equal(`${answer.badge} ${JSON.stringify(JSON.parse(answer.body))}`, '200 OK {"logged_in_as":"test"}',
        'the protected call passes')
      expectPassed(t, answer, 'the protected call')
    })

    t.test('a call without the CSRF header is refused, in red, and the earlier answer goes', async t => {
      const answer = await press(page, 'no-csrf')
      expectRefused(t, answer, '401 Unauthorized', 'FST_JWT_AUTH_CSRF_MISSING', 'the CSRF-less call')
      t.match(answer.explanation, /another site/, 'the refusal is explained')
      t.same(await shownResults(page), ['no-csrf-result'], 'the protected call\'s answer is cleared')
      t.match(await sessionState(page), { state: 'active' }, 'the session is untouched')
    })

    t.test('refresh rotates: new access and refresh cookies, each with a new CSRF cookie, of the same session', async t => {
      const before = await page.evaluate(() => document.cookie)
      const jarBefore = await jwtCookies(context)
      const claimsBefore = await shownClaims(page)
      t.equal(await click(page, 'refresh'), '200 {"refresh":true}', 'the refresh passes')
      const after = await page.evaluate(() => document.cookie)
      const csrfIn = (cookies: string, name = 'csrf_access_token') => new RegExp(`${name}=([^;]+)`).exec(cookies)?.[1]
      t.ok(csrfIn(after), 'an access CSRF cookie is there')
      t.not(csrfIn(after), csrfIn(before), 'a new access token, a new CSRF value')
      const jarAfter = await jwtCookies(context)
      t.ok(jarAfter.refresh, 'a refresh JWT cookie is there')
      t.not(jarAfter.refresh, jarBefore.refresh, 'a new refresh token replaced the one sent, which is used up')
      t.not(csrfIn(after, 'csrf_refresh_token'), csrfIn(before, 'csrf_refresh_token'), 'with a new CSRF value too')
      const claimsAfter = await shownClaims(page)
      t.not(claimsAfter.jti, claimsBefore.jti, 'the page shows the new token\'s claims')
      t.type(claimsBefore.fam, 'string', 'the login\'s token names its session')
      t.equal(claimsAfter.fam, claimsBefore.fam, 'the refreshed one is of the same session')
      t.equal(claimsAfter.fresh, false, 'a refreshed token is not fresh')
      t.equal(claimsAfter.csrf, csrfIn(after), 'its csrf claim is the new CSRF cookie')
      t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'the new access cookie works')
    })

    t.test('logout clears every cookie, and every earlier answer and claim on the page', async t => {
      t.equal(await click(page, 'logout'), '200 {"logout":true}', 'the logout passes')
      t.same(await shownResults(page), ['logout-result'], 'only the logout\'s answer is shown')
      t.same(await shownClaims(page), {}, 'no claims are shown')
      t.match(await sessionState(page), { state: 'signed-out', text: 'Signed out', countdown: '–' },
        'the session shows signed out, without a countdown')
      t.equal(await shownCookies(page), '(none)', 'the page sees no cookie')
      t.same(await context.cookies(), [], 'the browser holds no cookie')
      t.match(await click(page, 'protected'), /^401 .*"code":"FST_JWT_AUTH_MISSING_TOKEN"/, 'the protected call is refused')
      t.match(await click(page, 'refresh'), /^401 .*Missing cookie refresh_token_cookie/, 'the refresh is refused')
    })
  })

  // A lifetime of 3 seconds: the countdown reaches 0 within 3 seconds of the
  // login, and the refreshed token still has 2 seconds or more for the call
  // that follows it (iat and exp are whole seconds). No renewal by use: the
  // page's own requests would renew so short a token every time.
  t.test('the access token expires: the protected call gets 401, Refresh brings it back', async t => {
    await context.clearCookies()
    const { origin } = await startVictim(t, { accessTokenExpires: 3, implicitRefreshThreshold: false })
    await logIn(page, origin)
    t.match(await sessionState(page), { state: 'active' }, 'signed in')
    await page.waitForSelector('#session[data-state="expired"]', WAIT)
    t.match(await sessionState(page), { text: 'Access token expired: press Refresh', countdown: '0 s' },
      'the countdown reaches 0 and the session says to refresh')

    const expired = await press(page, 'protected')
    expectRefused(t, expired, '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_EXPIRED', 'the call with the expired token')
    t.match(expired.explanation, /Refresh/, 'the refusal says what to do')

    const refreshed = await press(page, 'refresh')
    t.equal(refreshed.badge, '200 OK', 'the refresh passes')
    expectPassed(t, refreshed, 'the refresh')
    t.match(await sessionState(page), { state: 'active', text: 'Signed in as test' }, 'the session is active again')
    t.equal((await shownClaims(page)).fresh, false, 'with a new, not fresh, token')
    const again = await press(page, 'protected')
    t.equal(again.badge, '200 OK', 'the protected call passes again')
    expectPassed(t, again, 'the call after the refresh')
  })

  t.test('a used refresh token replayed after the grace window: reuse detected, the session revoked', async t => {
    await context.clearCookies()
    const clock = shiftClock(t)
    const { origin } = await startVictim(t)
    await logIn(page, origin)
    const early = await press(page, 'replay')
    expectRefused(t, early, '409 Conflict', '', 'the replay before any refresh')
    t.match(early.explanation, /press Refresh first/, 'the page says to refresh first')

    t.equal(await click(page, 'refresh'), '200 {"refresh":true}', 'a refresh uses the login\'s refresh token up')
    const session = (await shownClaims(page)).fam
    clock.advance((DEMO_GRACE + 1) * 1000)
    const replay = await press(page, 'replay')
    expectRefused(t, replay, '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REUSED', 'the replay after the grace window')
    t.match(replay.explanation, /^Reuse detected: .*revoked the whole session/, 'the page explains the refusal')
    t.match(await sessionState(page), { state: 'revoked', text: 'Session revoked: log in again', countdown: '–' },
      'the session bar shows the session ended')
    t.same(await shownClaims(page), {}, 'the server sees no valid claims any more')
    await page.evaluate(() => window.scrollTo(0, 0))
    await screenshot(page, t.testdir(), 'demo-reuse-detected')

    const call = await press(page, 'protected')
    expectRefused(t, call, '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REVOKED', 'the session\'s access token')
    t.match(call.explanation, /revoked/, 'the refusal is explained')
    expectRefused(t, await press(page, 'refresh'), '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REVOKED',
      'the session\'s newest refresh token')
    t.match(await sessionState(page), { state: 'revoked' }, 'the session stays revoked')

    t.equal(await click(page, 'login'), '200 {"login":true}', 'logging in again works')
    t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'and its token passes')
    t.not((await shownClaims(page)).fam, session, 'in a new session')
  })

  t.test('a used refresh token replayed within the grace window gets new tokens; the session goes on', async t => {
    await context.clearCookies()
    const { origin } = await startVictim(t, { refreshReuseGrace: 300 })
    await logIn(page, origin)
    t.equal(await click(page, 'refresh'), '200 {"refresh":true}', 'a refresh uses the login\'s refresh token up')
    const replay = await press(page, 'replay')
    expectPassed(t, replay, 'the replay within the grace window')
    t.same(JSON.parse(replay.body), { refresh: true }, 'the replay got a pair')
    t.match(replay.explanation, /within the grace window/, 'the page explains why')
    t.match(await sessionState(page), { state: 'active' }, 'the session is untouched')
    t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'the access token still passes')
    t.equal(await click(page, 'refresh'), '200 {"refresh":true}', 'and this browser\'s refresh token still refreshes')
  })

  t.test('log out everywhere: every browser\'s tokens are refused, a new login works', async t => {
    await context.clearCookies()
    const clock = shiftClock(t)
    const { origin } = await startVictim(t)
    await logIn(page, origin)
    const elsewhere = await browser.newContext()
    t.teardown(() => elsewhere.close())
    const otherPage = await elsewhere.newPage()
    await logIn(otherPage, origin)
    t.equal(await click(otherPage, 'refresh'), '200 {"refresh":true}', 'the other browser has refreshed')
    // The cut-off falls after every token issued so far, to the millisecond.
    clock.advance(1)

    const answer = await press(page, 'logout-everywhere')
    expectPassed(t, answer, 'log out everywhere')
    t.same(JSON.parse(answer.body), { logout_everywhere: true }, 'the server says so')
    t.match(answer.explanation, /every browser/, 'the page explains what it did')
    t.match(await sessionState(page), { state: 'revoked', text: 'Session revoked: log in again' },
      'the session bar shows the session ended')
    t.ok((await jwtCookies(context)).access, 'this browser keeps its cookies, to show them refused')

    expectRefused(t, await press(page, 'protected'), '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REVOKED',
      'this browser\'s access token')
    expectRefused(t, await press(page, 'refresh'), '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REVOKED',
      'this browser\'s refresh token')
    expectRefused(t, await press(otherPage, 'protected'), '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REVOKED',
      'the other browser\'s access token')
    expectRefused(t, await press(otherPage, 'refresh'), '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_REVOKED',
      'the other browser\'s refresh token')

    t.equal(await click(page, 'login'), '200 {"login":true}', 'logging in again works')
    t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'its access token passes')
    t.equal(await click(page, 'refresh'), '200 {"refresh":true}', 'its refresh token refreshes')
    t.match(await sessionState(page), { state: 'active', text: 'Signed in as test' }, 'the session is active again')
  })

  t.test('a page in use gets a new access cookie near the expiry; an idle one does not', async t => {
    await context.clearCookies()
    const clock = shiftClock(t)
    const { origin } = await startVictim(t)
    await logIn(page, origin)
    const login = await shownClaims(page)
    const nearExpiry = (DEMO_LIFETIME - DEMO_RENEW_WITHIN + 1) * 1000

    // The protected call's own answer brings the new cookie.
    clock.advance(nearExpiry)
    t.equal(await click(page, 'protected'), '200 {"logged_in_as":"test"}', 'a call near the expiry passes')
    const renewed = await shownClaims(page)
    t.not(renewed.jti, login.jti, 'and brings a new access token')
    t.match(renewed, { sub: 'test', type: 'access', fresh: false, fam: login.fam },
      'of the same user and session, not fresh')
    t.ok(Number(renewed.iat) >= Number(login.iat) + nearExpiry / 1000, 'issued at the call')
    t.equal(Number(renewed.exp) - Number(renewed.iat), DEMO_LIFETIME, 'for a full lifetime')
    t.equal(renewed.csrf, await readableCookie(page, 'csrf_access_token'), 'its CSRF value is the readable cookie\'s')
    t.match(await sessionState(page), { state: 'active' }, 'the session goes on')

    // A refused call renews nothing; the page's own GET /claims does, and the
    // page asks again to show the token it now holds.
    clock.advance(nearExpiry)
    await press(page, 'no-csrf')
    const again = await shownClaims(page)
    t.not(again.jti, renewed.jti, 'the page shows the token its claims request brought')
    t.equal(again.csrf, await readableCookie(page, 'csrf_access_token'), 'the one in the cookie')
    const csrfNote = await page.evaluate(() => document.querySelector('[data-claim="csrf"] .note')?.textContent ?? '')
    t.match(csrfNote, /the value of cookie csrf_access_token/, 'and says so')

    // Idle past the expiry: nothing renews it.
    clock.advance((DEMO_LIFETIME + 1) * 1000)
    expectRefused(t, await press(page, 'protected'), '401 Unauthorized', 'FST_JWT_AUTH_TOKEN_EXPIRED',
      'the call after the expiry')
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

  t.test('the page names the plugin, has a favicon, and loads nothing from elsewhere', async t => {
    const { page, origin, requests, messages, policy } =
      await openDemoAt(t, browser, { width: 1280, height: 800, phone: false }, 'protected')
    t.match(await page.title(), /fastify-jwt-auth/, 'the title names the plugin')
    t.match(await page.textContent('.brand'), /fastify-jwt-auth/, 'so does the page')
    const favicon = await page.evaluate(() => document.querySelector('link[rel="icon"]')?.getAttribute('href') ?? '')
    t.match(favicon, /^data:image\/svg\+xml,/, 'the favicon is inline')
    t.same(requests.filter(url => !url.startsWith(`${origin}/`) && !url.startsWith('data:')), [],
      'every request goes to the demo itself')
    t.match(policy, /default-src 'none'.*connect-src 'self'/, 'a content security policy allows nothing else')
    t.same(messages.filter(line => /Content Security Policy|page error/.test(line)), [],
      'the policy blocks none of the page\'s own script and style, and the script throws nothing')
  })

  t.test('accessibility basics: labels, focus outline, live answers', async t => {
    const { page } = await openDemoAt(t, browser, { width: 1280, height: 800, phone: false }, 'protected')
    t.equal(await page.getByLabel('Username').getAttribute('id'), 'username', 'the username field has a label')
    t.equal(await page.getByLabel('Password').getAttribute('id'), 'password', 'the password field has a label')
    t.same(await page.$$eval('.result', outputs => outputs.map(output => output.getAttribute('aria-live'))),
      RESULT_IDS.map(() => 'polite'), 'every answer is announced to screen readers')
    t.equal(await page.getAttribute('#session-text', 'aria-live'), 'polite', 'so is the session\'s state')
    // Tab from the password field to the login button: keyboard focus shows.
    await page.focus('#password')
    await page.keyboard.press('Tab')
    const focus = await page.evaluate(() => {
      const focused = document.activeElement as HTMLElement
      const style = getComputedStyle(focused)
      return { id: focused.id, outline: `${style.outlineStyle} ${style.outlineWidth}`, colour: style.outlineColor, background: getComputedStyle(document.body).backgroundColor }
    })
    t.match(focus, { id: 'login', outline: 'solid 3px' }, 'the focused button has a visible outline')
    t.ok(contrastRatio(focus.colour, focus.background) >= 3, 'the outline stands out from the page (3:1 or more)')
  })

  t.test('desktop and phone: screenshots, no horizontal scrolling, no word broken', async t => {
    const dir = t.testdir()
    for (const size of [
      { name: 'demo-desktop', width: 1280, height: 800, phone: false, button: 'protected' },
      { name: 'demo-phone', width: 375, height: 740, phone: true, button: 'no-csrf' }
    ]) {
      const { page } = await openDemoAt(t, browser, size, size.button)
      const layout = await page.evaluate(() => ({
        clientWidth: document.documentElement.clientWidth,
        scrollWidth: document.documentElement.scrollWidth
      }))
      t.equal(layout.clientWidth, size.width, `${size.name}: the page is laid out at the screen's width (viewport meta tag)`)
      t.ok(layout.scrollWidth <= layout.clientWidth, `${size.name}: nothing sticks out sideways (${layout.scrollWidth} <= ${layout.clientWidth})`)

      const breaking = await page.evaluate(() => [...document.querySelectorAll('body *')].filter(node => {
        const style = getComputedStyle(node)
        return style.wordBreak === 'break-all' || style.overflowWrap !== 'normal' || style.hyphens === 'auto'
      }).map(node => node.tagName))
      t.same(breaking, [], `${size.name}: no element may break a word`)
      const wrappedCode = await page.$$eval('code', codes => codes
        .filter(code => code.getClientRects().length > 1).map(code => code.textContent))
      t.same(wrappedCode, [], `${size.name}: no identifier is split over two lines`)

      const image = await screenshot(page, dir, size.name)
      const { width, height } = pngSize(image)
      t.equal(width, size.width, `${size.name}: the screenshot is a PNG as wide as the screen`)
      t.ok(height >= size.height, `${size.name}: and at least as tall (${height} px)`)
    }
  })
})
