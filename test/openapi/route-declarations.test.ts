// Where and how the guarded routes are declared: @fastify/swagger registered
// before or after the plugin, routes, swagger or the plugin in child or
// sibling instances, HEAD routes, hidden routes, guards and security added
// after the declaration, a schema object shared by several routes, and apps
// without @fastify/swagger, whose routes are left alone.
import t, { type Test } from 'tap'
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifySchema } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../../index'
import { MARKER } from '../../lib/openapi/route-marker'
import { bearer, buildApp, SECRET } from '../helpers/app'

type Json = Record<string, any>

const OPENAPI = { openapi: { openapi: '3.0.3' } }
const ok = async () => ({ ok: true })

function assertNoMarker (t: Test, document: unknown): void {
  t.notOk(JSON.stringify(document).includes(MARKER), 'no marker is left in the document')
}

t.test('@fastify/swagger registered before or after the plugin, in both document versions', async t => {
  const cases: Array<[string, SwaggerOptions, (document: Json) => unknown]> = [
    ['OpenAPI 3', OPENAPI, document => document.components.securitySchemes],
    ['Swagger 2', {}, document => document.securityDefinitions]
  ]
  for (const [version, swaggerOptions, schemesOf] of cases) {
    for (const order of ['before', 'after']) {
      const app = order === 'before'
        ? await buildApp(t, {}, { before: app => app.register(fastifySwagger, swaggerOptions) })
        : await buildApp(t)
      if (order === 'after') await app.register(fastifySwagger, swaggerOptions)
      app.get('/required', { preHandler: app.jwtRequired }, ok)
      await app.ready()
      const document = app.swagger() as Json
      t.same(document.paths['/required'].get.security, [{ bearerAuth: [] }], `${version}, swagger ${order}: the requirement`)
      t.ok(Object.hasOwn(schemesOf(document) as object, 'bearerAuth'), `${version}, swagger ${order}: the scheme`)
      assertNoMarker(t, document)
    }
  }
})

t.test('routes declared in child instances, with a prefix', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  await app.register(async child => {
    child.get('/me', { preHandler: child.jwtRequired }, ok)
    await child.register(async grandchild => {
      grandchild.get('/deep', { preHandler: grandchild.jwtOptional }, ok)
    }, { prefix: '/more' })
  }, { prefix: '/v1' })
  await app.ready()
  const { paths } = app.swagger() as Json
  t.same(paths['/v1/me'].get.security, [{ bearerAuth: [] }])
  t.same(paths['/v1/more/deep'].get.security, [{}, { bearerAuth: [] }])
})

t.test('@fastify/swagger registered in a child instance documents that child\'s routes', async t => {
  const app = await buildApp(t)
  let documented: FastifyInstance | undefined
  const schemas: Array<FastifySchema | undefined> = []
  await app.register(async child => {
    await child.register(fastifySwagger, OPENAPI)
    child.get('/seen', { preHandler: child.jwtRequired }, ok)
    documented = child
  })
  await app.register(async sibling => {
    sibling.addHook('onRoute', routeOptions => { schemas.push(routeOptions.schema) })
    sibling.get('/unseen', { preHandler: sibling.jwtRequired }, ok)
  })
  await app.ready()
  const document = documented?.swagger() as Json
  t.same(document.paths['/seen'].get.security, [{ bearerAuth: [] }])
  assertNoMarker(t, document)
  t.same(schemas, [undefined, undefined], 'a route no swagger sees keeps its schema (and its HEAD route too)')
})

t.test('the plugin registered in a child instance documents its routes in the root\'s swagger', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifySwagger, OPENAPI)
  await app.register(async child => {
    await child.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['query'] })
    child.get('/child', { preHandler: child.jwtRequired }, ok)
  })
  await app.ready()
  t.same((app.swagger() as Json).paths['/child'].get.security, [{ queryAuth: [] }])
})

