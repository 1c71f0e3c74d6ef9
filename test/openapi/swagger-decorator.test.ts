// The `swagger` decorator, replaced where @fastify/swagger defined it: the
// object and the YAML text it returns are the secured document, computed
// once; it is replaced as soon as the plugin sees it, and only when it is
// @fastify/swagger's; a document that cannot be written to is secured in a
// copy; a failed build is retried and explained.
import t from 'tap'
import { createRequire } from 'node:module'
import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { MARKER } from '../../lib/openapi/route-marker'
import { OPENAPI_WARNING_CODE } from '../../lib/openapi/openapi-warning'
import { wrapSwaggerDecorator } from '../../lib/openapi/swagger-decorator'
import { yamlStringify } from '../../lib/openapi/yaml-text'
import { buildApp } from '../helpers/app'
import { warningsDuring } from '../helpers/warnings'

type Json = Record<string, any>

const OPENAPI = { openapi: { openapi: '3.0.3' } }
const yaml = createRequire(require.resolve('@fastify/swagger'))('yaml') as { parse: (text: string) => unknown }
const ok = async () => ({ ok: true })

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member)
    Object.freeze(value)
  }
  return value
}

t.test('the YAML text is the secured document, written out in full', async t => {
  const app = await buildApp(t, { tokenLocation: ['headers', 'cookies'] }, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.route({ method: ['GET', 'POST'], url: '/both', preHandler: app.jwtRequired, handler: ok })
  await app.ready()
  const text = app.swagger({ yaml: true })
  t.type(text, 'string')
  t.same(yaml.parse(text), app.swagger(), 'the same document as the object')
  t.notOk(text.includes(MARKER), 'no marker')
  t.notMatch(text, /[&*]a\d/, 'no YAML anchors or aliases for the parts the methods share')
  t.match(text, /^openapi: 3\.0\.3\n/, 'YAML, as @fastify/swagger writes it')
  t.equal(app.swagger({ yaml: true }), text, 'the same text again')
})

t.test('the YAML text of a document without guarded routes is that document', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  app.get('/open', ok)
  await app.ready()
  const text = app.swagger({ yaml: true })
  t.same(yaml.parse(text), app.swagger())
  t.notOk(text.includes('AuthJwtError'))
})

t.test('without the yaml package, the text is JSON, which is YAML too', async t => {
  const document = { openapi: '3.0.3', paths: { '/a': { get: { security: [{ bearerAuth: [] }] } } } }
  const text = yamlStringify(['/nowhere'])(document)
  t.same(JSON.parse(text), document)
  t.same(yaml.parse(text), document)
  t.same(yaml.parse(yamlStringify([__dirname])(document)), document, 'found from here: the real YAML writer')
  t.notOk(yamlStringify([__dirname])(document).startsWith('{'))
})

t.test('a static document is served as given', async t => {
  const document = {
    openapi: '3.0.3',
    info: { title: 'static', version: '1.0.0' },
    paths: { '/required': { get: { responses: { 200: { description: 'OK' } } } } }
  }
  const app = await buildApp(t, {}, {
    before: app => app.register(fastifySwagger, { mode: 'static', specification: { document } })
  })
  app.get('/required', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  t.equal(app.swagger(), document)
  t.same(app.swagger(), { ...document, paths: { '/required': { get: { responses: { 200: { description: 'OK' } } } } } })
  t.same(yaml.parse(app.swagger({ yaml: true })), document)
})

t.test('the decorator is replaced when the plugin is registered, or at the next route declared, once', async t => {
  let original: unknown
  const first = await buildApp(t, {}, {
    before: async app => {
      await app.register(fastifySwagger, OPENAPI)
      original = app.swagger
    }
  })
  t.not(first.swagger, original, '@fastify/swagger first: replaced when the plugin is registered')
  const replaced = first.swagger
  first.get('/one', { preHandler: first.jwtRequired }, ok)
  wrapSwaggerDecorator(first)
  t.equal(first.swagger, replaced, 'not replaced again')

  const second = await buildApp(t)
  await second.register(fastifySwagger, OPENAPI)
  const own = second.swagger
  second.get('/open', ok)
  t.not(second.swagger, own, '@fastify/swagger second: replaced at the next route, guarded or not')
  second.get('/required', { preHandler: second.jwtRequired }, ok)
  await second.ready()
  t.same((second.swagger() as Json).paths['/required'].get.security, [{ bearerAuth: [] }])
})

t.test('an app without routes gets @fastify/swagger\'s document', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  await app.ready()
  t.same((app.swagger() as Json).paths, {})
})

