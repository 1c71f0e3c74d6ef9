// lib/errors.ts: every error class's code, status, name, message and
// WWW-Authenticate challenge (RFC 6750: bare when no token was presented,
// error="invalid_token" otherwise), and how Fastify answers them.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import {
  AccessTokenRequired,
  AuthJwtError,
  ConfigError,
  CSRFError,
  DenylistError,
  FreshTokenRequired,
  InvalidHeaderError,
  JWTDecodeError,
  MissingTokenError,
  RefreshTokenRequired,
  RevokedTokenError,
  type AuthJwtErrorCode
} from '../index'
import { expiredTokenError, invalidTokenError } from '../lib/errors'
import { bearer, buildApp } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'

const NO_TOKEN = { 'www-authenticate': 'Bearer' }
const BAD_TOKEN = { 'www-authenticate': 'Bearer error="invalid_token"' }

interface Expected {
  error: AuthJwtError
  class: new (...args: never[]) => AuthJwtError
  name: string
  code: AuthJwtErrorCode
  statusCode: number
  message: string
  headers: Record<string, string> | undefined
}

const cases: Expected[] = [
  {
    error: new MissingTokenError('Missing Authorization Header'),
    class: MissingTokenError,
    name: 'MissingTokenError',
    code: 'FST_JWT_AUTH_MISSING_TOKEN',
    statusCode: 401,
    message: 'Missing Authorization Header',
    headers: NO_TOKEN
  },
  {
    error: new MissingTokenError('Missing cookie access_token_cookie'),
    class: MissingTokenError,
    name: 'MissingTokenError',
    code: 'FST_JWT_AUTH_MISSING_TOKEN',
    statusCode: 401,
    message: 'Missing cookie access_token_cookie',
    headers: NO_TOKEN
  },
  {
    error: new InvalidHeaderError("Bad Authorization header. Expected value 'Bearer <JWT>'"),
    class: InvalidHeaderError,
    name: 'InvalidHeaderError',
    code: 'FST_JWT_AUTH_BAD_HEADER',
    statusCode: 400,
    message: "Bad Authorization header. Expected value 'Bearer <JWT>'",
    headers: undefined
  },
  {
    error: expiredTokenError(),
    class: JWTDecodeError,
    name: 'JWTDecodeError',
    code: 'FST_JWT_AUTH_TOKEN_EXPIRED',
    statusCode: 401,
    message: 'Signature has expired',
    headers: BAD_TOKEN
  },
  {
    error: new JWTDecodeError('FST_JWT_AUTH_TOKEN_EXPIRED', 'Signature has expired'),
    class: JWTDecodeError,
    name: 'JWTDecodeError',
    code: 'FST_JWT_AUTH_TOKEN_EXPIRED',
    statusCode: 401,
    message: 'Signature has expired',
    headers: BAD_TOKEN
  },
  {
    error: invalidTokenError('Signature verification failed'),
    class: JWTDecodeError,
    name: 'JWTDecodeError',
    code: 'FST_JWT_AUTH_TOKEN_INVALID',
    statusCode: 401,
    message: 'Signature verification failed',
    headers: BAD_TOKEN
  },
  {
    error: new RevokedTokenError(),
    class: RevokedTokenError,
    name: 'RevokedTokenError',
    code: 'FST_JWT_AUTH_TOKEN_REVOKED',
    statusCode: 401,
    message: 'Token has been revoked',
    headers: BAD_TOKEN
  },
  {
    error: new AccessTokenRequired(),
    class: AccessTokenRequired,
    name: 'AccessTokenRequired',
    code: 'FST_JWT_AUTH_ACCESS_REQUIRED',
    statusCode: 401,
    message: 'Only access tokens are allowed',
    headers: BAD_TOKEN
  },
  {
    error: new RefreshTokenRequired(),
    class: RefreshTokenRequired,
    name: 'RefreshTokenRequired',
    code: 'FST_JWT_AUTH_REFRESH_REQUIRED',
    statusCode: 401,
    message: 'Only refresh tokens are allowed',
    headers: BAD_TOKEN
  },
  {
    error: new FreshTokenRequired(),
    class: FreshTokenRequired,
    name: 'FreshTokenRequired',
    code: 'FST_JWT_AUTH_FRESH_REQUIRED',
    statusCode: 401,
    message: 'Fresh token required',
    headers: BAD_TOKEN
  },
  {
    error: new CSRFError('FST_JWT_AUTH_CSRF_MISSING'),
    class: CSRFError,
    name: 'CSRFError',
    code: 'FST_JWT_AUTH_CSRF_MISSING',
    statusCode: 401,
    message: 'Missing CSRF Token',
    headers: BAD_TOKEN
  },
  {
    error: new CSRFError('FST_JWT_AUTH_CSRF_MISMATCH'),
    class: CSRFError,
    name: 'CSRFError',
    code: 'FST_JWT_AUTH_CSRF_MISMATCH',
    statusCode: 401,
    message: 'CSRF double submit tokens do not match',
    headers: BAD_TOKEN
  },
  {
    error: new DenylistError('The denylist store failed'),
    class: DenylistError,
    name: 'DenylistError',
    code: 'FST_JWT_AUTH_DENYLIST_FAILED',
    statusCode: 500,
    message: 'The denylist store failed',
    headers: undefined
  },
  {
    error: new ConfigError('secretKey is required for HS256'),
    class: ConfigError,
    name: 'ConfigError',
    code: 'FST_JWT_AUTH_CONFIG',
    statusCode: 500,
    message: 'secretKey is required for HS256',
    headers: undefined
  }
]

