import t from 'tap'
import Fastify from 'fastify'
import fastifyJwtAuth, { MissingTokenError } from '../index'
import { SECRET, bearer } from './helpers/app'

t.test('the in-handler checks', async t => {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET })
  for (const check of ['jwtRequired', 'jwtOptional', 'jwtRefreshTokenRequired', 'freshJwtRequired'] as const) {
    app.get(`/${check}`, async request => {
      await request.authJwt[check]()
      return { subject: request.authJwt.getJwtSubject() }
    })
  }
  t.teardown(() => app.close())
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const fresh = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const cases: Array<[string, string | undefined, number, string?]> = [
    ['jwtRequired', access, 200],
    ['jwtRequired', undefined, 401, 'FST_JWT_AUTH_MISSING_TOKEN'],
    ['jwtRequired', refresh, 401, 'FST_JWT_AUTH_ACCESS_REQUIRED'],
    ['jwtOptional', undefined, 200],
    ['jwtOptional', access, 200],
    ['jwtOptional', 'garbage', 401, 'FST_JWT_AUTH_TOKEN_INVALID'],
    ['jwtRefreshTokenRequired', refresh, 200],
    ['jwtRefreshTokenRequired', access, 401, 'FST_JWT_AUTH_REFRESH_REQUIRED'],
    ['freshJwtRequired', fresh, 200],
    ['freshJwtRequired', access, 401, 'FST_JWT_AUTH_FRESH_REQUIRED']
  ]
  for (const [check, token, status, code] of cases) {
    const response = await app.inject({ url: `/${check}`, headers: token === undefined ? {} : bearer(token) })
    t.equal(response.statusCode, status, `${check} ${code ?? 'passes'}`)
    if (code !== undefined) t.equal(response.json().code, code)
    else t.same(response.json(), { subject: token === undefined ? null : 'alice' })
  }
})

t.test('request.authJwt', async t => {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET })
  app.get('/same-helper', async request => {
    const first = request.authJwt
    return { same: first === request.authJwt }
  })
  app.get('/tokens', async request => ({
    access: request.authJwt.createAccessToken({ subject: 'a', fresh: true }),
    refresh: request.authJwt.createRefreshToken({ subject: 'a' })
  }))
  app.get('/headers', { preHandler: app.jwtRequired }, async request => ({
    current: request.authJwt.getUnverifiedJwtHeaders(),
    other: request.authJwt.getUnverifiedJwtHeaders(app.authJwt.createAccessToken({ subject: 'b', headers: { kid: 'k1' } })),
    jti: request.authJwt.getJti(request.headers.authorization?.slice(7) as string) === request.authJwt.getRawJwt()?.jti
  }))
  app.get('/no-token-headers', async request => request.authJwt.getUnverifiedJwtHeaders())
  t.teardown(() => app.close())

  t.test('is created once per request', async t => {
    t.same((await app.inject('/same-helper')).json(), { same: true })
  })

  t.test('creates tokens the guards accept', async t => {
    const { access, refresh } = (await app.inject('/tokens')).json()
    t.equal(app.authJwt.decodeToken(access).type, 'access')
    t.equal(app.authJwt.decodeToken(access).fresh, true)
    t.equal(app.authJwt.decodeToken(refresh).type, 'refresh')
  })

  t.test('reads the headers of the current token or of another', async t => {
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    t.same((await app.inject({ url: '/headers', headers: bearer(token) })).json(), {
      current: { alg: 'HS256', typ: 'JWT' },
      other: { alg: 'HS256', typ: 'JWT', kid: 'k1' },
      jti: true
    })
  })

  t.test('without a verified token there are no current headers', async t => {
    const response = await app.inject('/no-token-headers')
    t.equal(response.statusCode, 401)
    t.equal(response.json().code, 'FST_JWT_AUTH_MISSING_TOKEN')
    t.ok(new MissingTokenError('x') instanceof Error)
  })
})

t.test('the plugin adds only its own decorators', async t => {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET })
  await app.ready()
  t.teardown(() => app.close())
  for (const name of ['authJwt', 'jwtRequired', 'jwtOptional', 'jwtRefreshTokenRequired', 'freshJwtRequired']) {
    t.ok(app.hasDecorator(name), name)
  }
  t.ok(app.hasRequestDecorator('authJwt'))
  t.notOk(app.hasDecorator('config'), 'no fastify.config')
  t.notOk(app.hasRequestDecorator('cookies'), 'no cookie parsing unless cookies is a location')
})

t.test('decorators reach the parent context (fastify-plugin)', async t => {
  const app = Fastify({ logger: false })
  await app.register(async function child (child) {
    await child.register(fastifyJwtAuth, { secretKey: SECRET })
  })
  await app.ready()
  t.teardown(() => app.close())
  t.notOk(app.hasDecorator('authJwt'), 'registered inside a child context, it stays there')

  const root = Fastify({ logger: false })
  await root.register(fastifyJwtAuth, { secretKey: SECRET })
  await root.register(async function routes (child) {
    child.get('/child', { preHandler: child.jwtRequired }, async request => request.authJwt.getJwtSubject())
  })
  t.teardown(() => root.close())
  const token = root.authJwt.createAccessToken({ subject: 'kid' })
  t.equal((await root.inject({ url: '/child', headers: bearer(token) })).body, 'kid')
})
