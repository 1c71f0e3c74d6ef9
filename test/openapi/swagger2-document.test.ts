// The Swagger 2.0 document (@fastify/swagger's default, without the
// `openapi` option): security definitions instead of components, the bearer
// header as an apiKey header, no cookie requirement (Swagger 2 cannot
// describe one), the error schema in `definitions`.
import t, { type Test } from 'tap'
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import type { FastifyJwtAuthOptions } from '../../index'
import { buildApp } from '../helpers/app'

type Json = Record<string, any>

async function documentOf (t: Test, options: FastifyJwtAuthOptions, declare: (app: FastifyInstance) => void,
  swaggerOptions: SwaggerOptions = {}): Promise<Json> {
  const app = await buildApp(t, options, { before: app => app.register(fastifySwagger, swaggerOptions) })
  declare(app)
  await app.ready()
  return app.swagger() as Json
}

const ok = async () => ({ ok: true })

t.test('the bearer header becomes an apiKey Authorization header; the error schema goes to definitions', async t => {
  const document = await documentOf(t, {}, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
    app.get('/optional', { preHandler: app.jwtOptional }, ok)
  })
  t.equal(document.swagger, '2.0')
  t.same(document.securityDefinitions, {
    bearerAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: document.securityDefinitions.bearerAuth.description }
  })
  t.match(document.securityDefinitions.bearerAuth.description, /`Bearer <JWT>`/, 'the description says what to type')
  t.same(document.paths['/required'].get.security, [{ bearerAuth: [] }])
  t.same(document.paths['/optional'].get.security, [{}, { bearerAuth: [] }])
  t.same(document.paths['/required'].get.responses[401], {
    description: 'Missing, invalid, expired or revoked access token',
    headers: { 'WWW-Authenticate': { type: 'string', description: document.paths['/required'].get.responses[401].headers['WWW-Authenticate'].description } },
    schema: { $ref: '#/definitions/AuthJwtError' }
  })
  t.match(document.definitions.AuthJwtError, { type: 'object', required: ['statusCode', 'code', 'error', 'message'] })
  t.notOk('components' in document, 'no OpenAPI 3 components')
})

t.test('the cookie alternatives are left out; the others stay', async t => {
  const document = await documentOf(t, { tokenLocation: ['cookies', 'headers', 'query'] }, app => {
    app.post('/required', { preHandler: app.jwtRequired }, ok)
    app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, ok)
  })
  t.same(document.paths['/required'].post.security, [{ bearerAuth: [] }, { queryAuth: [] }])
  t.same(document.paths['/refresh'].post.security, [{ bearerAuth: [] }, { queryAuth: [] }])
  t.same(Object.keys(document.securityDefinitions).sort(), ['bearerAuth', 'queryAuth'],
    'neither the cookies nor the CSRF headers that go with them')
})

t.test('cookies alone: no requirement can be written; the description says where the token goes', async t => {
  const { paths, securityDefinitions } = await documentOf(t, { tokenLocation: ['cookies'] }, app => {
    app.get('/required', { preHandler: app.jwtRequired, schema: { description: 'Mine.' } }, ok)
    app.get('/optional', { preHandler: app.jwtOptional }, ok)
  }, { swagger: { securityDefinitions: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Key' } }, security: [{ apiKey: [] }] } })
  t.notOk('security' in paths['/required'].get, 'a required token: the document\'s requirement applies, the note says more')
  t.equal(paths['/required'].get.description,
    'Mine.\n\nNeeds the access token in the `access_token_cookie` cookie, which no security scheme of this document describes.')
  t.same(paths['/optional'].get.security, [{}], 'an optional token: none is needed, whatever the document requires')
  t.match(paths['/optional'].get.description, /^Accepts the access token in the `access_token_cookie` cookie/)
  t.match(paths['/required'].get.responses[401], { schema: { $ref: '#/definitions/AuthJwtError' } })
  t.same(Object.keys(securityDefinitions), ['apiKey'])
})

t.test('a cookie scheme the app defines itself can be named', async t => {
  const { paths, securityDefinitions } = await documentOf(t, { tokenLocation: ['cookies'], cookieCsrfProtect: false }, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
  }, { swagger: { securityDefinitions: { cookieAuth: { type: 'apiKey', in: 'header', name: 'Cookie' } } } })
  t.same(paths['/required'].get.security, [{ cookieAuth: [] }])
  t.same(securityDefinitions, { cookieAuth: { type: 'apiKey', in: 'header', name: 'Cookie' } }, 'the app\'s definition, untouched')
})

t.test('the app\'s definitions stay; its options are not written to', async t => {
  const swagger = {
    securityDefinitions: { queryAuth: { type: 'apiKey', in: 'query', name: 'mine' } },
    definitions: { Thing: { type: 'object' } }
  }
  const before = structuredClone(swagger)
  const document = await documentOf(t, { tokenLocation: ['headers', 'query'] }, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
  }, { swagger } as SwaggerOptions)
  t.same(document.securityDefinitions.queryAuth, { type: 'apiKey', in: 'query', name: 'mine' })
  t.ok('bearerAuth' in document.securityDefinitions)
  t.same(Object.keys(document.definitions).sort(), ['AuthJwtError', 'Thing'])
  t.same(swagger, before)
})

t.test('a custom header is an apiKey header in Swagger 2 as well', async t => {
  const { paths, securityDefinitions } = await documentOf(t, { headerName: 'X-Token', headerType: '' }, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
  })
  t.same(paths['/required'].get.security, [{ headerAuth: [] }])
  t.match(securityDefinitions.headerAuth, { type: 'apiKey', in: 'header', name: 'X-Token', description: /the JWT itself/ })
})
