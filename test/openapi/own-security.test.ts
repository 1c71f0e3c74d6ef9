// A route's own `schema.security` wins, and so does one the app's transform
// or transformObject sets. When it names the plugin's schemes (a route
// guarded through @fastify/auth, which cannot be seen, declares them by
// name), the document gets those schemes: @fastify/swagger alone would fail
// on a scheme missing from its options; a name no scheme has is warned of.
// As @fastify/swagger does, the credential a requirement names is not
// documented as a parameter as well.
import t, { type Test } from 'tap'
import fastifyAuth from '@fastify/auth'
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { FastifyJwtAuthOptions } from '../../index'
import { OPENAPI_WARNING_CODE } from '../../lib/openapi/openapi-warning'
import { bearer, buildApp } from '../helpers/app'
import { warningsDuring } from '../helpers/warnings'

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
  app.get('/declared', { schema: { security: [{ cookieAuth: [] }, { queryAuth: [] }, { apiKeyAuth: [] }] } }, ok)
  app.get('/cookie', { schema: { security: [{ cookieAuth: [], csrfAuth: [] }] } }, ok)
  await app.ready()
  const document = app.swagger() as Json
  t.same(document.paths['/declared'].get.security, [{ queryAuth: [] }, { apiKeyAuth: [] }], 'the others kept as declared')
  t.notOk('security' in document.paths['/cookie'].get, 'nothing left to require')
  t.same(Object.keys(document.securityDefinitions).sort(), ['apiKeyAuth', 'queryAuth'])
})

t.test('a requirement naming a scheme no one defines is kept, and warned of once', async t => {
  const app = await appWith(t, {})
  app.get('/typo', { schema: { security: [{ bearerAuth: [] }, { apiKeyAtuh: [] }] } }, ok)
  await app.ready()
  const warnings = await warningsDuring(() => {
    t.same((app.swagger() as Json).paths['/typo'].get.security, [{ bearerAuth: [] }, { apiKeyAtuh: [] }])
    app.swagger({ yaml: true })
  })
  t.same(warnings.map(warning => warning.code), [OPENAPI_WARNING_CODE])
  t.match(warnings[0].message, /name apiKeyAtuh, which no security scheme of the document defines/)
})

t.test('the security the app\'s transform or transformObject sets wins, with the plugin\'s schemes it names', async t => {
  const app = await appWith(t, { tokenLocation: ['headers', 'query'] }, {
    openapi: {
      openapi: '3.0.3',
      components: { securitySchemes: { corpSso: { type: 'openIdConnect', openIdConnectUrl: 'https://sso.example/.well-known/openid-configuration' } } }
    },
    transform: ({ schema, url }) => ({ schema: url.startsWith('/admin') ? { ...schema, security: [{ corpSso: [] }] } : schema, url }),
    transformObject: ({ openapiObject }: { openapiObject: Json }) => {
      openapiObject.paths['/other'].get.security = [{ corpSso: [] }, { queryAuth: [] }]
      return openapiObject
    }
  } as SwaggerOptions)
  app.get('/admin/x', { preHandler: app.jwtRequired }, ok)
  app.get('/other', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const { paths, components } = app.swagger() as Json
  t.same(paths['/admin/x'].get.security, [{ corpSso: [] }], 'set by transform')
  t.same(paths['/other'].get.security, [{ corpSso: [] }, { queryAuth: [] }], 'set by transformObject')
  t.same(Object.keys(components.securitySchemes).sort(), ['corpSso', 'queryAuth'], 'the scheme it names is added')
  t.match(paths['/other'].get.responses, { 401: {} }, 'the error answers are still documented')
})

t.test('the credential a requirement names is not documented as a parameter too', async t => {
  const app = await appWith(t, { tokenLocation: ['headers', 'query', 'cookies'], cookieCsrfProtect: false })
  const querystring = { type: 'object', properties: { token: { type: 'string' }, q: { type: 'string' } } }
  app.get('/declared', { schema: { security: [{ queryAuth: [] }], querystring } }, ok)
  app.get('/guarded', {
    preHandler: app.jwtRequired,
    schema: { querystring, headers: { type: 'object', properties: { Authorization: { type: 'string' }, 'x-other': { type: 'string' } } } }
  }, ok)
  app.get('/only-credentials', { preHandler: app.jwtRequired, schema: { querystring: { type: 'object', properties: { token: { type: 'string' } } } } }, ok)
  app.get('/other-scheme', { preHandler: app.jwtRequired, schema: { security: [{ apiKeyAuth: [] }], headers: { type: 'object', properties: { 'x-api-key': { type: 'string' } } } } }, ok)
  app.get('/cookie', { preHandler: app.jwtRequired, schema: { querystring: { type: 'object', properties: { access_token_cookie: { type: 'string' } } } } }, ok)
  await app.ready()
  const { paths } = app.swagger() as Json
  const names = (path: string) => paths[path].get.parameters?.map((parameter: Json) => `${parameter.in as string} ${parameter.name as string}`)
  t.same(names('/declared'), ['query q'], 'a declared requirement\'s')
  t.same(names('/guarded'), ['query q', 'header x-other'], 'the guards\' requirement\'s, headers compared ignoring case')
  t.equal(names('/only-credentials'), undefined, 'no parameter left: none')
  t.same(names('/other-scheme'), ['header x-api-key'], 'a requirement @fastify/swagger read itself is left as it made it')
  t.same(names('/cookie'), ['query access_token_cookie'], 'a cookie is not a query parameter')
})