t.test('a docs plugin keeping the decorator serves the secured document', async t => {
  const docs = fp(async (fastify: FastifyInstance) => {
    const getDocument = fastify.swagger.bind(fastify)
    fastify.get('/openapi.json', { schema: { hide: true } }, async () => getDocument())
  })
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  await app.register(docs)
  app.get('/me', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const served = await app.inject({ url: '/openapi.json' })
  t.notOk(served.body.includes(MARKER))
  t.same(served.json().paths['/me'].get.security, [{ bearerAuth: [] }])
})

t.test('@fastify/swagger\'s own function, kept from before the plugin, never serves a marker', async t => {
  let own: (() => unknown) | undefined
  const app = await buildApp(t, {}, {
    before: async app => {
      await app.register(fastifySwagger, OPENAPI)
      own = app.swagger.bind(app)
    }
  })
  app.get('/me', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const document = own?.() as Json
  t.notOk(JSON.stringify(document).includes(MARKER), 'called first: the document unsecured, as @fastify/swagger built it')
  t.notOk('security' in document.paths['/me'].get)
  t.equal(app.swagger(), document, 'the one @fastify/swagger cached, which the plugin cannot rebuild')
})

t.test('a `swagger` decorator that is not @fastify/swagger\'s is left alone, and so are the routes', async t => {
  const foreign = await buildApp(t)
  let calls = 0
  const decorator = (...args: unknown[]) => ({ call: ++calls, args })
  foreign.decorate('swagger', decorator as never)
  foreign.get('/required', { preHandler: foreign.jwtRequired }, ok)
  await foreign.ready()
  t.equal(foreign.swagger, decorator, 'a function of another plugin')

  const getter = await buildApp(t)
  // Typed loosely: @fastify/swagger's types say what its own decorator is.
  getter.decorate('swagger', { getter: () => () => ({}) } as never)
  const schemas: unknown[] = []
  getter.addHook('onRoute', routeOptions => { schemas.push(routeOptions.schema) })
  getter.get('/required', { preHandler: getter.jwtRequired }, ok)
  t.same(schemas, [undefined, undefined], 'a getter')

  const fixed = await buildApp(t)
  const fixedSwagger = () => ({})
  Object.defineProperty(fixed, 'swagger', { value: fixedSwagger, writable: false, enumerable: true })
  fixed.get('/required', { preHandler: fixed.jwtRequired }, ok)
  t.equal(fixed.swagger, fixedSwagger, 'a read-only one')

  const value = await buildApp(t)
  value.decorate('swagger', 'not a function' as never)
  value.get('/required', { preHandler: value.jwtRequired }, ok)
  t.equal(value.swagger, 'not a function', 'a value')
})

t.test('a `swagger` decorator beside @fastify/swagger registered under another name gets every argument, once', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, { ...OPENAPI, decorator: 'apiDocument' }) })
  const calls: unknown[][] = []
  app.decorate('swagger', ((...args: unknown[]) => { calls.push(args); return 'text' }) as never)
  app.get('/required', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const call = app.swagger as unknown as (...args: unknown[]) => unknown
  t.equal(call({ a: 1 }, 'xml'), 'text')
  t.equal(call({ yaml: true }), 'text')
  t.same(calls, [[{ a: 1 }, 'xml'], [{ yaml: false }]], 'called once per call, with every argument (the object asked for)')
})

