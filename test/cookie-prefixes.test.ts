// `__Host-` and `__Secure-` cookie names: browsers keep such a cookie only
// when its attributes follow the prefix's rules, so options that break them
// fail at registration; and an app using `__Host-` names sets and reads its
// cookies, CSRF flow included.
import t, { type Test } from 'tap'
import type { FastifyJwtAuthOptions } from '../index'
import { buildApp, expectRegistrationError, SECRET } from './helpers/app'
import { withEnvironment } from './helpers/environment'
import { cookieAttributes, cookieValue, setCookies } from './helpers/set-cookie'

// No AUTHJWT_* variable of the machine running the tests may change them.
withEnvironment(t)

// Cookies are the only token location unless a test says otherwise.
async function rejects (t: Test, options: FastifyJwtAuthOptions, message: string, what: string): Promise<void> {
  // The whole message, exactly: it names the option and the rule.
  const exactly = new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
  await expectRegistrationError(t, { secretKey: SECRET, tokenLocation: ['cookies'], ...options }, exactly, what)
}

async function accepts (t: Test, options: FastifyJwtAuthOptions, what: string): Promise<void> {
  await t.resolves(buildApp(t, { tokenLocation: ['cookies'], ...options }), `${what}: accepted`)
}

const COOKIES = [
  { name: 'accessCookieKey', path: 'accessCookiePath' },
  { name: 'refreshCookieKey', path: 'refreshCookiePath' },
  { name: 'accessCsrfCookieKey', path: 'accessCsrfCookiePath' },
  { name: 'refreshCsrfCookieKey', path: 'refreshCsrfCookiePath' }
] as const

t.test('a __Host- name needs cookieSecure, its path "/" and no cookieDomain', async t => {
  for (const { name, path } of COOKIES) {
    const cookie = { [name]: '__Host-jwt' }
    await rejects(t, cookie, `${name} "__Host-jwt": a __Host- cookie needs cookieSecure: true, or browsers drop it`,
      `${name} without cookieSecure`)
    await rejects(t, { ...cookie, cookieSecure: true, [path]: '/api' },
      `${name} "__Host-jwt": a __Host- cookie needs ${path} "/", or browsers drop it`, `${name} with ${path} /api`)
    await rejects(t, { ...cookie, cookieSecure: true, cookieDomain: 'example.com' },
      `${name} "__Host-jwt": a __Host- cookie needs no cookieDomain, or browsers drop it`, `${name} with cookieDomain`)
    await accepts(t, { ...cookie, cookieSecure: true }, `${name} with cookieSecure, path "/" and no domain`)
  }
})

t.test('a __Secure- name needs cookieSecure only', async t => {
  for (const { name, path } of COOKIES) {
    await rejects(t, { [name]: '__Secure-jwt' },
      `${name} "__Secure-jwt": a __Secure- cookie needs cookieSecure: true, or browsers drop it`, `${name} without cookieSecure`)
    await accepts(t, { [name]: '__Secure-jwt', cookieSecure: true, [path]: '/api', cookieDomain: 'example.com' },
      `${name} with cookieSecure, another path and a domain`)
  }
})

t.test('the prefixes are matched case-insensitively, as browsers match them', async t => {
  for (const cookieName of ['__host-jwt', '__HOST-jwt', '__HoSt-jwt']) {
    await rejects(t, { accessCookieKey: cookieName },
      `accessCookieKey "${cookieName}": a __Host- cookie needs cookieSecure: true, or browsers drop it`, cookieName)
  }
  for (const cookieName of ['__secure-jwt', '__SECURE-jwt']) {
    await rejects(t, { accessCookieKey: cookieName },
      `accessCookieKey "${cookieName}": a __Secure- cookie needs cookieSecure: true, or browsers drop it`, cookieName)
  }
})

t.test('names without a prefix at their start are not concerned', async t => {
  for (const cookieName of ['x__Host-jwt', '_Host-jwt', '__Hostjwt', '__Secure', 'Host-jwt']) {
    await accepts(t, { accessCookieKey: cookieName, accessCookiePath: '/api', cookieDomain: 'example.com' }, cookieName)
  }
})

t.test('only the cookies the plugin sets are checked', async t => {
  await accepts(t, { tokenLocation: ['headers'], accessCookieKey: '__Host-jwt' }, 'cookies not a location')
  await accepts(t, { cookieCsrfProtect: false, accessCsrfCookieKey: '__Host-csrf', refreshCsrfCookieKey: '__Secure-csrf' },
    'CSRF cookie names without CSRF protection (never set)')
  await rejects(t, { cookieCsrfProtect: true, refreshCsrfCookieKey: '__Secure-csrf' },
    'refreshCsrfCookieKey "__Secure-csrf": a __Secure- cookie needs cookieSecure: true, or browsers drop it',
    'the same with CSRF protection')
})

t.test('names from the environment are checked as well', async t => {
  withEnvironment(t, {
    AUTHJWT_REFRESH_COOKIE_KEY: '__Host-refresh',
    AUTHJWT_COOKIE_SECURE: 'true',
    AUTHJWT_REFRESH_COOKIE_PATH: '/refresh'
  })
  await rejects(t, {}, 'refreshCookieKey "__Host-refresh": a __Host- cookie needs refreshCookiePath "/", or browsers drop it',
    'a __Host- refresh cookie at /refresh')
})