t.test('every class', async (t) => {
  for (const expected of cases) {
    t.test(`${expected.code}: ${expected.message}`, async (t) => {
      const { error } = expected
      t.ok(error instanceof expected.class, expected.name)
      t.ok(error instanceof AuthJwtError, 'an AuthJwtError')
      t.ok(error instanceof Error, 'an Error')
      t.equal(error.name, expected.name, 'named after its class')
      t.equal(error.code, expected.code, 'its code')
      t.equal(error.statusCode, expected.statusCode, 'its status')
      t.equal(error.message, expected.message, 'its message')
      t.same(error.headers, expected.headers, 'its challenge, or none')
      t.match(error.stack, new RegExp(`^${expected.name}: `), 'the stack starts with the class name')
      t.match(String(error), `${expected.name}: ${expected.message}`, 'written as "<class>: <message>"')
    })
  }
})

t.test('the classes do not share a challenge object that callers could change', async (t) => {
  const a = new RevokedTokenError()
  const b = new AccessTokenRequired()
  t.throws(() => { (a.headers as Record<string, string>)['www-authenticate'] = 'Basic' }, TypeError,
    'the invalid-token challenge is frozen')
  t.same(b.headers, BAD_TOKEN, 'another class still has its challenge')
  const c = new MissingTokenError('Missing Authorization Header')
  t.throws(() => { (c.headers as Record<string, string>)['www-authenticate'] = 'Basic' }, TypeError,
    'the no-token challenge is frozen')
  t.same(new MissingTokenError('x').headers, NO_TOKEN, 'another missing-token error still has its challenge')
})

t.test('DenylistError keeps its cause', async (t) => {
  const cause = new Error('connection refused')
  const error = new DenylistError('The denylist store failed', { cause })
  t.equal(error.cause, cause, 'the cause is kept, for the logs')
  t.notOk(error.message.includes('connection refused'), 'the cause stays out of the message')
  t.equal(new DenylistError('x').cause, undefined, 'no cause unless given')
})

t.test('AuthJwtError can be used directly', async (t) => {
  const error = new AuthJwtError('FST_JWT_AUTH_TOKEN_REVOKED', 401, 'custom')
  t.equal(error.name, 'AuthJwtError', 'named AuthJwtError')
  t.same(error.headers, BAD_TOKEN, 'a 401 about a presented token: the invalid-token challenge')
  const missing = new AuthJwtError('FST_JWT_AUTH_MISSING_TOKEN', 401, 'custom')
  t.same(missing.headers, NO_TOKEN, 'a 401 for a missing token: the bare challenge')
  t.equal(new AuthJwtError('FST_JWT_AUTH_BAD_HEADER', 400, 'custom').headers, undefined, 'not a 401: no challenge')
})

async function build (t: Test): Promise<FastifyInstance> {
  const app = await buildApp(t)
  app.get('/throw/:index', async (request) => {
    throw cases[Number((request.params as { index: string }).index)].error
  })
  app.get('/protected', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
  app.get('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async () => ({ ok: true }))
  app.get('/fresh', { preHandler: app.freshJwtRequired }, async () => ({ ok: true }))
  return app
}

t.test("Fastify answers each error in its own shape, with the error's headers", async (t) => {
  const app = await build(t)
  for (const [index, expected] of cases.entries()) {
    const response = await app.inject(`/throw/${index}`)
    expectAuthError(t, response, expected.code, { message: expected.message, what: `${expected.name} ${expected.message}` })
  }
})

t.test('the guards answer with the right challenge', async (t) => {
  const app = await build(t)

  const missing = await app.inject('/protected')
  expectAuthError(t, missing, 'FST_JWT_AUTH_MISSING_TOKEN', { message: 'Missing Authorization Header', what: 'no token' })

  const garbage = 'not.a.jwt'
  const invalid = await app.inject({ url: '/protected', headers: bearer(garbage) })
  expectAuthError(t, invalid, 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a garbage token' })
  t.notOk(invalid.body.includes(garbage), 'the answer does not echo the token')

  const badHeader = await app.inject({ url: '/protected', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  expectAuthError(t, badHeader, 'FST_JWT_AUTH_BAD_HEADER', {
    message: "Bad Authorization header. Expected value 'Bearer <JWT>'",
    what: 'another scheme'
  })

  const refresh = app.authJwt.createRefreshToken({ subject: 'a' })
  const wrongType = await app.inject({ url: '/protected', headers: bearer(refresh) })
  expectAuthError(t, wrongType, 'FST_JWT_AUTH_ACCESS_REQUIRED', {
    message: 'Only access tokens are allowed',
    what: 'a refresh token where an access token is needed'
  })
  t.notOk(wrongType.body.includes(refresh), 'the answer does not echo the refresh token')

  const access = app.authJwt.createAccessToken({ subject: 'a' })
  const needsRefresh = await app.inject({ url: '/refresh', headers: bearer(access) })
  expectAuthError(t, needsRefresh, 'FST_JWT_AUTH_REFRESH_REQUIRED', { what: 'an access token where a refresh token is needed' })
  const notFresh = await app.inject({ url: '/fresh', headers: bearer(access) })
  expectAuthError(t, notFresh, 'FST_JWT_AUTH_FRESH_REQUIRED', { message: 'Fresh token required', what: 'a token that is not fresh' })
})