t.test('a second @fastify/swagger under its own decorator gets its plain document, the route\'s own security in it', async t => {
  const bearerAuth = { type: 'http', scheme: 'bearer' } as const
  const app = await buildApp(t, {}, {
    before: async app => {
      await app.register(fastifySwagger, OPENAPI)
      await app.register(fastifySwagger, { openapi: { openapi: '3.0.3', components: { securitySchemes: { bearerAuth } } }, decorator: 'internalSwagger' })
    }
  })
  app.get('/me', { preHandler: app.jwtRequired }, ok)
  await app.register(async admin => {
    admin.addHook('preHandler', admin.jwtRequired)
    admin.get('/stats', { schema: { security: [{ bearerAuth: [] }] } }, ok)
  })
  await app.ready()
  const internal = (app as unknown as { internalSwagger: () => Json }).internalSwagger()
  t.notOk(JSON.stringify(internal).includes(MARKER), 'no marker')
  t.notOk('security' in internal.paths['/me'].get, 'not secured')
  t.same(internal.paths['/stats'].get.security, [{ bearerAuth: [] }], 'the route\'s own security, as declared')
  const { paths } = app.swagger() as Json
  t.same([paths['/me'].get.security, paths['/stats'].get.security], [[{ bearerAuth: [] }], [{ bearerAuth: [] }]])
})

t.test('a document that cannot be written to is secured in a copy, and the copy is served from then on', async t => {
  const app = await buildApp(t, {}, {
    before: app => app.register(fastifySwagger, {
      ...OPENAPI,
      transformObject: ({ openapiObject }: { openapiObject: object }) => deepFreeze(openapiObject)
    } as never)
  })
  app.get('/me', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  const document = app.swagger() as Json
  t.same(document.paths['/me'].get.security, [{ bearerAuth: [] }])
  t.notOk(JSON.stringify(document).includes(MARKER))
  t.equal(app.swagger(), document, 'the same copy again')
  t.match(yaml.parse(app.swagger({ yaml: true })), { paths: { '/me': { get: { security: [{ bearerAuth: [] }] } } } })

  const swagger2 = await buildApp(t, {}, {
    before: app => app.register(fastifySwagger, {
      // Swagger 2 keeps its security definitions at the top: a document that takes no new member.
      transformObject: ({ swaggerObject }: { swaggerObject: object }) => Object.preventExtensions(swaggerObject)
    } as never)
  })
  swagger2.get('/me', { preHandler: swagger2.jwtRequired }, ok)
  await swagger2.ready()
  const secured = swagger2.swagger() as Json
  t.same(secured.paths['/me'].get.security, [{ bearerAuth: [] }])
  t.match(secured.securityDefinitions, { bearerAuth: { in: 'header' } })
})

t.test('a build that fails is retried; one failing on a HEAD route\'s own security is explained once', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, { ...OPENAPI, exposeHeadRoutes: true }) })
  await app.register(async admin => {
    admin.addHook('preHandler', admin.jwtRequired)
    admin.get('/stats', { schema: { operationId: 'getStats', security: [{ bearerAuth: [] }] } }, ok)
  })
  await app.ready()
  const warnings = await warningsDuring(() => {
    t.throws(() => app.swagger(), /bearerAuth/, '@fastify/swagger fails on the scheme it is not given')
    t.throws(() => app.swagger({ yaml: true }), /bearerAuth/, 'and again')
  })
  t.equal(warnings.length, 1, 'one warning')
  t.equal(warnings[0].code, OPENAPI_WARNING_CODE)
  t.match(warnings[0].message, /could not build its document \(TypeError: .*bearerAuth.*\)\. HEAD \/stats has an operationId.*define those schemes in @fastify\/swagger's options/)
})
