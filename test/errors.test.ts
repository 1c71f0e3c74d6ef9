// The error classes of DESIGN.md "Errors": code, status, name, message and
// the WWW-Authenticate challenge, and how Fastify answers them.
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, {
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
  RevokedTokenError
} from '../index'
import { expiredTokenError, invalidTokenError } from '../lib/errors'

const NO_TOKEN = { 'www-authenticate': 'Bearer' }
const BAD_TOKEN = { 'www-authenticate': 'Bearer error="invalid_token"' }

interface Expected {
  error: AuthJwtError
  class: new (...args: never[]) => AuthJwtError
  name: string
  code: string
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
      t.equal(error.name, expected.name)
      t.equal(error.code, expected.code)
      t.equal(error.statusCode, expected.statusCode)
      t.equal(error.message, expected.message)
      t.same(error.headers, expected.headers)
      t.match(error.stack, new RegExp(`^${expected.name}: `), 'the stack starts with the class name')
      t.match(String(error), `${expected.name}: ${expected.message}`)
    })
  }
})

t.test('the classes do not share a challenge object that callers could change', async (t) => {
  const a = new RevokedTokenError()
  const b = new AccessTokenRequired()
  t.throws(() => { (a.headers as Record<string, string>)['www-authenticate'] = 'Basic' }, TypeError)
  t.same(b.headers, BAD_TOKEN)
  const c = new MissingTokenError('Missing Authorization Header')
  t.throws(() => { (c.headers as Record<string, string>)['www-authenticate'] = 'Basic' }, TypeError)
  t.same(new MissingTokenError('x').headers, NO_TOKEN)
})

t.test('DenylistError keeps its cause', async (t) => {
  const cause = new Error('connection refused')
  const error = new DenylistError('The denylist store failed', { cause })
  t.equal(error.cause, cause)
  t.notOk(error.message.includes('connection refused'), 'the cause stays out of the message')
  t.equal(new DenylistError('x').cause, undefined)
})

t.test('AuthJwtError can be used directly', async (t) => {
  const error = new AuthJwtError('FST_JWT_AUTH_TOKEN_REVOKED', 401, 'custom')
  t.equal(error.name, 'AuthJwtError')
  t.same(error.headers, BAD_TOKEN)
  const missing = new AuthJwtError('FST_JWT_AUTH_MISSING_TOKEN', 401, 'custom')
  t.same(missing.headers, NO_TOKEN)
  t.equal(new AuthJwtError('FST_JWT_AUTH_BAD_HEADER', 400, 'custom').headers, undefined)
})

async function build (t: Test): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: 'errors-test-secret-long-enough-for-hs256!' })
  app.get('/throw/:index', async (request) => {
    throw cases[Number((request.params as { index: string }).index)].error
  })
  app.get('/protected', { preHandler: app.jwtRequired }, async () => ({ ok: true }))
  app.get('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async () => ({ ok: true }))
  app.get('/fresh', { preHandler: app.freshJwtRequired }, async () => ({ ok: true }))
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 500: 'Internal Server Error' }

t.test("Fastify answers each error in its own shape, with the error's headers", async (t) => {
  const app = await build(t)
  for (const [index, expected] of cases.entries()) {
    const response = await app.inject(`/throw/${index}`)
    t.equal(response.statusCode, expected.statusCode, `${expected.code}: status`)
    t.same(response.json(), {
      statusCode: expected.statusCode,
      code: expected.code,
      error: STATUS_TEXT[expected.statusCode],
      message: expected.message
    }, `${expected.code}: body`)
    t.equal(response.headers['www-authenticate'], expected.headers?.['www-authenticate'], `${expected.code}: challenge`)
  }
})

t.test('the guards answer with the right challenge', async (t) => {
  const app = await build(t)

  const missing = await app.inject('/protected')
  t.equal(missing.statusCode, 401)
  t.equal(missing.headers['www-authenticate'], 'Bearer', 'no token: a bare challenge')
  t.same(missing.json(), {
    statusCode: 401,
    code: 'FST_JWT_AUTH_MISSING_TOKEN',
    error: 'Unauthorized',
    message: 'Missing Authorization Header'
  })

  const garbage = 'not.a.jwt'
  const invalid = await app.inject({ url: '/protected', headers: { authorization: `Bearer ${garbage}` } })
  t.equal(invalid.statusCode, 401)
  t.equal(invalid.headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.match(invalid.json(), { statusCode: 401, code: 'FST_JWT_AUTH_TOKEN_INVALID', error: 'Unauthorized' })
  t.notOk(invalid.body.includes(garbage), 'the answer does not echo the token')

  const badHeader = await app.inject({ url: '/protected', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  t.equal(badHeader.statusCode, 400)
  t.equal(badHeader.headers['www-authenticate'], undefined, 'no challenge on a 400')
  t.same(badHeader.json(), {
    statusCode: 400,
    code: 'FST_JWT_AUTH_BAD_HEADER',
    error: 'Bad Request',
    message: "Bad Authorization header. Expected value 'Bearer <JWT>'"
  })

  const refresh = app.authJwt.createRefreshToken({ subject: 'a' })
  const wrongType = await app.inject({ url: '/protected', headers: { authorization: `Bearer ${refresh}` } })
  t.same(wrongType.json(), {
    statusCode: 401,
    code: 'FST_JWT_AUTH_ACCESS_REQUIRED',
    error: 'Unauthorized',
    message: 'Only access tokens are allowed'
  })
  t.equal(wrongType.headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.notOk(wrongType.body.includes(refresh))

  const access = app.authJwt.createAccessToken({ subject: 'a' })
  const needsRefresh = await app.inject({ url: '/refresh', headers: { authorization: `Bearer ${access}` } })
  t.equal(needsRefresh.json().code, 'FST_JWT_AUTH_REFRESH_REQUIRED')
  t.equal(needsRefresh.headers['www-authenticate'], 'Bearer error="invalid_token"')
  const notFresh = await app.inject({ url: '/fresh', headers: { authorization: `Bearer ${access}` } })
  t.same(notFresh.json(), {
    statusCode: 401,
    code: 'FST_JWT_AUTH_FRESH_REQUIRED',
    error: 'Unauthorized',
    message: 'Fresh token required'
  })
  t.equal(notFresh.headers['www-authenticate'], 'Bearer error="invalid_token"')
})
