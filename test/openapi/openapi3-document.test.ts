// The OpenAPI 3 document of an app using the plugin and @fastify/swagger:
// every guarded route gets the security requirement of its guards and its
// error answers, the document the schemes and the error schema they name.
import t, { type Test } from 'tap'
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger'
import type { FastifyInstance, preHandlerHookHandler } from 'fastify'
import { jwtOptional, jwtRequired, jwtScopesRequired, type FastifyJwtAuthOptions } from '../../index'
import { describeGuard } from '../../lib/guard-registry'
import { bearer, buildApp } from '../helpers/app'

type Json = Record<string, any>

const OPENAPI: SwaggerOptions = { openapi: { openapi: '3.0.3', info: { title: 'test', version: '1.0.0' } } }
const ERROR_BODY = { $ref: '#/components/schemas/AuthJwtError' }

/** The document of an app with @fastify/swagger, the plugin with `options` and the routes `declare` adds. */
async function documentOf (t: Test, options: FastifyJwtAuthOptions, declare: (app: FastifyInstance) => void,
  swaggerOptions: SwaggerOptions = OPENAPI): Promise<Json> {
  const app = await buildApp(t, options, { before: app => app.register(fastifySwagger, swaggerOptions) })
  declare(app)
  await app.ready()
  return app.swagger() as Json
}

const ok = async () => ({ ok: true })

function scopeGuard (scopes: string[], anyScope: boolean): preHandlerHookHandler {
  return describeGuard<preHandlerHookHandler>((_request, _reply, done) => done(), { requirement: 'access', scopes, anyScope })
}

t.test('each guard gets its requirement and its 401; unguarded routes stay as they were', async t => {
  const document = await documentOf(t, {}, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
    app.get('/optional', { preHandler: app.jwtOptional }, ok)
    app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, ok)
    app.get('/fresh', { preHandler: app.freshJwtRequired }, ok)
    app.get('/exported', { onRequest: jwtRequired }, ok)
    app.get('/open', ok)
  })
  const { paths } = document
  t.same(paths['/required'].get.security, [{ bearerAuth: [] }])
  t.same(paths['/optional'].get.security, [{}, { bearerAuth: [] }], 'an optional token: {} first')
  t.same(paths['/refresh'].post.security, [{ bearerAuth: [] }])
  t.same(paths['/fresh'].get.security, [{ bearerAuth: [] }])
  t.same(paths['/exported'].get.security, [{ bearerAuth: [] }], 'the exported guards count too')

  t.same(paths['/required'].get.responses[401], {
    description: 'Missing, invalid, expired or revoked access token',
    headers: { 'WWW-Authenticate': { description: paths['/required'].get.responses[401].headers['WWW-Authenticate'].description, schema: { type: 'string' } } },
    content: { 'application/json': { schema: ERROR_BODY } }
  }, 'the 401 refers to the shared error schema and shows the challenge header')
  t.match(paths['/required'].get.responses, { 200: { description: 'Default Response' } }, 'the route\'s own responses stay')
  t.match(paths['/optional'].get.responses[401].description, /without one is accepted/)
  t.match(paths['/refresh'].post.responses[401].description, /refresh token/)
  t.match(paths['/fresh'].get.responses[401].description, /not fresh/)
  t.notOk(403 in paths['/required'].get.responses, 'no 403 without scopes')

  t.same(paths['/open'].get, { responses: { 200: { description: 'Default Response' } } }, 'an open route is untouched')
  t.same(document.components.securitySchemes, {
    bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: document.components.securitySchemes.bearerAuth.description }
  })
  t.same(document.components.schemas.AuthJwtError, {
    type: 'object',
    description: 'An authentication or authorization error',
    required: ['statusCode', 'code', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 401 },
      code: { type: 'string', example: 'FST_JWT_AUTH_MISSING_TOKEN' },
      error: { type: 'string', example: 'Unauthorized' },
      message: { type: 'string', example: 'Missing Authorization Header' }
    }
  }, 'Fastify\'s error shape')
})

