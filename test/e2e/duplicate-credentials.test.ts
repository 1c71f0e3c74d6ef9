// A credential sent twice is refused. Node keeps only the first of repeated
// Authorization headers, and the cookie parser only the first of two cookies
// of one name, so "alice's token + anything" would be alice and a cookie
// planted by a sibling subdomain would log the victim in as the attacker.
// The attacks are written byte by byte over real HTTP/1.1 and HTTP/2
// connections, since ordinary clients refuse to repeat these headers.
import t from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { AddressInfo } from 'node:net'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { sendHttp1, sendHttp2, type RawResponse } from './helpers/raw-request'

const SECRET = 'a-duplicate-credentials-secret-long-enough!'

interface Server {
  app: FastifyInstance
  port: number
  /** Subjects whose request reached a handler. */
  handled: unknown[]
}

async function serve (options: FastifyJwtAuthOptions = {}, http2 = false): Promise<Server> {
  // Fastify types an HTTP/2 instance apart; the plugin and routes are the same.
  const app = (http2 ? Fastify({ http2: true }) : Fastify()) as unknown as FastifyInstance
  await app.register(fastifyJwtAuth, { secretKey: SECRET, ...options })
  const handled: unknown[] = []
  const whoami = async (request: FastifyRequest) => {
    const subject = request.authJwt.getJwtSubject()
    handled.push(subject)
    return { subject }
  }
  app.route({ method: ['GET', 'POST'], url: '/required', preHandler: app.jwtRequired, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/optional', preHandler: app.jwtOptional, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/refresh', preHandler: app.jwtRefreshTokenRequired, handler: whoami })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { app, port: (app.server.address() as AddressInfo).port, handled }
}

function csrfOf (token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).csrf
}

/** A GET (or another method) over HTTP/1.1 with these header lines. */
function get (server: Server, path: string, headers: string[], method = 'GET'): Promise<RawResponse> {
  return sendHttp1(server.port, [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers])
}

t.test('the Authorization header sent twice over HTTP/1.1', async t => {
  const server = await serve()
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const mallory = server.app.authJwt.createAccessToken({ subject: 'mallory' })
  const refused = {
    statusCode: 400,
    code: 'FST_JWT_AUTH_BAD_HEADER',
    error: 'Bad Request',
    message: 'Authorization header sent more than once'
  }

  t.test('one header: the token is read', async t => {
    const response = await get(server, '/required', [`Authorization: Bearer ${alice}`])
    t.equal(response.status, 200, 'a single header passes')
    t.same(JSON.parse(response.body), { subject: 'alice' }, 'as alice')
  })

  t.test("alice's token followed by garbage is refused, not read as alice", async t => {
    server.handled.length = 0
    const response = await get(server, '/required', [`Authorization: Bearer ${alice}`, 'Authorization: Bearer garbage'])
    t.equal(response.status, 400, 'a 400')
    t.same(JSON.parse(response.body), refused, 'naming the repeated header')
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
    for (const [name, headers] of Object.entries(cases)) {
      const response = await get(server, '/required', headers)
      t.equal(response.status, 400, `${name}: a 400`)
      t.equal(JSON.parse(response.body).message, refused.message, `${name}: the repeat is named`)
    }
  })

  t.test('jwtOptional refuses the repeat too, rather than reading the first', async t => {
    const response = await get(server, '/optional', [`Authorization: Bearer ${alice}`, 'Authorization: x'])
    t.equal(response.status, 400, 'not alice and not anonymous')
  })

  t.test('headers of the same length are not mistaken for it', async t => {
    // "Cache-Control", "If-None-Match" and "Accept-Ranges" have 13 letters, like "Authorization".
    const response = await get(server, '/required', [
      'Cache-Control: no-cache', `Authorization: Bearer ${alice}`, 'If-None-Match: "x"', 'accept-ranges: bytes'
    ])
    t.equal(response.status, 200, 'one Authorization header among look-alikes passes')
  })

  t.test('without any Authorization header the request is simply missing a token', async t => {
    const response = await get(server, '/required', [])
    t.equal(response.status, 401, 'a 401')
    t.equal(JSON.parse(response.body).code, 'FST_JWT_AUTH_MISSING_TOKEN', 'missing, not a repeat')
  })
})

t.test('a custom headerName sent twice is refused by its name', async t => {
  const server = await serve({ headerName: 'X-Api-Token', headerType: '' })
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const twice = await get(server, '/required', [`X-Api-Token: ${alice}`, `x-api-token: ${alice}`])
  t.equal(twice.status, 400, 'a 400')
  t.equal(JSON.parse(twice.body).message, 'X-Api-Token header sent more than once', 'the configured name is used')
  const once = await get(server, '/required', [`X-API-TOKEN: ${alice}`])
  t.same(JSON.parse(once.body), { subject: 'alice' }, 'once, in any case, passes')
})

