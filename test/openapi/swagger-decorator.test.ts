// The `swagger` decorator, wrapped where @fastify/swagger defined it: the
// object and the YAML text it returns are the secured document, computed
// once; documents without guarded routes, static documents and decorators
// that are not @fastify/swagger's are left as they are.
import t from 'tap'
import { createRequire } from 'node:module'
import fastifySwagger from '@fastify/swagger'
import { buildApp } from '../helpers/app'
import { MARKER } from '../../lib/openapi/route-marker'
import { yamlStringify } from '../../lib/openapi/yaml-text'

type Json = Record<string, any>

const OPENAPI = { openapi: { openapi: '3.0.3' } }
const yaml = createRequire(require.resolve('@fastify/swagger'))('yaml') as { parse: (text: string) => unknown }
const ok = async () => ({ ok: true })

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

t.test('the YAML text of a document without guarded routes is @fastify/swagger\'s own', async t => {
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
  t.same(app.swagger(), document)
  t.same(yaml.parse(app.swagger({ yaml: true })), document)
})

t.test('the decorator is wrapped once, however many guarded routes there are', async t => {
  const app = await buildApp(t, {}, { before: app => app.register(fastifySwagger, OPENAPI) })
  const original = app.swagger
  app.get('/open', ok)
  t.equal(app.swagger, original, 'an open route leaves it')
  app.get('/one', { preHandler: app.jwtRequired }, ok)
  const wrapped = app.swagger
  t.not(wrapped, original, 'the first guarded route wraps it')
  app.get('/two', { preHandler: app.jwtRequired }, ok)
  t.equal(app.swagger, wrapped, 'the second one does not wrap it again')
  await app.ready()
  const { paths } = app.swagger() as Json
  t.same([paths['/one'].get.security, paths['/two'].get.security], [[{ bearerAuth: [] }], [{ bearerAuth: [] }]])
})

t.test('a `swagger` decorator that is not a plain function is left alone, and so are the routes', async t => {
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

t.test('what another `swagger` decorator returns is passed on as it is', async t => {
  const app = await buildApp(t)
  app.decorate('swagger', ((options?: { yaml?: boolean }) => options?.yaml === true ? 'yaml text' : 'a string') as never)
  app.get('/required', { preHandler: app.jwtRequired }, ok)
  await app.ready()
  t.equal((app.swagger as () => unknown)(), 'a string')
  t.equal(app.swagger({ yaml: true }), 'yaml text')
})
