// Finding the token in each location (the Authorization header, cookies, the
// query string, a JSON body), the precedence between locations and the
// missing-token message. Bad input answers a clear error, never a 500, and
// never echoes the token. Repeated credentials are refused here as
// app.inject sends them; over real sockets in test/e2e/duplicate-credentials.
import t, { type Test } from 'tap'
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyJwtAuthOptions } from '../index'
import { bearer, buildApp } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'
import { corruptSignature, csrfOf } from './helpers/forge'

const ALL: FastifyJwtAuthOptions['tokenLocation'] = ['headers', 'cookies', 'query', 'json']

/** The plugin with `options`, and GET and POST routes `/required`, `/optional`, `/refresh` answering `{ subject, type }`. */
async function build (t: Test, options: FastifyJwtAuthOptions = {}, before?: (app: FastifyInstance) => unknown): Promise<FastifyInstance> {
  const app = await buildApp(t, options, { before })
  // A body parsed as a buffer reaches the json location too.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  const whoami = async (request: FastifyRequest) => ({ subject: request.authJwt.getJwtSubject(), type: request.authJwt.getRawJwt()?.type })
  app.route({ method: ['GET', 'POST'], url: '/required', preHandler: app.jwtRequired, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/optional', preHandler: app.jwtOptional, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/refresh', preHandler: app.jwtRefreshTokenRequired, handler: whoami })
  return app
}

t.test('the Authorization header', async t => {
  const app = await build(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const call = (authorization: string) => app.inject({ url: '/required', headers: { authorization } })

  t.test('the scheme word is matched case-insensitively', async t => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      t.equal((await call(`${scheme} ${token}`)).statusCode, 200, `the scheme spelled ${scheme} passes`)
    }
  })

  t.test('surrounding and repeated spaces are tolerated', async t => {
    t.equal((await call(`  Bearer   ${token}  `)).statusCode, 200, 'spaces around the scheme and the token pass')
  })

  t.test('malformed headers are a 400 naming the expected form, without a challenge', async t => {
    // The three whitespace characters a header value can carry, within the token too.
    const whitespace = [' ', '\t', '\u00a0'].map(character => `Bearer ${token}${character}${token}`)
    for (const value of ['', 'Bearer', 'Bearer ', `Basic ${token}`, ...whitespace, token, `Bearer\t${token}`, `Bearer\u00a0${token}`]) {
      const what = `header ${JSON.stringify(value.replaceAll(token, '<token>'))}`
      const response = await call(value)
      expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER', { message: "Bad Authorization header. Expected value 'Bearer <JWT>'", what })
      t.notMatch(response.body, token, `${what}: the token is not echoed`)
    }
  })

  t.test('whitespace Node\'s default parsers never let through still gets the token refused, by the verifier', async t => {
    // insecureHTTPParser lets a vertical tab or a form feed through; app.inject sends anything.
    for (const value of [`Bearer ${token}\v`, `Bearer ${token}\f${token}`, 'Bearer a\vb', `Bearer ${token}\n${token}`]) {
      const what = `header ${JSON.stringify(value.replaceAll(token, '<token>'))}`
      expectAuthError(t, await call(value), 'FST_JWT_AUTH_TOKEN_INVALID', { what })
    }
  })

  t.test('a header sent twice is refused as a repeat (app.inject lists both in rawHeaders, as Node does)', async t => {
    // Node's header types allow a list under any name but the lowercase `authorization`.
    const twice = await app.inject({ url: '/required', headers: { Authorization: [`Bearer ${token}`, 'Bearer garbage'] } })
    expectAuthError(t, twice, 'FST_JWT_AUTH_BAD_HEADER', { message: 'Authorization header sent more than once', what: 'the header twice' })
    t.equal((await app.inject({ url: '/required', headers: bearer(token) })).json().subject, 'alice', 'the header once passes')
  })
})