t.test('over HTTP/2, where the first Authorization field is kept too', async t => {
  const server = await serve({ tokenLocation: ['headers', 'cookies'] }, true)
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const mallory = server.app.authJwt.createAccessToken({ subject: 'mallory' })

  const once = await sendHttp2(server.port, '/required', [['authorization', `Bearer ${alice}`]])
  t.same(JSON.parse(once.body), { subject: 'alice' }, 'one field passes')

  server.handled.length = 0
  const twice = await sendHttp2(server.port, '/required', [['authorization', `Bearer ${alice}`], ['authorization', 'Bearer garbage']])
  t.match(JSON.parse(twice.body), { statusCode: 400, code: 'FST_JWT_AUTH_BAD_HEADER', message: 'Authorization header sent more than once' },
    'two fields are refused')
  t.same(server.handled, [], 'the handler never ran')

  // Browsers send each cookie as a field of its own over HTTP/2; Node joins them with "; ".
  const crumbs = await sendHttp2(server.port, '/required', [['cookie', 'theme=dark'], ['cookie', `access_token_cookie=${alice}`]])
  t.same(JSON.parse(crumbs.body), { subject: 'alice' }, 'a cookie in a field of its own passes')
  const tossed = await sendHttp2(server.port, '/required', [['cookie', `access_token_cookie=${mallory}`], ['cookie', `access_token_cookie=${alice}`]])
  t.match(JSON.parse(tossed.body), { statusCode: 400, code: 'FST_JWT_AUTH_BAD_HEADER', message: 'Cookie access_token_cookie sent more than once' },
    'the same cookie in two fields is refused')
})

t.test('through app.inject, which lists repeated headers in rawHeaders as Node does', async t => {
  const server = await serve()
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  // Node's header types allow a list under any name but the lowercase `authorization`.
  const twice = await server.app.inject({ url: '/required', headers: { Authorization: [`Bearer ${alice}`, 'Bearer garbage'] } })
  t.equal(twice.statusCode, 400, 'a repeated header is refused')
  t.equal(twice.json().message, 'Authorization header sent more than once', 'as a repeat')
  const once = await server.app.inject({ url: '/required', headers: { authorization: `Bearer ${alice}` } })
  t.equal(once.json().subject, 'alice', 'a single header passes')
})

t.test('a server that gives requests no rawHeaders fails closed', async t => {
  const app = Fastify()
  await app.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['headers', 'query'] })
  // Stands in for a server adapter that builds requests without the raw header list.
  app.addHook('onRequest', async request => { Reflect.deleteProperty(request.raw, 'rawHeaders') })
  let handled = 0
  app.get('/required', { preHandler: app.jwtRequired }, async () => { handled++; return {} })
  t.teardown(() => app.close())
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  const response = await app.inject({ url: '/required', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 500, 'a 500: the server, not the client, is at fault')
  t.same(response.json(), {
    statusCode: 500,
    code: 'FST_JWT_AUTH_CONFIG',
    error: 'Internal Server Error',
    message: 'Cannot check the Authorization header: the server gives requests no rawHeaders'
  }, 'a message that says what is missing')
  t.notMatch(response.body, token, 'no token echoed')
  const noHeader = await app.inject({ url: `/required?token=${token}` })
  t.equal(noHeader.statusCode, 200, 'requests without the header do not need the raw list')
  t.equal(handled, 1, 'the handler ran for the query token only')
})

