// A route's own `schema.security` wins. When it names the plugin's schemes
// (a route guarded through @fastify/auth, which cannot be seen, declares
// them by name), the document gets those schemes: @fastify/swagger alone
// would fail on a scheme missing from its options.
import t, { type Test } from 'tap'
import fastifyAuth from '@fastify/auth'
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyJwtAuthOptions } from '../../index'
import { bearer, buildApp } from '../helpers/app'

type Json = Record<string, any>

const OPENAPI = {
  openapi: {
    openapi: '3.0.3',
    components: { securitySchemes: { apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } }
  }
} as SwaggerOptions

async function appWith (t: Test, options: FastifyJwtAuthOptions, swaggerOptions: SwaggerOptions = OPENAPI): Promise<FastifyInstance> {
  return buildApp(t, options, {
    before: async app => {
      await app.register(fastifyAuth)
      await app.register(fastifySwagger, swaggerOptions)
    }
  })
}

const ok = async () => ({ ok: true })

t.test('a route guarded through @fastify/auth declares the plugin\'s schemes by name and gets them', async t => {
  const app = await appWith(t, { tokenLocation: ['headers', 'cookies'] })
  const apiKey = async (request: FastifyRequest) => {
    if (request.headers['x-api-key'] !== 'let-me-in') throw new Error('no API key')
  }
  app.get('/either', {
    preHandler: app.auth([apiKey, app.jwtRequired]),
    schema: { security: [{ bearerAuth: [] }, { cookieAuth: [] }, { apiKeyAuth: [] }] }
  }, ok)
  await app.ready()
  const document = app.swagger() as Json
  t.same(document.paths['/either'].get.security, [{ bearerAuth: [] }, { cookieAuth: [] }, { apiKeyAuth: [] }],
    'the declared requirement, as declared')
  t.same(Object.keys(document.components.securitySchemes).sort(), ['apiKeyAuth', 'bearerAuth', 'cookieAuth'],
    'the plugin\'s schemes it names are added; the app\'s own kept')
  t.notOk('401' in document.paths['/either'].get.responses, 'no guard is seen: no error answer is made up')

  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal((await app.inject({ url: '/either', headers: bearer(token) })).statusCode, 200, 'the route works as before')
  t.equal((await app.inject({ url: '/either', headers: { 'x-api-key': 'let-me-in' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/either' })).statusCode, 401)
})

t.test('a guarded route with a requirement of its own keeps it, and gets its error answers', async t => {
  const app = await appWith(t, {})
  app.get('/mine', { preHandler: app.jwtRequired, schema: { security: [{ apiKeyAuth: [] }] } }, ok)
  app.get('/public', { preHandler: app.jwtOptional, schema: { security: [] } }, ok)
  app.get('/named', { preHandler: app.jwtRequired, schema: { security: [{ bearerAuth: [], apiKeyAuth: [] }] } }, ok)
  await app.ready()
  const { paths, components } = app.swagger() as Json
  t.same(paths['/mine'].get.security, [{ apiKeyAuth: [] }], 'a requirement naming the app\'s scheme only')
  t.same(paths['/public'].get.security, [], 'an explicitly empty requirement')
  t.same(paths['/named'].get.security, [{ bearerAuth: [], apiKeyAuth: [] }], 'one naming both')
  for (const path of ['/mine', '/public', '/named']) {
    t.match(paths[path].get.responses[401], { description: /token/ }, `${path}: the 401`)
  }
  t.same(Object.keys(components.securitySchemes).sort(), ['apiKeyAuth', 'bearerAuth'])
})

t.test('Swagger 2: a declared requirement naming the cookie scheme is left out, as it cannot be described', async t => {
  const app = await appWith(t, { tokenLocation: ['cookies', 'query'] }, {
    swagger: { securityDefinitions: { apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } }
  })
  app.get('/declared', { schema: { security: [{ cookieAuth: [] }, { queryAuth: [] }, { apiKeyAuth: [], undefinedByAnyone: [] }] } }, ok)
  app.get('/cookie', { schema: { security: [{ cookieAuth: [], csrfAuth: [] }] } }, ok)
  await app.ready()
  const document = app.swagger() as Json
  t.same(document.paths['/declared'].get.security, [{ queryAuth: [] }, { apiKeyAuth: [], undefinedByAnyone: [] }],
    'the others kept as declared, even one naming a scheme of nobody')
  t.notOk('security' in document.paths['/cookie'].get, 'nothing left to require')
  t.same(Object.keys(document.securityDefinitions).sort(), ['apiKeyAuth', 'queryAuth'])
})
