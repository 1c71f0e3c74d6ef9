// A credential sent twice is refused. Node keeps only the first of repeated
// Authorization headers, and the cookie parser only the first of two cookies
// of one name, so "alice's token + anything" would be alice and a cookie
// planted by a sibling subdomain would log the victim in as the attacker.
// The attacks are written byte by byte over real HTTP/1.1 and HTTP/2
// connections, since ordinary clients refuse to repeat these headers.
import t, { type Test } from 'tap'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyJwtAuthOptions } from '../../index'
import { buildApp, listen } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { csrfOf } from '../helpers/forge'
import { sendHttp1, sendHttp2, type Http1Response } from '../helpers/raw-request'

interface Server {
  app: FastifyInstance
  port: number
  /** Subjects whose request reached a handler. */
  handled: unknown[]
}

async function serve (t: Test, options: FastifyJwtAuthOptions = {}, http2 = false): Promise<Server> {
  const app = await buildApp(t, options, { http2 })
  const handled: unknown[] = []
  const whoami = async (request: FastifyRequest) => {
    const subject = request.authJwt.getJwtSubject()
    handled.push(subject)
    return { subject }
  }
  app.route({ method: ['GET', 'POST'], url: '/required', preHandler: app.jwtRequired, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/optional', preHandler: app.jwtOptional, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/refresh', preHandler: app.jwtRefreshTokenRequired, handler: whoami })
  return { app, port: await listen(app), handled }
}

/** A GET (or another method) over HTTP/1.1 with these header lines. */
function get (server: Server, path: string, headers: string[], method = 'GET'): Promise<Http1Response> {
  return sendHttp1(server.port, [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers])
}

const HEADER_REPEATED = 'Authorization header sent more than once'
const COOKIE_REPEATED = 'Cookie access_token_cookie sent more than once'

t.test('the Authorization header sent twice over HTTP/1.1', async t => {
  const server = await serve(t)
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const mallory = server.app.authJwt.createAccessToken({ subject: 'mallory' })

  t.test('one header: the token is read', async t => {
    const response = await get(server, '/required', [`Authorization: Bearer ${alice}`])
    t.equal(response.statusCode, 200, 'a single header passes')
    t.same(response.json(), { subject: 'alice' }, 'as alice')
  })

  t.test("alice's token followed by garbage is refused, not read as alice", async t => {
    server.handled.length = 0
    const response = await get(server, '/required', [`Authorization: Bearer ${alice}`, 'Authorization: Bearer garbage'])
    expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER', { message: HEADER_REPEATED, what: 'naming the repeated header' })
    t.notMatch(response.body, alice, 'no token echoed')
    t.notMatch(response.body, 'garbage', 'no value echoed')
    t.same(server.handled, [], 'the handler never ran')
  })

  t.test('every order and spelling of the repeat is refused', async t => {
    const cases: Record<string, string[]> = {
      'garbage first': ['Authorization: Bearer garbage', `Authorization: Bearer ${alice}`],
      'two valid tokens of two users': [`Authorization: Bearer ${mallory}`, `Authorization: Bearer ${alice}`],
      'the same token twice': [`Authorization: Bearer ${alice}`, `Authorization: Bearer ${alice}`],
      'names in other cases': [`authorization: Bearer ${alice}`, `AUTHORIZATION: Bearer ${mallory}`],
      'an empty first copy': ['Authorization:', `Authorization: Bearer ${alice}`],
      'three copies, apart': [`Authorization: Bearer ${alice}`, 'Accept: */*', `AuThOrIzAtIoN: Bearer ${alice}`, `Authorization: Bearer ${alice}`]
    }
    for (const [what, headers] of Object.entries(cases)) {
      expectAuthError(t, await get(server, '/required', headers), 'FST_JWT_AUTH_BAD_HEADER', { message: HEADER_REPEATED, what })
    }
  })

  t.test('jwtOptional refuses the repeat too, rather than reading the first', async t => {
    const response = await get(server, '/optional', [`Authorization: Bearer ${alice}`, 'Authorization: x'])
    expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER', { message: HEADER_REPEATED, what: 'not alice and not anonymous' })
  })

  t.test('headers of the same length are not mistaken for it', async t => {
    // "Cache-Control", "If-None-Match" and "Accept-Ranges" have 13 letters, like "Authorization".
    const response = await get(server, '/required', [
      'Cache-Control: no-cache', `Authorization: Bearer ${alice}`, 'If-None-Match: "x"', 'accept-ranges: bytes'
    ])
    t.equal(response.statusCode, 200, 'one Authorization header among look-alikes passes')
  })

  t.test('without any Authorization header the request is simply missing a token', async t => {
    expectAuthError(t, await get(server, '/required', []), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'missing, not a repeat' })
  })
})