t.test('a JWT cookie sent twice over HTTP/1.1', async t => {
  const server = await serve({ tokenLocation: ['cookies'] })
  const victim = server.app.authJwt.createAccessToken({ subject: 'victim' })
  const attacker = server.app.authJwt.createAccessToken({ subject: 'attacker' })
  const refused = {
    statusCode: 400,
    code: 'FST_JWT_AUTH_BAD_HEADER',
    error: 'Bad Request',
    message: 'Cookie access_token_cookie sent more than once'
  }

  t.test('one cookie: the token is read', async t => {
    const response = await get(server, '/required', [`Cookie: theme=dark; access_token_cookie=${victim}`])
    t.same(JSON.parse(response.body), { subject: 'victim' }, 'a single cookie passes')
  })

  t.test('a cookie tossed from a sibling subdomain, sent first, does not make the victim the attacker', async t => {
    // Set by evil.example.com with Domain=example.com and a longer Path, so the browser sends it first.
    server.handled.length = 0
    const response = await get(server, '/required', [`Cookie: access_token_cookie=${attacker}; access_token_cookie=${victim}`])
    t.equal(response.status, 400, 'a 400')
    t.same(JSON.parse(response.body), refused, 'naming the cookie')
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
    t.equal(response.status, 400, 'a 400')
    t.equal(JSON.parse(response.body).message, refused.message, 'as a repeated cookie')
    t.same(server.handled, [], 'the handler never ran')
  })

  t.test('a repeated CSRF cookie is refused on its own', async t => {
    const response = await get(server, '/required', [
      `Cookie: csrf_access_token=${csrfOf(attacker)}; access_token_cookie=${victim}; csrf_access_token=${csrfOf(victim)}`,
      `X-CSRF-Token: ${csrfOf(victim)}`
    ], 'POST')
    t.equal(response.status, 400, 'a 400')
    t.equal(JSON.parse(response.body).message, 'Cookie csrf_access_token sent more than once', 'naming the CSRF cookie')
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
    for (const [name, headers] of Object.entries(cases)) {
      const response = await get(server, '/required', headers)
      t.equal(response.status, 400, `${name}: a 400`)
      t.equal(JSON.parse(response.body).message, refused.message, `${name}: as a repeated cookie`)
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
      const response = await get(server, '/required', [`Cookie: ${cookie}`])
      t.same(JSON.parse(response.body), { subject: 'victim' }, `${name}: passes`)
    }
  })

  t.test('the refresh guard checks the refresh cookies, not the access ones', async t => {
    const refresh = server.app.authJwt.createRefreshToken({ subject: 'victim' })
    const accessTwice = await get(server, '/refresh', [`Cookie: access_token_cookie=1; access_token_cookie=2; refresh_token_cookie=${refresh}`])
    t.same(JSON.parse(accessTwice.body), { subject: 'victim' }, 'a repeated access cookie does not matter there')
    const refreshTwice = await get(server, '/refresh', [`Cookie: refresh_token_cookie=${refresh}; refresh_token_cookie=${refresh}`])
    t.equal(JSON.parse(refreshTwice.body).message, 'Cookie refresh_token_cookie sent more than once', 'a repeated refresh cookie is refused')
    const csrfTwice = await get(server, '/refresh', [`Cookie: csrf_refresh_token=a; refresh_token_cookie=${refresh}; csrf_refresh_token=b`])
    t.equal(JSON.parse(csrfTwice.body).message, 'Cookie csrf_refresh_token sent more than once', 'a repeated refresh CSRF cookie is refused')
  })

  t.test('jwtOptional refuses a repeat, even with both copies empty', async t => {
    const response = await get(server, '/optional', ['Cookie: access_token_cookie=; access_token_cookie='])
    t.equal(response.status, 400, 'not anonymous')
  })
})

t.test('the cookie check runs only where the cookie location is read', async t => {
  const server = await serve({ tokenLocation: ['headers', 'cookies'] })
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const repeated = 'Cookie: access_token_cookie=1; access_token_cookie=2'
  const byHeader = await get(server, '/required', [`Authorization: Bearer ${alice}`, repeated])
  t.same(JSON.parse(byHeader.body), { subject: 'alice' }, 'a header token wins before the cookies are looked at')
  const byCookie = await get(server, '/required', [repeated])
  t.equal(byCookie.status, 400, 'without the header, the cookies are read and the repeat refused')
})

t.test('without CSRF protection the CSRF cookies are not the plugin\'s to check', async t => {
  const server = await serve({ tokenLocation: ['cookies'], cookieCsrfProtect: false })
  const alice = server.app.authJwt.createAccessToken({ subject: 'alice' })
  const response = await get(server, '/required', [`Cookie: csrf_access_token=1; access_token_cookie=${alice}; csrf_access_token=2`])
  t.same(JSON.parse(response.body), { subject: 'alice' }, 'a repeated csrf_access_token is left alone')
})

t.test('a repeated cookie is refused when the app parses cookies itself (hook: false)', async t => {
  const { default: fastifyCookie } = await import('@fastify/cookie')
  const app = Fastify()
  await app.register(fastifyCookie, { hook: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['cookies'] })
  app.get('/required', { preHandler: app.jwtRequired }, async request => ({ subject: request.authJwt.getJwtSubject() }))
  t.teardown(() => app.close())
  const alice = app.authJwt.createAccessToken({ subject: 'alice' })
  const twice = await app.inject({ url: '/required', headers: { cookie: `access_token_cookie=x; access_token_cookie=${alice}` } })
  t.equal(twice.json().message, 'Cookie access_token_cookie sent more than once', 'refused')
  const once = await app.inject({ url: '/required', headers: { cookie: `access_token_cookie=${alice}` } })
  t.equal(once.json().subject, 'alice', 'a single cookie passes')
})