t.test('registrations in sibling instances each describe their own routes', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifySwagger, OPENAPI)
  await app.register(async api => {
    await api.register(fastifyJwtAuth, { secretKey: SECRET })
    api.get('/api', { preHandler: api.jwtRequired }, ok)
  })
  await app.register(async pages => {
    await pages.register(fastifyJwtAuth, { secretKey: SECRET, tokenLocation: ['cookies'] })
    pages.post('/page', { preHandler: pages.jwtRequired }, ok)
  })
  await app.ready()
  const document = app.swagger() as Json
  t.same(document.paths['/api'].get.security, [{ bearerAuth: [] }])
  t.same(document.paths['/page'].post.security, [{ cookieAuth: [], csrfAuth: [] }])
  t.same(Object.keys(document.components.securitySchemes).sort(), ['bearerAuth', 'cookieAuth', 'csrfAuth'])
})

t.test('HEAD routes, when @fastify/swagger shows them, are secured like their GET route', async t => {
  for (const order of ['before', 'after']) {
    const swaggerOptions = { ...OPENAPI, exposeHeadRoutes: true }
    const app = order === 'before'
      ? await buildApp(t, {}, { before: app => app.register(fastifySwagger, swaggerOptions) })
      : await buildApp(t)
    if (order === 'after') await app.register(fastifySwagger, swaggerOptions)
    app.get('/plain', { preHandler: app.jwtRequired }, ok)
    // @fastify/swagger copies the HEAD route's schema to rename its operationId.
    app.get('/named', { preHandler: app.jwtOptional, schema: { operationId: 'getNamed' } }, ok)
    app.head('/explicit', { preHandler: app.jwtRequired }, ok)
    app.get('/open', { schema: { operationId: 'getOpen' } }, ok)
    await app.ready()
    const { paths } = app.swagger() as Json
    t.same(paths['/plain'].head.security, [{ bearerAuth: [] }], `swagger ${order}: a HEAD route`)
    t.same(paths['/named'].head.security, [{}, { bearerAuth: [] }], `swagger ${order}: a HEAD route with an operationId`)
    t.match(paths['/named'].head, { operationId: 'getNamed-head', responses: { 401: { description: /without one/ } } })
    t.same(paths['/explicit'].head.security, [{ bearerAuth: [] }], `swagger ${order}: a HEAD route of its own`)
    t.notOk('security' in paths['/open'].head, `swagger ${order}: an open route's HEAD stays open`)
    assertNoMarker(t, paths)
  }
})

t.test('a HEAD operation @fastify/swagger copies is secured by the guards of its own HEAD route', async t => {
  // A transform renaming the operationIds: the HEAD copy's is no longer `<GET's>-head`.
  const camelCase = (operationId: string) => operationId.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase())
  const app = await buildApp(t, {}, {
    before: app => app.register(fastifySwagger, {
      ...OPENAPI,
      exposeHeadRoutes: true,
      transform: ({ schema, url }) => ({
        schema: typeof schema?.operationId === 'string' ? { ...schema, operationId: camelCase(schema.operationId) } : schema,
        url
      })
    } as SwaggerOptions)
  })
  app.get('/renamed', { preHandler: app.jwtRequired, schema: { operationId: 'getRenamed' } }, ok)
  app.get('/open-head', { preHandler: app.jwtRequired, schema: { operationId: 'x' }, exposeHeadRoute: false }, ok)
  app.head('/open-head', { schema: { operationId: 'x' } }, ok)
  app.get('/optional-head', { preHandler: app.jwtRequired, schema: { operationId: 'y' }, exposeHeadRoute: false }, ok)
  app.head('/optional-head', { preHandler: app.jwtOptional, schema: { operationId: 'y' } }, ok)
  app.post('/post-only', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const { paths } = app.swagger() as Json
  t.match(paths['/renamed'].head, { operationId: 'getRenamedHead', security: [{ bearerAuth: [] }], responses: { 401: {} } },
    'the HEAD route Fastify made, whatever its operationId becomes')
  t.notOk('security' in paths['/open-head'].head, 'an unguarded HEAD route of its own stays open')
  t.notOk(401 in paths['/open-head'].head.responses)
  t.same(paths['/optional-head'].head.security, [{}, { bearerAuth: [] }], 'a HEAD route of its own gets its own guard\'s')
  t.same(paths['/post-only'].post.security, [{ bearerAuth: [] }])
  const answers = await Promise.all(['/renamed', '/open-head', '/optional-head'].map(async url => (await app.inject({ method: 'HEAD', url })).statusCode))
  t.same(answers, [401, 200, 200], 'as the routes answer')
})