t.test('the locations are alternatives in tokenLocation order; the cookie needs the CSRF header on checked methods', async t => {
  const { paths, components } = await documentOf(t, { tokenLocation: ['headers', 'cookies', 'query', 'json'] }, app => {
    app.route({ method: ['GET', 'POST'], url: '/both', preHandler: app.jwtRequired, handler: ok })
    app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, ok)
    app.delete('/optional', { preHandler: app.jwtOptional }, ok)
  })
  t.same(paths['/both'].get.security, [{ bearerAuth: [] }, { cookieAuth: [] }, { queryAuth: [] }], 'GET: no CSRF header')
  t.same(paths['/both'].post.security, [{ bearerAuth: [] }, { cookieAuth: [], csrfAuth: [] }, { queryAuth: [] }],
    'POST: the cookie and the CSRF header together')
  t.not(paths['/both'].get, paths['/both'].post, 'each method has an operation of its own')
  t.notMatch(paths['/both'].get.responses[401].description, /CSRF/)
  t.match(paths['/both'].post.responses[401].description, /CSRF header/)
  t.same(paths['/refresh'].post.security, [{ bearerAuth: [] }, { refreshCookieAuth: [], refreshCsrfAuth: [] }, { queryAuth: [] }],
    'a refresh route names the refresh cookie and its CSRF header')
  t.same(paths['/optional'].delete.security, [{}, { bearerAuth: [] }, { cookieAuth: [], csrfAuth: [] }, { queryAuth: [] }])
  t.same(Object.keys(components.securitySchemes).sort(),
    ['bearerAuth', 'cookieAuth', 'csrfAuth', 'queryAuth', 'refreshCookieAuth', 'refreshCsrfAuth'])
  t.match(components.securitySchemes, {
    cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token_cookie' },
    refreshCookieAuth: { type: 'apiKey', in: 'cookie', name: 'refresh_token_cookie' },
    csrfAuth: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
    queryAuth: { type: 'apiKey', in: 'query', name: 'token' }
  })
})

t.test('only the schemes the document uses are added', async t => {
  const { components } = await documentOf(t, { tokenLocation: ['headers', 'cookies'], cookieCsrfProtect: false }, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
  })
  t.same(Object.keys(components.securitySchemes).sort(), ['bearerAuth', 'cookieAuth'], 'no refresh cookie, no CSRF header')
})

t.test('a scope guard documents its 403, naming the scopes', async t => {
  const { paths } = await documentOf(t, {}, app => {
    app.get('/all', { preHandler: scopeGuard(['posts:read', 'posts:write'], false) }, ok)
    app.get('/any', { preHandler: scopeGuard(['admin', 'editor'], true) }, ok)
    app.get('/both', { preHandler: [scopeGuard(['a'], false), scopeGuard(['b', 'c'], true)] }, ok)
  })
  t.same(paths['/all'].get.security, [{ bearerAuth: [] }])
  t.same(paths['/all'].get.responses[403], {
    description: 'The token lacks the scopes this route requires: all of posts:read, posts:write',
    headers: { 'WWW-Authenticate': { description: 'The Bearer challenge with error="insufficient_scope" and the scopes required', schema: { type: 'string' } } },
    content: { 'application/json': { schema: ERROR_BODY } }
  })
  t.equal(paths['/any'].get.responses[403].description, 'The token lacks the scopes this route requires: one of admin, editor')
  t.equal(paths['/both'].get.responses[403].description, 'The token lacks the scopes this route requires: all of a and one of b, c')
  t.match(paths['/all'].get.responses[401], { description: /access token/ }, 'and its 401')
})

t.test('jwtScopesRequired, as a decorator or exported, documents the 403 it answers', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.get('/decorator', { preHandler: app.jwtScopesRequired(['reports:read']) }, ok)
  app.get('/exported', { preHandler: [jwtOptional, jwtScopesRequired(['a', 'b'], { any: true })] }, ok)
  await app.ready()
  const { paths } = app.swagger() as Json
  t.same(paths['/decorator'].get.security, [{ bearerAuth: [] }])
  t.equal(paths['/decorator'].get.responses[403].description, 'The token lacks the scopes this route requires: all of reports:read')
  t.same(paths['/exported'].get.security, [{ bearerAuth: [] }], 'a scope guard needs a token: it beats jwtOptional')
  t.equal(paths['/exported'].get.responses[403].description, 'The token lacks the scopes this route requires: one of a, b')

  const token = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['other'] })
  const response = await app.inject({ url: '/decorator', headers: bearer(token) })
  t.equal(response.statusCode, 403, 'the route answers the documented 403')
  t.same(Object.keys(response.json()).sort(), ['code', 'error', 'message', 'statusCode'], 'in the documented shape')
})

t.test('a status the route documents itself keeps its description', async t => {
  const { paths } = await documentOf(t, {}, app => {
    app.get('/custom', {
      preHandler: [app.jwtRequired, scopeGuard(['x'], false)],
      schema: { response: { 401: { description: 'Log in first', type: 'object' }, 403: { description: 'Not yours', type: 'object' } } }
    }, ok)
  })
  t.equal(paths['/custom'].get.responses[401].description, 'Log in first')
  t.equal(paths['/custom'].get.responses[403].description, 'Not yours')
  t.same(paths['/custom'].get.security, [{ bearerAuth: [] }], 'the security is still added')
})

