// Finding the token: the query string and JSON body locations, precedence
// between locations, the missing-token message, and bad input that must
// answer a clear error, never a 500.
import t from 'tap'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { corruptSignature } from './helpers/forge'

const SECRET = 'a-location-test-secret-long-enough-for-hs256'
const ALL: FastifyJwtAuthOptions['tokenLocation'] = ['headers', 'cookies', 'query', 'json']

async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, ...options })
  // Buffers reach the json location too.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  const whoami = async (request: FastifyRequest) => ({ subject: request.authJwt.getJwtSubject(), type: request.authJwt.getRawJwt()?.type })
  app.route({ method: ['GET', 'POST'], url: '/protected', preHandler: app.jwtRequired, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/optional', preHandler: app.jwtOptional, handler: whoami })
  app.route({ method: ['GET', 'POST'], url: '/refresh', preHandler: app.jwtRefreshTokenRequired, handler: whoami })
  t.teardown(() => app.close())
  return app
}

function csrfOf (token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).csrf
}

t.test('query string', async t => {
  const app = await build({ tokenLocation: ['query'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  t.test('?token= carries the access token, for any method', async t => {
    for (const method of ['GET', 'POST'] as const) {
      const response = await app.inject({ method, url: `/protected?token=${access}` })
      t.same(response.json(), { subject: 'alice', type: 'access' }, method)
    }
  })

  t.test('the refresh guard reads the same parameter', async t => {
    t.same((await app.inject({ url: `/refresh?token=${refresh}` })).json(), { subject: 'alice', type: 'refresh' })
    t.equal((await app.inject({ url: `/refresh?token=${access}` })).json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED')
    t.equal((await app.inject({ url: `/protected?token=${refresh}` })).json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })

  t.test('absent or empty: missing', async t => {
    for (const url of ['/protected', '/protected?token=', '/protected?token', '/protected?other=1']) {
      const response = await app.inject({ url })
      t.equal(response.statusCode, 401, url)
      t.equal(response.json().message, 'Missing query parameter token', url)
      t.equal(response.headers['www-authenticate'], 'Bearer')
    }
  })

  t.test('given twice: a clear 401, neither value used, none echoed', async t => {
    for (const url of [`/protected?token=${access}&token=${access}`, `/protected?token=${access}&token=`]) {
      const response = await app.inject({ url })
      t.equal(response.statusCode, 401)
      t.same(response.json(), {
        statusCode: 401,
        code: 'FST_JWT_AUTH_TOKEN_INVALID',
        error: 'Unauthorized',
        message: 'Query parameter token must be given once'
      })
      t.notMatch(response.body, access)
    }
  })

  t.test('an invalid token is refused, not echoed', async t => {
    const bad = corruptSignature(access)
    const response = await app.inject({ url: `/protected?token=${bad}` })
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_INVALID')
    t.notMatch(response.body, bad)
    t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"')
  })

  t.test('jwtOptional: absent is anonymous, a bad one is refused', async t => {
    t.same((await app.inject({ url: '/optional' })).json(), { subject: null })
    t.equal((await app.inject({ url: '/optional?token=garbage' })).statusCode, 401)
  })

  t.test('a custom queryStringName', async t => {
    const custom = await build({ tokenLocation: ['query'], queryStringName: 'jwt' })
    const token = custom.authJwt.createAccessToken({ subject: 'bob' })
    t.equal((await custom.inject({ url: `/protected?jwt=${token}` })).json().subject, 'bob')
    t.equal((await custom.inject({ url: `/protected?token=${token}` })).json().message, 'Missing query parameter jwt')
  })

  t.test('the query is not CSRF-checked: a cross-site page cannot know the token', async t => {
    t.equal((await app.inject({ method: 'POST', url: `/protected?token=${access}` })).statusCode, 200)
  })
})

t.test('JSON body', async t => {
  const app = await build({ tokenLocation: ['json'] })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  const post = (url: string, payload: unknown, contentType = 'application/json') =>
    app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': contentType } })

  t.test('access_token and refresh_token fields', async t => {
    t.same((await post('/protected', { access_token: access, other: 1 })).json(), { subject: 'alice', type: 'access' })
    t.same((await post('/refresh', { refresh_token: refresh })).json(), { subject: 'alice', type: 'refresh' })
    const wrongField = await post('/refresh', { access_token: refresh })
    t.equal(wrongField.json().message, 'Missing JSON body field refresh_token', 'the refresh guard reads refresh_token only')
    t.equal((await post('/protected', { access_token: refresh })).json().code, 'FST_JWT_AUTH_ACCESS_REQUIRED')
  })

  t.test('custom jsonKey and refreshJsonKey', async t => {
    const custom = await build({ tokenLocation: ['json'], jsonKey: 'jwt', refreshJsonKey: 'rjwt' })
    const customAccess = custom.authJwt.createAccessToken({ subject: 'bob' })
    const customRefresh = custom.authJwt.createRefreshToken({ subject: 'bob' })
    const call = (url: string, payload: object) => custom.inject({ method: 'POST', url, payload })
    t.equal((await call('/protected', { jwt: customAccess })).json().subject, 'bob')
    t.equal((await call('/refresh', { rjwt: customRefresh })).json().subject, 'bob')
    t.equal((await call('/protected', { access_token: customAccess })).json().message, 'Missing JSON body field jwt')
    t.equal((await call('/refresh', { refresh_token: customRefresh })).json().message, 'Missing JSON body field rjwt')
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
    for (const [name, payload, contentType] of bodies) {
      const response = await post('/protected', payload, contentType)
      t.equal(response.statusCode, 401, name)
      t.equal(response.json().message, 'Missing JSON body field access_token', name)
      t.notMatch(response.body, access)
    }
    const get = await app.inject({ url: '/protected' })
    t.equal(get.json().message, 'Missing JSON body field access_token', 'no body at all')
  })

  t.test('an empty or null field holds no token', async t => {
    for (const value of ['', null]) {
      t.equal((await post('/protected', { access_token: value })).json().code, 'FST_JWT_AUTH_MISSING_TOKEN', String(value))
    }
    t.same((await post('/optional', { access_token: '' })).json(), { subject: null })
  })

  t.test('a field of the wrong type is a clear 401', async t => {
    for (const value of [42, true, [access], { token: access }]) {
      const response = await post('/protected', { access_token: value })
      t.equal(response.statusCode, 401, JSON.stringify(value).slice(0, 10))
      t.same(response.json(), {
        statusCode: 401,
        code: 'FST_JWT_AUTH_TOKEN_INVALID',
        error: 'Unauthorized',
        message: 'JSON body field access_token must be a string'
      })
      t.notMatch(response.body, access)
    }
    t.equal((await post('/refresh', { refresh_token: 1 })).json().message, 'JSON body field refresh_token must be a string')
  })

  t.test('malformed JSON is Fastify\'s 400, not a 500', async t => {
    const response = await post('/protected', '{"access_token":')
    t.equal(response.statusCode, 400)
    t.notMatch(response.body, access)
  })

  t.test('a JSON body with a __proto__ key is refused by Fastify\'s parser', async t => {
    const response = await post('/protected', `{"__proto__":{"access_token":"${access}"}}`)
    t.equal(response.statusCode, 400)
  })
})

t.test('precedence: the order of tokenLocation', async t => {
  const headersFirst = await build({ tokenLocation: ['headers', 'cookies'] })
  const cookiesFirst = await build({ tokenLocation: ['cookies', 'headers'] })
  // Both apps share the secret: each accepts the other's tokens.
  const fromHeader = headersFirst.authJwt.createAccessToken({ subject: 'header-user' })
  const fromCookie = headersFirst.authJwt.createAccessToken({ subject: 'cookie-user' })
  const both = { authorization: `Bearer ${fromHeader}`, cookie: `access_token_cookie=${fromCookie}` }

  t.test('both sent: the first location wins', async t => {
    t.equal((await headersFirst.inject({ url: '/protected', headers: both })).json().subject, 'header-user')
    t.equal((await cookiesFirst.inject({ url: '/protected', headers: both })).json().subject, 'cookie-user')
  })

  t.test('an absent token moves on to the next location', async t => {
    t.equal((await headersFirst.inject({ url: '/protected', headers: { cookie: both.cookie } })).json().subject, 'cookie-user')
    t.equal((await cookiesFirst.inject({ url: '/protected', headers: { authorization: both.authorization } })).json().subject, 'header-user')
    const emptyCookie = await cookiesFirst.inject({ url: '/protected', headers: { authorization: both.authorization, cookie: 'access_token_cookie=' } })
    t.equal(emptyCookie.json().subject, 'header-user', 'an empty cookie (just unset) is absent')
  })

  t.test('a present bad header does not fall through to a good cookie', async t => {
    const malformed = await headersFirst.inject({ url: '/protected', headers: { authorization: 'Basic abc', cookie: both.cookie } })
    t.equal(malformed.statusCode, 400)
    t.equal(malformed.json().code, 'FST_JWT_AUTH_BAD_HEADER')
    const forged = await headersFirst.inject({ url: '/protected', headers: { authorization: `Bearer ${corruptSignature(fromHeader)}`, cookie: both.cookie } })
    t.equal(forged.statusCode, 401)
    t.equal(forged.json().code, 'FST_JWT_AUTH_TOKEN_INVALID')
    const expired = headersFirst.authJwt.createAccessToken({ subject: 'header-user', expiresTime: 0 })
    const expiredResponse = await headersFirst.inject({ url: '/protected', headers: { authorization: `Bearer ${expired}`, cookie: both.cookie } })
    t.equal(expiredResponse.json().code, 'FST_JWT_AUTH_TOKEN_EXPIRED')
  })

  t.test('a present bad cookie does not fall through to a good header', async t => {
    const response = await cookiesFirst.inject({ url: '/protected', headers: { authorization: both.authorization, cookie: 'access_token_cookie=garbage' } })
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_INVALID')
  })

  t.test('cookies first: a cookie without its CSRF header fails even with a good header behind it', async t => {
    const response = await cookiesFirst.inject({ method: 'POST', url: '/protected', headers: both })
    t.equal(response.json().code, 'FST_JWT_AUTH_CSRF_MISSING')
    const withCsrf = await cookiesFirst.inject({ method: 'POST', url: '/protected', headers: { ...both, 'x-csrf-token': csrfOf(fromCookie) } })
    t.equal(withCsrf.json().subject, 'cookie-user')
  })

  t.test('headers first: a POST with a header needs no CSRF value, even with a cookie sent', async t => {
    t.equal((await headersFirst.inject({ method: 'POST', url: '/protected', headers: both })).json().subject, 'header-user')
  })

  t.test('query and json, both orders', async t => {
    const queryFirst = await build({ tokenLocation: ['query', 'json'] })
    const jsonFirst = await build({ tokenLocation: ['json', 'query'] })
    const inQuery = queryFirst.authJwt.createAccessToken({ subject: 'query-user' })
    const inBody = queryFirst.authJwt.createAccessToken({ subject: 'json-user' })
    const request = { method: 'POST' as const, url: `/protected?token=${inQuery}`, payload: { access_token: inBody } }
    t.equal((await queryFirst.inject(request)).json().subject, 'query-user')
    t.equal((await jsonFirst.inject(request)).json().subject, 'json-user')
    const bad = { ...request, payload: { access_token: 'garbage' } }
    t.equal((await jsonFirst.inject(bad)).json().code, 'FST_JWT_AUTH_TOKEN_INVALID', 'a bad body token does not fall through')
  })
})

t.test('the missing-token message lists each location\'s reason in order', async t => {
  const app = await build({ tokenLocation: ALL })
  const access = await app.inject({ method: 'POST', url: '/protected', payload: {} })
  t.equal(access.statusCode, 401)
  t.same(access.json(), {
    statusCode: 401,
    code: 'FST_JWT_AUTH_MISSING_TOKEN',
    error: 'Unauthorized',
    message: 'Missing Authorization Header; Missing cookie access_token_cookie; Missing query parameter token; Missing JSON body field access_token'
  })
  t.equal(access.headers['www-authenticate'], 'Bearer')
  const refresh = await app.inject({ method: 'POST', url: '/refresh', payload: {} })
  t.equal(refresh.json().message,
    'Missing Authorization Header; Missing cookie refresh_token_cookie; Missing query parameter token; Missing JSON body field refresh_token')

  const reversed = await build({
    tokenLocation: ['json', 'query', 'cookies', 'headers'],
    headerName: 'X-Auth',
    queryStringName: 'jwt',
    accessCookieKey: 'a',
    refreshCookieKey: 'r',
    jsonKey: 'at',
    refreshJsonKey: 'rt'
  })
  t.equal((await reversed.inject({ url: '/protected' })).json().message,
    'Missing JSON body field at; Missing query parameter jwt; Missing cookie a; Missing X-Auth Header')
  t.equal((await reversed.inject({ url: '/refresh' })).json().message,
    'Missing JSON body field rt; Missing query parameter jwt; Missing cookie r; Missing X-Auth Header')

  const repeated = await build({ tokenLocation: ['query', 'query', 'headers'] })
  t.equal((await repeated.inject({ url: '/protected' })).json().message, 'Missing query parameter token; Missing Authorization Header',
    'a location given twice is tried once')
})

t.test('bad input answers a clear error, never a 500', async t => {
  const app = await build({ tokenLocation: ALL })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })

  t.test('duplicate cookies: a 400, in either order, neither value used nor echoed', async t => {
    for (const cookie of [`access_token_cookie=${access}; access_token_cookie=garbage`, `access_token_cookie=garbage; access_token_cookie=${access}`]) {
      const response = await app.inject({ url: '/protected', headers: { cookie } })
      t.equal(response.statusCode, 400, 'a 400, not the first cookie read')
      t.same(response.json(), {
        statusCode: 400,
        code: 'FST_JWT_AUTH_BAD_HEADER',
        error: 'Bad Request',
        message: 'Cookie access_token_cookie sent more than once'
      }, 'the message names the cookie')
      t.notMatch(response.body, access, 'the token is not echoed')
    }
  })

  t.test('empty cookie values are absent', async t => {
    for (const cookie of ['access_token_cookie=', 'access_token_cookie=; csrf_access_token=', 'access_token_cookie', '=; ;']) {
      const response = await app.inject({ url: '/protected', headers: { cookie } })
      t.equal(response.statusCode, 401, cookie)
      t.equal(response.json().code, 'FST_JWT_AUTH_MISSING_TOKEN', cookie)
    }
  })

  t.test('a cookie value that is not URI-encoded properly is read as sent', async t => {
    const response = await app.inject({ url: '/protected', headers: { cookie: 'access_token_cookie=%E0%A4%A' } })
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_INVALID')
  })

  t.test('a CSRF header on GET is ignored', async t => {
    const response = await app.inject({ url: '/protected', headers: { cookie: `access_token_cookie=${access}`, 'x-csrf-token': 'nonsense' } })
    t.equal(response.json().subject, 'alice')
  })

  t.test('a huge query token is refused before it is parsed', async t => {
    const response = await app.inject({ url: `/protected?token=${'a'.repeat(20_000)}` })
    t.equal(response.statusCode, 401)
    t.equal(response.json().message, 'Token is too large')
  })
})