t.test('sibling registrations giving a scheme name different schemes each get a name of their own', async t => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifySwagger, OPENAPI)
  const sibling = (path: string, options: FastifyJwtAuthOptions, declared?: Record<string, string[]>) => app.register(async instance => {
    await instance.register(fastifyJwtAuth, { secretKey: SECRET, ...options })
    instance.post(path, { preHandler: instance.jwtRequired }, ok)
    if (declared !== undefined) instance.get(`${path}/declared`, { schema: { security: [declared] } }, ok)
  })
  await sibling('/a', { headerName: 'X-Api-A', headerType: '' })
  await sibling('/b', { headerName: 'X-Api-B', headerType: '', tokenLocation: ['headers', 'cookies'], accessCookieKey: 'b_cookie' })
  await sibling('/c', { headerName: 'X-Api-A', headerType: '', tokenLocation: ['cookies'], accessCookieKey: 'c_cookie', accessCsrfHeaderName: 'X-C-CSRF' },
    { cookieAuth: [], csrfAuth: [] })
  await sibling('/d', { headerName: 'X-Api-B', headerType: '' }, { headerAuth: [] })
  await app.ready()
  const { paths, components } = app.swagger() as Json
  t.same(paths['/a'].post.security, [{ headerAuth: [] }], 'the first keeps the name')
  t.same(paths['/b'].post.security, [{ headerAuth2: [] }, { cookieAuth: [], csrfAuth: [] }], 'another header gets its own')
  t.same(paths['/c'].post.security, [{ cookieAuth2: [], csrfAuth2: [] }], 'another cookie and CSRF header too')
  t.same(paths['/c/declared'].get.security, [{ cookieAuth2: [], csrfAuth2: [] }], 'a declared requirement names them alike')
  t.same(paths['/d'].post.security, [{ headerAuth2: [] }], 'the same scheme as another\'s shares its name')
  t.same(paths['/d/declared'].get.security, [{ headerAuth2: [] }])
  t.match(components.securitySchemes, {
    headerAuth: { in: 'header', name: 'X-Api-A' },
    headerAuth2: { in: 'header', name: 'X-Api-B' },
    cookieAuth: { in: 'cookie', name: 'b_cookie' },
    csrfAuth: { in: 'header', name: 'X-CSRF-Token' },
    cookieAuth2: { in: 'cookie', name: 'c_cookie' },
    csrfAuth2: { in: 'header', name: 'X-C-CSRF' }
  })
  t.equal(Object.keys(components.securitySchemes).length, 6)
  t.equal((await app.inject({ method: 'POST', url: '/d', headers: { 'x-api-a': 'x' } })).json().message, 'Missing X-Api-B Header',
    'as the routes read their tokens')
})