/** The attribute names of a Set-Cookie line, lowercased. */
function attributeNames (line: string): string[] {
  return Object.keys(cookieAttributes(line)).sort()
}

t.test('an app with __Host- names sets and reads its cookies, CSRF included', async t => {
  const app = await buildApp(t, {
    tokenLocation: ['cookies'],
    cookieSecure: true,
    accessCookieKey: '__Host-access',
    refreshCookieKey: '__Host-refresh',
    accessCsrfCookieKey: '__Host-csrf-access',
    refreshCsrfCookieKey: '__Host-csrf-refresh'
  })
  app.post('/login', async (request, reply) => {
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject: 'alice' }))
    request.authJwt.setRefreshCookies(reply, request.authJwt.createRefreshToken({ subject: 'alice' }))
    return { login: true }
  })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async (request, reply) => {
    request.authJwt.setAccessCookies(reply, request.authJwt.createAccessToken({ subject: request.authJwt.getJwtSubject() as string }))
    return { refreshed: true }
  })
  app.route({
    method: ['GET', 'POST'],
    url: '/protected',
    preHandler: app.jwtRequired,
    handler: async request => ({ subject: request.authJwt.getJwtSubject() })
  })
  app.post('/unset', async (request, reply) => {
    request.authJwt.unsetJwtCookies(reply)
    return { unset: true }
  })

  const login = setCookies(await app.inject({ method: 'POST', url: '/login' }))
  t.same(Object.keys(login).sort(), ['__Host-access', '__Host-csrf-access', '__Host-csrf-refresh', '__Host-refresh'],
    'the four cookies are set under their __Host- names')
  t.same(attributeNames(login['__Host-access']), ['httponly', 'path', 'samesite', 'secure'], 'the access cookie: Secure, no Domain')
  t.same(attributeNames(login['__Host-csrf-access']), ['path', 'samesite', 'secure'], 'its CSRF cookie: Secure, no Domain, readable')
  t.same(attributeNames(login['__Host-refresh']), ['httponly', 'path', 'samesite', 'secure'], 'the refresh cookie: Secure, no Domain')
  for (const [name, line] of Object.entries(login)) {
    t.match(line, /; Path=\/;/, `${name}: Path=/`)
  }

  const access = cookieValue(login['__Host-access'])
  const csrfAccess = cookieValue(login['__Host-csrf-access'])
  const refresh = cookieValue(login['__Host-refresh'])
  const csrfRefresh = cookieValue(login['__Host-csrf-refresh'])
  const cookie = `__Host-access=${access}; __Host-csrf-access=${csrfAccess}; __Host-refresh=${refresh}; __Host-csrf-refresh=${csrfRefresh}`

  const read = await app.inject({ url: '/protected', headers: { cookie } })
  t.same(read.json(), { subject: 'alice' }, 'a GET is authenticated by the __Host- access cookie')

  const withCsrf = await app.inject({ method: 'POST', url: '/protected', headers: { cookie, 'x-csrf-token': csrfAccess } })
  t.same(withCsrf.json(), { subject: 'alice' }, 'a POST with the value of the __Host- CSRF cookie passes')
  const withoutCsrf = await app.inject({ method: 'POST', url: '/protected', headers: { cookie } })
  t.equal(withoutCsrf.json().code, 'FST_JWT_AUTH_CSRF_MISSING', 'a POST without the CSRF header is refused')
  const wrongCsrf = await app.inject({ method: 'POST', url: '/protected', headers: { cookie, 'x-csrf-token': csrfRefresh } })
  t.equal(wrongCsrf.json().code, 'FST_JWT_AUTH_CSRF_MISMATCH', "a POST with the refresh token's CSRF value is refused")

  const refreshed = await app.inject({ method: 'POST', url: '/refresh', headers: { cookie, 'x-csrf-token': csrfRefresh } })
  t.same(refreshed.json(), { refreshed: true }, 'the refresh cookie and its CSRF value refresh')
  t.same(Object.keys(setCookies(refreshed)).sort(), ['__Host-access', '__Host-csrf-access'], 'a new access cookie pair is set')

  const twice = await app.inject({ url: '/protected', headers: { cookie: `__Host-access=${access}; ${cookie}` } })
  t.equal(twice.json().message, 'Cookie __Host-access sent more than once', 'a __Host- cookie sent twice is refused too')

  const unset = setCookies(await app.inject({ method: 'POST', url: '/unset' }))
  t.same(Object.keys(unset).sort(), ['__Host-access', '__Host-csrf-access', '__Host-csrf-refresh', '__Host-refresh'], 'all four are cleared')
  for (const [name, line] of Object.entries(unset)) {
    t.ok(attributeNames(line).includes('secure'), `${name} is cleared with Secure, as browsers require to overwrite it`)
    t.notOk(attributeNames(line).includes('domain'), `${name} is cleared without Domain`)
    t.match(line, /; Path=\/;/, `${name} is cleared at Path=/`)
  }
})