t.test('a custom header sent twice is refused by its name, not joined into a bad header', async t => {
  // Node joins repeated headers other than Authorization into "a, b", which
  // would read as a malformed header: the answer must name the repeat.
  const bare = await serve(t, { headerName: 'X-Api-Token', headerType: '' })
  const alice = bare.app.authJwt.createAccessToken({ subject: 'alice' })
  expectAuthError(t, await get(bare, '/required', [`X-Api-Token: ${alice}`, `x-api-token: ${alice}`]), 'FST_JWT_AUTH_BAD_HEADER',
    { message: 'X-Api-Token header sent more than once', what: 'the configured name is used' })
  t.same((await get(bare, '/required', [`X-API-TOKEN: ${alice}`])).json(), { subject: 'alice' }, 'once, in any case, passes')

  const withScheme = await serve(t, { headerName: 'X-Token' })
  const bob = withScheme.app.authJwt.createAccessToken({ subject: 'bob' })
  expectAuthError(t, await get(withScheme, '/required', [`X-Token: Bearer ${bob}`, `X-Token: Bearer ${bob}`]), 'FST_JWT_AUTH_BAD_HEADER',
    { message: 'X-Token header sent more than once', what: 'with the Bearer scheme: refused as a repeat' })
})

t.test('over HTTP/2, where the first Authorization field is kept too', async t => {
  const server = await serve(t, { tokenLocation: ['headers', 'cookies'] }, true)
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const mallory = server.app.authJwt.createAccessToken({ subject: 'mallory' })

  // The status and headers of an HTTP/2 answer stay compressed: the body says it all.
  const once = await sendHttp2(server.port, '/required', [['authorization', `Bearer ${alice}`]])
  t.same(once.json(), { subject: 'alice' }, 'one field passes')

  server.handled.length = 0
  const twice = await sendHttp2(server.port, '/required', [['authorization', `Bearer ${alice}`], ['authorization', 'Bearer garbage']])
  t.match(twice.json(), { statusCode: 400, code: 'FST_JWT_AUTH_BAD_HEADER', message: HEADER_REPEATED }, 'two fields are refused')
  t.same(server.handled, [], 'the handler never ran')

  // Browsers send each cookie as a field of its own over HTTP/2; Node joins them with "; ".
  const crumbs = await sendHttp2(server.port, '/required', [['cookie', 'theme=dark'], ['cookie', `access_token_cookie=${alice}`]])
  t.same(crumbs.json(), { subject: 'alice' }, 'a cookie in a field of its own passes')
  const tossed = await sendHttp2(server.port, '/required', [['cookie', `access_token_cookie=${mallory}`], ['cookie', `access_token_cookie=${alice}`]])
  t.match(tossed.json(), { statusCode: 400, code: 'FST_JWT_AUTH_BAD_HEADER', message: COOKIE_REPEATED },
    'the same cookie in two fields is refused')
})