t.test('custom headerName and headerType', async t => {
  const app = await build(t, { headerName: 'X-Api-Token', headerType: 'JWT' })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  t.equal((await app.inject({ url: '/required', headers: { 'x-api-token': `JWT ${token}` } })).statusCode, 200,
    'the configured header and scheme pass')
  expectAuthError(t, await app.inject({ url: '/required', headers: bearer(token) }), 'FST_JWT_AUTH_MISSING_TOKEN',
    { message: 'Missing X-Api-Token Header', what: 'the Authorization header is not read' })
  expectAuthError(t, await app.inject({ url: '/required', headers: { 'x-api-token': `Bearer ${token}` } }), 'FST_JWT_AUTH_BAD_HEADER',
    { message: "Bad X-Api-Token header. Expected value 'JWT <JWT>'", what: 'another scheme in the configured header' })
})

t.test('headerType "" means the bare token', async t => {
  const app = await build(t, { headerType: '' })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  t.equal((await app.inject({ url: '/required', headers: { authorization: token } })).statusCode, 200, 'the bare token passes')
  t.equal((await app.inject({ url: '/required', headers: { authorization: ` ${token} ` } })).statusCode, 200,
    'the bare token with spaces around passes')
  for (const value of [`Bearer ${token}`, '']) {
    expectAuthError(t, await app.inject({ url: '/required', headers: { authorization: value } }), 'FST_JWT_AUTH_BAD_HEADER',
      { message: "Bad Authorization header. Expected value '<JWT>'", what: `header ${JSON.stringify(value.slice(0, 8))}` })
  }
})

t.test('a header Node keeps as a list is a bad header', async t => {
  // Node keeps Set-Cookie as a list, even when sent once.
  const app = await build(t, { headerName: 'Set-Cookie' })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const response = await app.inject({ url: '/required', headers: { 'set-cookie': [`Bearer ${token}`] } })
  expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER',
    { message: "Bad Set-Cookie header. Expected value 'Bearer <JWT>'", what: 'a bad header, not a repeat' })
})

t.test('a server that gives requests no rawHeaders fails closed', async t => {
  const app = await buildApp(t, { tokenLocation: ['headers', 'query'] })
  // Stands in for a server adapter that builds requests without the raw header list.
  app.addHook('onRequest', async request => { Reflect.deleteProperty(request.raw, 'rawHeaders') })
  let handled = 0
  app.get('/required', { preHandler: app.jwtRequired }, async () => { handled++; return {} })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  const response = await app.inject({ url: '/required', headers: bearer(token) })
  expectAuthError(t, response, 'FST_JWT_AUTH_CONFIG', {
    message: 'Cannot check the Authorization header: the server gives requests no rawHeaders',
    what: 'a 500: the server, not the client, is at fault'
  })
  t.notMatch(response.body, token, 'no token echoed')
  const noHeader = await app.inject({ url: `/required?token=${token}` })
  t.equal(noHeader.statusCode, 200, 'requests without the header do not need the raw list')
  t.equal(handled, 1, 'the handler ran for the query token only')
})

t.test('cookies', async t => {
  const app = await build(t, { tokenLocation: ALL })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })

  t.test('duplicate cookies: a 400, in either order, neither value used nor echoed', async t => {
    for (const [order, cookie] of [
      ['the token first', `access_token_cookie=${access}; access_token_cookie=garbage`],
      ['the token last', `access_token_cookie=garbage; access_token_cookie=${access}`]
    ]) {
      const response = await app.inject({ url: '/required', headers: { cookie } })
      expectAuthError(t, response, 'FST_JWT_AUTH_BAD_HEADER', { message: 'Cookie access_token_cookie sent more than once', what: order })
      t.notMatch(response.body, access, `${order}: the token is not echoed`)
    }
  })

  t.test('empty cookie values are absent', async t => {
    for (const cookie of ['access_token_cookie=', 'access_token_cookie=; csrf_access_token=', 'access_token_cookie', '=; ;']) {
      expectAuthError(t, await app.inject({ url: '/required', headers: { cookie } }), 'FST_JWT_AUTH_MISSING_TOKEN', { what: cookie })
    }
  })

  t.test('a cookie value that is not URI-encoded properly is read as sent, and fails verification', async t => {
    expectAuthError(t, await app.inject({ url: '/required', headers: { cookie: 'access_token_cookie=%E0%A4%A' } }),
      'FST_JWT_AUTH_TOKEN_INVALID')
  })

  t.test('a CSRF header on GET is ignored', async t => {
    const response = await app.inject({ url: '/required', headers: { cookie: `access_token_cookie=${access}`, 'x-csrf-token': 'nonsense' } })
    t.equal(response.json().subject, 'alice', 'the cookie token passes')
  })

  t.test('a repeated cookie is refused when the app parses cookies itself (hook: false)', async t => {
    const own = await build(t, { tokenLocation: ['cookies'] }, app => app.register(fastifyCookie, { hook: false }))
    const alice = own.authJwt.createAccessToken({ subject: 'alice' })
    const twice = await own.inject({ url: '/required', headers: { cookie: `access_token_cookie=x; access_token_cookie=${alice}` } })
    expectAuthError(t, twice, 'FST_JWT_AUTH_BAD_HEADER', { message: 'Cookie access_token_cookie sent more than once', what: 'refused' })
    const once = await own.inject({ url: '/required', headers: { cookie: `access_token_cookie=${alice}` } })
    t.equal(once.json().subject, 'alice', 'a single cookie passes')
  })
})

