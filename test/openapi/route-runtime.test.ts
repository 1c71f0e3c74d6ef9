// Documenting the routes changes nothing of how they run. With and without
// @fastify/swagger, and before and after its document is built, a guarded
// route validates, serializes and answers alike, `request.routeOptions.schema`
// is the very object the route was given, and the onRoute hooks after the
// plugin's see that object, whatever its shape: a class instance with
// getters, an object inheriting its members, non-enumerable members, one
// filled in after the route is declared.
import t, { type Test } from 'tap'
import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { MARKER } from '../../lib/openapi/route-marker'
import { bearer, buildApp } from '../helpers/app'

type Json = Record<string, any>

const body = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 3 } }, additionalProperties: false }
const response = { 200: { type: 'object', properties: { name: { type: 'string' } } } }

class RouteSchema {
  get body (): object { return body }
  get response (): object { return response }
}

/** The schema shapes, made anew for each app (one is filled in after its route is declared). */
function schemaShapes (): Record<string, { schema: object, fill?: (schema: Json) => void }> {
  const hidden = {}
  Object.defineProperty(hidden, 'body', { value: body, enumerable: false })
  Object.defineProperty(hidden, 'response', { value: response, enumerable: false })
  return {
    plain: { schema: { body, response } },
    class: { schema: new RouteSchema() },
    inherited: { schema: Object.create({ body, response }) },
    'non-enumerable': { schema: hidden },
    'filled in later': { schema: {}, fill: schema => Object.assign(schema, { body, response }) }
  }
}

interface Observed {
  app: FastifyInstance
  schemas: Record<string, object>
  /** The schema each later onRoute hook was given, by URL. */
  hookSchemas: Map<string, unknown>
  /** `request.routeOptions.schema` in each handler, by URL. */
  requestSchemas: Map<string, unknown>
}

async function appWithShapes (t: Test, withSwagger: boolean): Promise<Observed> {
  const app = await buildApp(t, {}, withSwagger ? { before: app => app.register(fastifySwagger, { openapi: { openapi: '3.0.3' } }) } : {})
  const hookSchemas = new Map<string, unknown>()
  const requestSchemas = new Map<string, unknown>()
  app.addHook('onRoute', (routeOptions: RouteOptions) => { hookSchemas.set(routeOptions.url, routeOptions.schema) })
  const schemas: Record<string, object> = {}
  for (const [name, { schema, fill }] of Object.entries(schemaShapes())) {
    const url = `/${name.replaceAll(' ', '-')}`
    schemas[url] = schema
    app.post(url, { preHandler: app.jwtRequired, schema }, async (request: FastifyRequest) => {
      requestSchemas.set(url, request.routeOptions.schema)
      return { ...(request.body as object), passwordHash: 'never serialized' }
    })
    fill?.(schema as Json)
  }
  await app.ready()
  return { app, schemas, hookSchemas, requestSchemas }
}

async function answers (app: FastifyInstance, urls: string[]): Promise<string[]> {
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const results: string[] = []
  for (const url of urls) {
    for (const payload of [{ name: 'far too long' }, { name: 'abc', extra: 1 }, { name: 'abc' }]) {
      const response = await app.inject({ method: 'POST', url, headers: bearer(token), payload })
      results.push(`${url} ${JSON.stringify(payload)}: ${response.statusCode} ${response.body}`)
    }
    const anonymous = await app.inject({ method: 'POST', url, payload: { name: 'abc' } })
    results.push(`${url} without a token: ${anonymous.statusCode} ${anonymous.json().code as string}`)
  }
  return results
}

t.test('the routes answer alike with and without @fastify/swagger, before and after the document is built', async t => {
  const without = await appWithShapes(t, false)
  const urls = Object.keys(without.schemas)
  const expected = await answers(without.app, urls)
  // Fastify's validator removes the additional member of the second payload.
  t.match(expected, urls.flatMap(() => [/: 400 .*must NOT have more than 3/, /: 200 \{"name":"abc"\}$/, /: 200 \{"name":"abc"\}$/,
    /401 FST_JWT_AUTH_MISSING_TOKEN$/]), 'the control: validation, response filtering and the guard at work')

  const withSwagger = await appWithShapes(t, true)
  t.same(await answers(withSwagger.app, urls), expected, 'before the document is built')
  const document = withSwagger.app.swagger() as Json
  t.same(await answers(withSwagger.app, urls), expected, 'after it is built')

  for (const url of urls) {
    const operation = document.paths[url].post
    t.same(operation.security, [{ bearerAuth: [] }], `${url}: documented as guarded`)
    t.match(operation.requestBody.content['application/json'].schema, { required: ['name'] }, `${url}: its body is documented`)
    t.match(operation.responses, { 200: {}, 401: {} }, `${url}: its answers are documented`)
  }
})