t.test('what a route has when the document is built counts: a guard a later hook adds, a schema filled in late', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.addHook('onRoute', routeOptions => {
    if ((routeOptions.config as { auth?: boolean } | undefined)?.auth === true) routeOptions.preHandler = app.jwtRequired
  })
  app.get('/by-config', { config: { auth: true } as object }, ok)
  const schema: Json = {}
  await app.register(async admin => {
    admin.addHook('preHandler', admin.jwtRequired)
    admin.get('/late', { schema }, ok)
  })
  schema.security = [{ bearerAuth: [] }]
  await app.ready()
  const { paths } = app.swagger() as Json
  t.same(paths['/by-config'].get.security, [{ bearerAuth: [] }], 'the guard of a later onRoute hook')
  t.match(paths['/by-config'].get.responses, { 401: {} })
  t.same(paths['/late'].get.security, [{ bearerAuth: [] }], 'security added after the declaration')
  t.equal((await app.inject({ url: '/by-config' })).statusCode, 401)
})

t.test('hidden routes stay hidden', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.get('/hidden', { preHandler: app.jwtRequired, schema: { hide: true } }, ok)
  app.get('/tagged', { preHandler: app.jwtRequired, schema: { tags: ['X-HIDDEN'] } }, ok)
  app.get('/shown', ok)
  await app.ready()
  const document = app.swagger() as Json
  t.same(Object.keys(document.paths), ['/shown'])
  t.same(document.components, { schemas: {} }, 'nothing is added for routes not shown')
})

t.test('a schema object shared by several routes is not written to', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  const schema = { summary: 'shared', querystring: { type: 'object', properties: { q: { type: 'string' } } } }
  const before = structuredClone(schema)
  app.get('/guarded', { preHandler: app.jwtRequired, schema }, ok)
  app.get('/open', { schema }, ok)
  await app.ready()
  const { paths } = app.swagger() as Json
  // JSON: Fastify marks the schemas it has visited with a symbol of its own.
  t.same(JSON.parse(JSON.stringify(schema)), before, 'the object the routes were given')
  t.same(paths['/guarded'].get.security, [{ bearerAuth: [] }])
  t.notOk('security' in paths['/open'].get)
  t.match(paths['/open'].get, { summary: 'shared', parameters: [{ in: 'query', name: 'q' }] })
})

t.test('the route\'s validation and serialization work as declared', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.post('/items', {
    preHandler: app.jwtRequired,
    schema: {
      body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { name: { type: 'string' } } } }
    }
  }, async request => ({ ...(request.body as object), secret: 'never serialized' }))
  await app.ready()
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const invalid = await app.inject({ method: 'POST', url: '/items', headers: bearer(token), payload: {} })
  t.equal(invalid.statusCode, 400, 'the body schema is still checked')
  const valid = await app.inject({ method: 'POST', url: '/items', headers: bearer(token), payload: { name: 'x' } })
  t.same(valid.json(), { name: 'x' }, 'the response schema still filters the answer')
  t.equal((await app.inject({ method: 'POST', url: '/items', payload: { name: 'x' } })).statusCode, 401)
})

t.test('without @fastify/swagger, the routes keep their schemas as declared', async t => {
  const app = await buildApp(t)
  const schemas: Array<FastifySchema | undefined> = []
  app.addHook('onRoute', routeOptions => { schemas.push(routeOptions.schema) })
  const schema = { summary: 'mine' }
  app.get('/none', { preHandler: app.jwtRequired }, ok)
  app.get('/given', { preHandler: app.jwtRequired, schema }, ok)
  await app.ready()
  t.equal(schemas[0], undefined, 'no schema is made up')
  t.equal(schemas[2], schema, 'the very object given')
  t.same(Object.keys(schema), ['summary'], 'with nothing added')
})

t.test('routes declared before @fastify/swagger are in no document and keep their schemas', async t => {
  const app = await buildApp(t)
  const schemas: Array<FastifySchema | undefined> = []
  app.addHook('onRoute', routeOptions => { schemas.push(routeOptions.schema) })
  app.get('/early', { preHandler: app.jwtRequired }, ok)
  await app.register(fastifySwagger, OPENAPI)
  app.get('/late', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const { paths } = app.swagger() as Json
  t.same(Object.keys(paths), ['/late'])
  t.equal(schemas[0], undefined)
})