t.test('the app\'s own schemes and schemas of the same names win, and its swagger options are not changed', async t => {
  const mine = { type: 'http', scheme: 'bearer', description: 'mine' }
  const myError = { type: 'object', properties: { detail: { type: 'string' } } }
  const swaggerOptions = {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'test', version: '1.0.0' },
      components: { securitySchemes: { bearerAuth: mine, other: { type: 'apiKey', in: 'header', name: 'X-Other' } }, schemas: { AuthJwtError: myError } }
    }
  }
  const before = structuredClone(swaggerOptions)
  const { paths, components } = await documentOf(t, { tokenLocation: ['headers', 'query'] }, app => {
    app.get('/required', { preHandler: app.jwtRequired }, ok)
  }, swaggerOptions as SwaggerOptions)
  t.same(paths['/required'].get.security, [{ bearerAuth: [] }, { queryAuth: [] }])
  t.same(components.securitySchemes.bearerAuth, mine, 'the app\'s bearerAuth')
  t.match(components.securitySchemes, { other: { name: 'X-Other' }, queryAuth: { in: 'query' } }, 'the others kept, the missing one added')
  t.same(components.schemas.AuthJwtError, myError, 'the app\'s AuthJwtError')
  t.same(swaggerOptions.openapi, before.openapi, 'the options object is not written to')
})

t.test('a token in the JSON body has no scheme: the description says where it goes', async t => {
  const { paths, components } = await documentOf(t, { tokenLocation: ['json'] }, app => {
    app.post('/required', { preHandler: app.jwtRequired }, ok)
    app.post('/optional', { preHandler: app.jwtOptional }, ok)
  })
  t.notOk('security' in paths['/required'].post, 'no security requirement')
  t.match(paths['/required'].post.description, /^Needs the access token in the `access_token` field of the JSON body/)
  t.same(paths['/optional'].post.security, [{}], 'an optional token: none is needed')
  t.match(paths['/optional'].post.description, /^Accepts the access token/)
  t.match(paths['/required'].post.responses[401], { description: /access token/ })
  t.notOk('securitySchemes' in components)
  t.ok('AuthJwtError' in components.schemas)
})

t.test('a document without guarded routes is left as @fastify/swagger made it', async t => {
  const document = await documentOf(t, {}, app => { app.get('/open', ok) })
  t.same(document.components, { schemas: {} })
  t.same(document.paths, { '/open': { get: { responses: { 200: { description: 'Default Response' } } } } })
})

t.test('the document is secured once: later calls give the same object, unchanged', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.get('/required', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const first = app.swagger() as Json
  const copy = structuredClone(first)
  t.equal(app.swagger(), first, 'the cached document')
  t.same(app.swagger(), copy, 'not secured twice')
})

t.test('the app\'s transform and transformObject see the route and the document as before', async t => {
  const seen: string[] = []
  const document = await documentOf(t, {}, app => {
    app.get('/required', { preHandler: app.jwtRequired, schema: { summary: 'mine' } }, ok)
  }, {
    ...OPENAPI,
    transform: ({ schema, url }) => {
      seen.push(url)
      return { schema: { ...schema, description: 'transformed' }, url }
    },
    // A deep copy: the markers are found in what the app returns.
    transformObject: documentObject => structuredClone({ ...(documentObject as Json).openapiObject, 'x-copied': true })
  } as SwaggerOptions)
  t.same(seen, ['/required'])
  t.match(document.paths['/required'].get, { summary: 'mine', description: 'transformed', security: [{ bearerAuth: [] }] })
  t.equal(document['x-copied'], true)
})

t.test('OpenAPI 3.2: an operation of another method is secured in additionalOperations', async t => {
  const { paths } = await documentOf(t, {}, app => {
    app.addHttpMethod('PROPFIND')
    app.route({ method: 'PROPFIND', url: '/dav', preHandler: app.jwtRequired, handler: ok })
  }, { openapi: { openapi: '3.2.0', info: { title: 'test', version: '1.0.0' } } })
  t.same(paths['/dav'].additionalOperations.PROPFIND.security, [{ bearerAuth: [] }])
  t.match(paths['/dav'].additionalOperations.PROPFIND.responses, { 401: { description: /access token/ } })
})