t.test('query string', async t => {
  const app = await build(t, { tokenLocation: ['query'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.test('?token= carries the access token, for any method', async t => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await app.inject({ method, url: `/required?token=${access}` })
      t.same(response.json(), { subject: 'alice', type: 'access' }, `${method}: the access token passes`)
    }
  })

  t.test('the refresh guard reads the same parameter', async t => {
    t.same((await app.inject({ url: `/refresh?token=${refresh}` })).json(), { subject: 'alice', type: 'refresh' },
      'a refresh token passes the refresh guard')
    expectAuthError(t, await app.inject({ url: `/refresh?token=${access}` }), 'FST_JWT_AUTH_REFRESH_REQUIRED',
      { what: 'an access token at the refresh guard' })
    expectAuthError(t, await app.inject({ url: `/required?token=${refresh}` }), 'FST_JWT_AUTH_ACCESS_REQUIRED',
      { what: 'a refresh token at the access guard' })
  })

  t.test('absent or empty: missing', async t => {
    for (const url of ['/required', '/required?token=', '/required?token', '/required?other=1']) {
      expectAuthError(t, await app.inject({ url }), 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing query parameter token', what: url })
    }
  })

  t.test('given twice: a clear 401, neither value used, none echoed', async t => {
    for (const [what, url] of [
      ['the token twice', `/required?token=${access}&token=${access}`],
      ['the token and an empty one', `/required?token=${access}&token=`]
    ]) {
      const response = await app.inject({ url })
      expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Query parameter token must be given once', what })
      t.notMatch(response.body, access, `${what}: the token is not echoed`)
    }
  })

  t.test('an invalid token is refused, not echoed', async t => {
    const bad = corruptSignature(access)
    const response = await app.inject({ url: `/required?token=${bad}` })
    expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a corrupted signature' })
    t.notMatch(response.body, bad, 'the token is not echoed')
  })

  t.test('jwtOptional: absent is anonymous, a bad one is refused', async t => {
    t.same((await app.inject({ url: '/optional' })).json(), { subject: null }, 'no token: anonymous')
    expectAuthError(t, await app.inject({ url: '/optional?token=garbage' }), 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a garbage token' })
  })

  t.test('a custom queryStringName', async t => {
    const custom = await build(t, { tokenLocation: ['query'], queryStringName: 'jwt' })
    const token = custom.authJwt.createAccessToken({ subject: 'bob' })
    t.equal((await custom.inject({ url: `/required?jwt=${token}` })).json().subject, 'bob', 'the configured parameter is read')
    expectAuthError(t, await custom.inject({ url: `/required?token=${token}` }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing query parameter jwt', what: 'the default parameter is not read' })
  })

  t.test('the query is not CSRF-checked: a cross-site page cannot know the token', async t => {
    t.equal((await app.inject({ method: 'POST', url: `/required?token=${access}` })).statusCode, 200, 'a POST needs no CSRF value')
  })

  t.test('a huge query token is refused before it is parsed', async t => {
    expectAuthError(t, await app.inject({ url: `/required?token=${'a'.repeat(20_000)}` }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { message: 'Token is too large' })
  })
})

t.test('JSON body', async t => {
  const app = await build(t, { tokenLocation: ['json'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  const post = (url: string, payload: unknown, contentType = 'application/json') =>
    app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': contentType } })

  t.test('access_token and refresh_token fields', async t => {
    t.same((await post('/required', { access_token: access, other: 1 })).json(), { subject: 'alice', type: 'access' },
      'access_token is read, other fields ignored')
    t.same((await post('/refresh', { refresh_token: refresh })).json(), { subject: 'alice', type: 'refresh' }, 'refresh_token is read')
    expectAuthError(t, await post('/refresh', { access_token: refresh }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing JSON body field refresh_token', what: 'the refresh guard reads refresh_token only' })
    expectAuthError(t, await post('/required', { access_token: refresh }), 'FST_JWT_AUTH_ACCESS_REQUIRED',
      { what: 'a refresh token in access_token' })
  })

  t.test('custom jsonKey and refreshJsonKey', async t => {
    const custom = await build(t, { tokenLocation: ['json'], jsonKey: 'jwt', refreshJsonKey: 'rjwt' })
    const customAccess = custom.authJwt.createAccessToken({ subject: 'bob' })
    const customRefresh = custom.authJwt.createRefreshToken({ subject: 'bob' })
    const call = (url: string, payload: object) => custom.inject({ method: 'POST', url, payload })
    t.equal((await call('/required', { jwt: customAccess })).json().subject, 'bob', 'jsonKey is read')
    t.equal((await call('/refresh', { rjwt: customRefresh })).json().subject, 'bob', 'refreshJsonKey is read')
    expectAuthError(t, await call('/required', { access_token: customAccess }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing JSON body field jwt', what: 'access_token is not read' })
    expectAuthError(t, await call('/refresh', { refresh_token: customRefresh }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing JSON body field rjwt', what: 'refresh_token is not read' })
  })

  t.test('a body that is not a JSON object holds no token', async t => {
    const bodies: Array<[string, string, string]> = [
      ['an array', JSON.stringify([access]), 'application/json'],
      ['an array of objects', JSON.stringify([{ access_token: access }]), 'application/json'],
      ['a string', JSON.stringify(access), 'application/json'],
      ['a number', '12', 'application/json'],
      ['null', 'null', 'application/json'],
      ['true', 'true', 'application/json'],
      ['text/plain', `{"access_token":"${access}"}`, 'text/plain'],
      ['a buffer', `{"access_token":"${access}"}`, 'application/octet-stream']
    ]
    for (const [what, payload, contentType] of bodies) {
      const response = await post('/required', payload, contentType)
      expectAuthError(t, response, 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing JSON body field access_token', what })
      t.notMatch(response.body, access, `${what}: the token is not echoed`)
    }
    expectAuthError(t, await app.inject({ url: '/required' }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing JSON body field access_token', what: 'no body at all' })
  })

  t.test('only a JSON content type counts: a form parsed into an object holds no token', async t => {
    // A page on another site can post a form without a preflight; parsed by a
    // form body parser, it is an object too, carrying a token of its choosing.
    const forms = await build(t, { tokenLocation: ['json'] }, app => {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))))
      app.addContentTypeParser('application/vnd.api+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
      // A body another hook made up, with no content type at all.
      app.addHook('preValidation', async request => {
        const made = request.headers['x-made-up-body']
        if (typeof made === 'string') request.body = { access_token: made }
      })
    })
    const token = forms.authJwt.createAccessToken({ subject: 'mallory' })
    const form = await forms.inject({
      method: 'POST',
      url: '/required',
      payload: new URLSearchParams({ access_token: token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
    expectAuthError(t, form, 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing JSON body field access_token', what: 'a form body' })
    expectAuthError(t, await forms.inject({ url: '/required', headers: { 'x-made-up-body': token } }), 'FST_JWT_AUTH_MISSING_TOKEN',
      { message: 'Missing JSON body field access_token', what: 'a body object without a content type' })
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) {
      const response = await forms.inject({ method: 'POST', url: '/required', payload: { access_token: token }, headers: { 'content-type': contentType } })
      t.same(response.json(), { subject: 'mallory', type: 'access' }, `${contentType}: read`)
    }
  })

  t.test('an empty or null field holds no token', async t => {
    for (const value of ['', null]) {
      expectAuthError(t, await post('/required', { access_token: value }), 'FST_JWT_AUTH_MISSING_TOKEN', { what: JSON.stringify(value) })
    }
    t.same((await post('/optional', { access_token: '' })).json(), { subject: null }, 'jwtOptional: an empty field is anonymous')
  })

  t.test('a field of the wrong type is a clear 401', async t => {
    for (const value of [42, true, [access], { token: access }]) {
      const what = JSON.stringify(value).slice(0, 10)
      const response = await post('/required', { access_token: value })
      expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'JSON body field access_token must be a string', what })
      t.notMatch(response.body, access, `${what}: the token is not echoed`)
    }
    expectAuthError(t, await post('/refresh', { refresh_token: 1 }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { message: 'JSON body field refresh_token must be a string', what: 'refresh_token' })
  })

  t.test('malformed JSON is Fastify\'s 400, not a 500', async t => {
    const response = await post('/required', '{"access_token":')
    t.equal(response.statusCode, 400, 'a 400')
    t.notMatch(response.body, access, 'the body is not echoed')
  })

  t.test('a JSON body with a __proto__ key is refused by Fastify\'s parser', async t => {
    t.equal((await post('/required', `{"__proto__":{"access_token":"${access}"}}`)).statusCode, 400, 'a 400')
  })
})

t.test('precedence: the order of tokenLocation', async t => {
  const headersFirst = await build(t, { tokenLocation: ['headers', 'cookies'] })
  const cookiesFirst = await build(t, { tokenLocation: ['cookies', 'headers'] })
  // Both apps share the secret: each accepts the other's tokens.
  const fromHeader = headersFirst.authJwt.createAccessToken({ subject: 'header-user' })
  const fromCookie = headersFirst.authJwt.createAccessToken({ subject: 'cookie-user' })
  const both = { ...bearer(fromHeader), cookie: `access_token_cookie=${fromCookie}` }

  t.test('both sent: the first location wins', async t => {
    t.equal((await headersFirst.inject({ url: '/required', headers: both })).json().subject, 'header-user', 'headers first: the header')
    t.equal((await cookiesFirst.inject({ url: '/required', headers: both })).json().subject, 'cookie-user', 'cookies first: the cookie')
  })

  t.test('an absent token moves on to the next location', async t => {
    t.equal((await headersFirst.inject({ url: '/required', headers: { cookie: both.cookie } })).json().subject, 'cookie-user',
      'no header: the cookie')
    t.equal((await cookiesFirst.inject({ url: '/required', headers: bearer(fromHeader) })).json().subject, 'header-user',
      'no cookie: the header')
    const emptyCookie = await cookiesFirst.inject({ url: '/required', headers: { ...bearer(fromHeader), cookie: 'access_token_cookie=' } })
    t.equal(emptyCookie.json().subject, 'header-user', 'an empty cookie (just unset) is absent')
  })

  t.test('a present bad header does not fall through to a good cookie', async t => {
    expectAuthError(t, await headersFirst.inject({ url: '/required', headers: { authorization: 'Basic abc', cookie: both.cookie } }),
      'FST_JWT_AUTH_BAD_HEADER', { what: 'a malformed header' })
    const forged = { ...bearer(corruptSignature(fromHeader)), cookie: both.cookie }
    expectAuthError(t, await headersFirst.inject({ url: '/required', headers: forged }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { what: 'a forged header token' })
    const expired = headersFirst.authJwt.createAccessToken({ subject: 'header-user', expiresTime: 0 })
    expectAuthError(t, await headersFirst.inject({ url: '/required', headers: { ...bearer(expired), cookie: both.cookie } }),
      'FST_JWT_AUTH_TOKEN_EXPIRED', { what: 'an expired header token' })
  })

  t.test('a present bad cookie does not fall through to a good header', async t => {
    const response = await cookiesFirst.inject({ url: '/required', headers: { ...bearer(fromHeader), cookie: 'access_token_cookie=garbage' } })
    expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a garbage cookie' })
  })

  t.test('cookies first: a cookie without its CSRF header fails even with a good header behind it', async t => {
    expectAuthError(t, await cookiesFirst.inject({ method: 'POST', url: '/required', headers: both }), 'FST_JWT_AUTH_CSRF_MISSING')
    const withCsrf = await cookiesFirst.inject({ method: 'POST', url: '/required', headers: { ...both, 'x-csrf-token': csrfOf(fromCookie) } })
    t.equal(withCsrf.json().subject, 'cookie-user', 'with its CSRF header the cookie passes')
  })

  t.test('headers first: a POST with a header needs no CSRF value, even with a cookie sent', async t => {
    t.equal((await headersFirst.inject({ method: 'POST', url: '/required', headers: both })).json().subject, 'header-user',
      'the header passes without a CSRF value')
  })

  t.test('query and json, both orders', async t => {
    const queryFirst = await build(t, { tokenLocation: ['query', 'json'] })
    const jsonFirst = await build(t, { tokenLocation: ['json', 'query'] })
    const inQuery = queryFirst.authJwt.createAccessToken({ subject: 'query-user' })
    const inBody = queryFirst.authJwt.createAccessToken({ subject: 'json-user' })
    const request = { method: 'POST' as const, url: `/required?token=${inQuery}`, payload: { access_token: inBody } }
    t.equal((await queryFirst.inject(request)).json().subject, 'query-user', 'query first: the query')
    t.equal((await jsonFirst.inject(request)).json().subject, 'json-user', 'json first: the body')
    expectAuthError(t, await jsonFirst.inject({ ...request, payload: { access_token: 'garbage' } }), 'FST_JWT_AUTH_TOKEN_INVALID',
      { what: 'a bad body token does not fall through' })
  })
})

t.test('the missing-token message lists each location\'s reason in order', async t => {
  const app = await build(t, { tokenLocation: ALL })
  expectAuthError(t, await app.inject({ method: 'POST', url: '/required', payload: {} }), 'FST_JWT_AUTH_MISSING_TOKEN', {
    message: 'Missing Authorization Header; Missing cookie access_token_cookie; Missing query parameter token; Missing JSON body field access_token',
    what: 'access'
  })
  expectAuthError(t, await app.inject({ method: 'POST', url: '/refresh', payload: {} }), 'FST_JWT_AUTH_MISSING_TOKEN', {
    message: 'Missing Authorization Header; Missing cookie refresh_token_cookie; Missing query parameter token; Missing JSON body field refresh_token',
    what: 'refresh'
  })

  const reversed = await build(t, {
    tokenLocation: ['json', 'query', 'cookies', 'headers'],
    headerName: 'X-Auth',
    queryStringName: 'jwt',
    accessCookieKey: 'a',
    refreshCookieKey: 'r',
    jsonKey: 'at',
    refreshJsonKey: 'rt'
  })
  expectAuthError(t, await reversed.inject({ url: '/required' }), 'FST_JWT_AUTH_MISSING_TOKEN', {
    message: 'Missing JSON body field at; Missing query parameter jwt; Missing cookie a; Missing X-Auth Header',
    what: 'access, custom names in reverse order'
  })
  expectAuthError(t, await reversed.inject({ url: '/refresh' }), 'FST_JWT_AUTH_MISSING_TOKEN', {
    message: 'Missing JSON body field rt; Missing query parameter jwt; Missing cookie r; Missing X-Auth Header',
    what: 'refresh, custom names in reverse order'
  })

  const repeated = await build(t, { tokenLocation: ['query', 'query', 'headers'] })
  expectAuthError(t, await repeated.inject({ url: '/required' }), 'FST_JWT_AUTH_MISSING_TOKEN', {
    message: 'Missing query parameter token; Missing Authorization Header',
    what: 'a location given twice is tried once'
  })
})