t.test('request.routeOptions.schema and the later onRoute hooks get the route\'s own schema object', async t => {
  for (const withSwagger of [false, true]) {
    const { app, schemas, hookSchemas, requestSchemas } = await appWithShapes(t, withSwagger)
    if (withSwagger) app.swagger()
    await answers(app, Object.keys(schemas))
    for (const [url, schema] of Object.entries(schemas)) {
      const what = `${withSwagger ? 'with' : 'without'} @fastify/swagger, ${url}`
      t.equal(requestSchemas.get(url), schema, `${what}: request.routeOptions.schema`)
      t.equal(hookSchemas.get(url), schema, `${what}: a later onRoute hook`)
      t.notOk(Reflect.ownKeys(schema).includes(MARKER), `${what}: nothing was added to it`)
    }
  }
})

t.test('a route\'s own security stays in its schema, where a hook may enforce it', async t => {
  const results: string[][] = []
  for (const withSwagger of [false, true]) {
    const app = await buildApp(t, {}, withSwagger ? { before: app => app.register(fastifySwagger, { openapi: { openapi: '3.0.3' } }) } : {})
    const schema = { security: [{ bearerAuth: ['users:delete'] }] }
    await app.register(async api => {
      api.addHook('preHandler', api.jwtRequired)
      // The scopes a route needs, read from its requirement.
      api.addHook('preHandler', async request => {
        const security = (request.routeOptions.schema as { security?: Array<Record<string, string[]>> }).security ?? []
        const claim = request.authJwt.getRawJwt()?.scope
        const held = Array.isArray(claim) ? claim : String(claim ?? '').split(' ')
        const missing = security.flatMap(requirement => requirement.bearerAuth ?? []).filter(scope => !held.includes(scope))
        if (missing.length > 0) throw Object.assign(new Error(`needs ${missing.join(' ')}`), { statusCode: 403 })
      })
      api.delete('/users/:id', { schema }, async () => ({ deleted: true }))
    })
    await app.ready()
    if (withSwagger) t.same((app.swagger() as Json).paths['/users/{id}'].delete.security, [{ bearerAuth: ['users:delete'] }], 'documented')
    // JSON: Fastify marks the schemas it has visited with a symbol of its own.
    t.same(JSON.parse(JSON.stringify(schema)), { security: [{ bearerAuth: ['users:delete'] }] }, 'the schema keeps its security')
    const reader = app.authJwt.createAccessToken({ subject: 'alice', scopes: ['users:read'] })
    const admin = app.authJwt.createAccessToken({ subject: 'bob', scopes: ['users:delete'] })
    results.push([
      (await app.inject({ method: 'DELETE', url: '/users/1', headers: bearer(reader) })).body,
      (await app.inject({ method: 'DELETE', url: '/users/1', headers: bearer(admin) })).body,
      String((await app.inject({ method: 'DELETE', url: '/users/1' })).statusCode)
    ])
  }
  t.match(results[0], [/"statusCode":403.*needs users:delete/, '{"deleted":true}', '401'], 'the control')
  t.same(results[1], results[0], 'with @fastify/swagger alike')
})

t.test('the route options get their schema back after each build, even one that throws', async t => {
  let failing = true
  const app = await buildApp(t, {}, {
    before: app => app.register(fastifySwagger, {
      openapi: { openapi: '3.0.3' },
      transform: ({ schema, url }) => {
        if (failing) throw new Error('transform failed')
        return { schema, url }
      }
    })
  })
  const routeOptions: RouteOptions[] = []
  app.addHook('onRoute', options => { routeOptions.push(options) })
  const schema = { summary: 'mine' }
  app.get('/with-schema', { preHandler: app.jwtRequired, schema }, async () => 'ok')
  app.get('/without-schema', { preHandler: app.jwtRequired }, async () => 'ok')
  await app.ready()
  const [withSchema, , withoutSchema] = routeOptions
  t.throws(() => app.swagger(), /transform failed/)
  t.equal(withSchema.schema, schema, 'the schema given')
  t.notOk(Object.hasOwn(withoutSchema, 'schema'), 'none where there was none')
  failing = false
  t.same((app.swagger() as Json).paths['/with-schema'].get.security, [{ bearerAuth: [] }], 'a later build secures the document')
  t.equal(withSchema.schema, schema)
  t.notOk(Object.hasOwn(withoutSchema, 'schema'))
})