t.test('a JWT cookie sent twice over HTTP/1.1', async t => {
  const server = await serve(t, { tokenLocation: ['cookies'] })
  const victim = server.app.authJwt.createAccessToken({ subject: 'victim' })
  const attacker = server.app.authJwt.createAccessToken({ subject: 'attacker' })

  t.test('one cookie: the token is read', async t => {
    const response = await get(server, '/required', [`Cookie: theme=dark; access_token_cookie=${victim}`])
    t.same(response.json(), { subject: 'victim' }, 'a single cookie passes')
  })

  t.test('a cookie tossed from a sibling subdomain, sent first, does not make the victim the attacker', async t => {
    // Set by evil.example.com with Domain=example.com and a longer Path, so the browser sends it first.
    server.handled.length = 0
    const response = await get(server, '/required', [`Cookie: access_token_cookie=${attacker}; access_token_cookie=${victim}`])
    expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER', { message: COOKIE_REPEATED, what: 'naming the cookie' })
    t.notMatch(response.body, attacker, "no token echoed (the attacker's)")
    t.notMatch(response.body, victim, "no token echoed (the victim's)")
    t.same(server.handled, [], 'the handler never ran')
  })

  t.test('a state-changing request with tossed JWT and CSRF cookies is refused', async t => {
    // The page's script reads the first csrf_access_token it sees: the attacker's.
    server.handled.length = 0
    const response = await get(server, '/required', [
      `Cookie: access_token_cookie=${attacker}; csrf_access_token=${csrfOf(attacker)}; access_token_cookie=${victim}; csrf_access_token=${csrfOf(victim)}`,
      `X-CSRF-Token: ${csrfOf(attacker)}`
    ], 'POST')
    expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER', { message: COOKIE_REPEATED, what: 'as a repeated cookie' })
    t.same(server.handled, [], 'the handler never ran')
  })

  t.test('a repeated CSRF cookie is refused on its own', async t => {
    const response = await get(server, '/required', [
      `Cookie: csrf_access_token=${csrfOf(attacker)}; access_token_cookie=${victim}; csrf_access_token=${csrfOf(victim)}`,
      `X-CSRF-Token: ${csrfOf(victim)}`
    ], 'POST')
    expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER',
      { message: 'Cookie csrf_access_token sent more than once', what: 'naming the CSRF cookie' })
  })

  t.test('every spelling the cookie parser reads as the same name is refused', async t => {
    const cases: Record<string, string[]> = {
      'two Cookie headers, which Node joins': [`Cookie: access_token_cookie=${attacker}`, `Cookie: access_token_cookie=${victim}`],
      'spaces around the name': [`Cookie:  access_token_cookie =${attacker};access_token_cookie  =${victim}`],
      'tabs around the name': [`Cookie: \taccess_token_cookie\t=${attacker}; access_token_cookie=${victim}`],
      'an empty first copy': [`Cookie: access_token_cookie=; access_token_cookie=${attacker}`],
      'an empty last copy': [`Cookie: access_token_cookie=${victim}; access_token_cookie=`],
      'both empty': ['Cookie: access_token_cookie=;access_token_cookie='],
      'after a piece without "="': [`Cookie: access_token_cookie=${attacker}; junk; access_token_cookie=${victim}`],
      'far apart': [`Cookie: access_token_cookie=${attacker}; a=1; b=2; c=3; access_token_cookie=${victim}; d=4`]
    }
    for (const [what, headers] of Object.entries(cases)) {
      expectAuthError(t, await get(server, '/required', headers), 'FST_JWT_AUTH_BAD_HEADER', { message: COOKIE_REPEATED, what })
    }
  })

  t.test('what the parser does not read as the cookie is not a repeat', async t => {
    const cases: Record<string, string> = {
      'the name inside a value': `note=access_token_cookie=x; access_token_cookie=${victim}`,
      'longer names containing it': `xaccess_token_cookie=1; access_token_cookiex=2; access_token_cookie=${victim}`,
      'a piece without "=" (no cookie to the parser)': `access_token_cookie; access_token_cookie=${victim}`,
      'the name in another case': `ACCESS_TOKEN_COOKIE=1; access_token_cookie=${victim}`
    }
    for (const [name, cookie] of Object.entries(cases)) {
      t.same((await get(server, '/required', [`Cookie: ${cookie}`])).json(), { subject: 'victim' }, `${name}: passes`)
    }
  })

  t.test('the refresh guard checks the refresh cookies, not the access ones', async t => {
    const refresh = server.app.authJwt.createRefreshToken({ subject: 'victim' })
    const accessTwice = await get(server, '/refresh', [`Cookie: access_token_cookie=1; access_token_cookie=2; refresh_token_cookie=${refresh}`])
    t.same(accessTwice.json(), { subject: 'victim' }, 'a repeated access cookie does not matter there')
    expectAuthError(t, await get(server, '/refresh', [`Cookie: refresh_token_cookie=${refresh}; refresh_token_cookie=${refresh}`]),
      'FST_JWT_AUTH_BAD_HEADER', { message: 'Cookie refresh_token_cookie sent more than once', what: 'a repeated refresh cookie' })
    expectAuthError(t, await get(server, '/refresh', [`Cookie: csrf_refresh_token=a; refresh_token_cookie=${refresh}; csrf_refresh_token=b`]),
      'FST_JWT_AUTH_BAD_HEADER', { message: 'Cookie csrf_refresh_token sent more than once', what: 'a repeated refresh CSRF cookie' })
  })

  t.test('jwtOptional refuses a repeat, even with both copies empty', async t => {
    expectAuthError(t, await get(server, '/optional', ['Cookie: access_token_cookie=; access_token_cookie=']), 'FST_JWT_AUTH_BAD_HEADER',
      { message: COOKIE_REPEATED, what: 'not anonymous' })
  })
})

t.test('the cookie check runs only where the cookie location is read', async t => {
  const server = await serve(t, { tokenLocation: ['headers', 'cookies'] })
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const repeated = 'Cookie: access_token_cookie=1; access_token_cookie=2'
  const byHeader = await get(server, '/required', [`Authorization: Bearer ${alice}`, repeated])
  t.same(byHeader.json(), { subject: 'alice' }, 'a header token wins before the cookies are looked at')
  expectAuthError(t, await get(server, '/required', [repeated]), 'FST_JWT_AUTH_BAD_HEADER',
    { message: COOKIE_REPEATED, what: 'without the header, the cookies are read and the repeat refused' })
})

t.test('without CSRF protection the CSRF cookies are not the plugin\'s to check', async t => {
  const server = await serve(t, { tokenLocation: ['cookies'], cookieCsrfProtect: false })
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const response = await get(server, '/required', [`Cookie: csrf_access_token=1; access_token_cookie=${alice}; csrf_access_token=2`])
  t.same(response.json(), { subject: 'alice' }, 'a repeated csrf_access_token is left alone')
})
