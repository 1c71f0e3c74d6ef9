// What @fastify/swagger-ui serves: the secured document as JSON and as YAML,
// without a marker, and the page that loads it.
import t from 'tap'
import { createRequire } from 'node:module'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import { MARKER } from '../../lib/openapi/route-marker'
import { buildApp } from '../helpers/app'

const yaml = createRequire(require.resolve('@fastify/swagger'))('yaml') as { parse: (text: string) => unknown }
const ok = async () => ({ ok: true })

for (const [version, swaggerOptions] of [['OpenAPI 3', { openapi: { openapi: '3.0.3' } }], ['Swagger 2', {}]] as const) {
  t.test(`${version}: /docs/json and /docs/yaml serve the secured document`, async t => {
    const app = await buildApp(t, { tokenLocation: ['headers', 'query'] }, {
      before: async app => {
        await app.register(fastifySwagger, swaggerOptions)
        await app.register(fastifySwaggerUi, { routePrefix: '/docs' })
      }
    })
    app.get('/required', { preHandler: app.jwtRequired }, ok)
    app.get('/optional', { preHandler: app.jwtOptional }, ok)
    await app.ready()

    const json = await app.inject({ url: '/docs/json' })
    t.equal(json.statusCode, 200)
    t.notOk(json.body.includes(MARKER), 'no marker in the JSON')
    const document = json.json()
    t.same(document.paths['/required'].get.security, [{ bearerAuth: [] }, { queryAuth: [] }])
    t.same(document.paths['/optional'].get.security, [{}, { bearerAuth: [] }, { queryAuth: [] }])
    t.same(document, JSON.parse(JSON.stringify(app.swagger())), 'the decorator\'s document')

    const text = await app.inject({ url: '/docs/yaml' })
    t.equal(text.statusCode, 200)
    t.notOk(text.body.includes(MARKER), 'no marker in the YAML')
    t.same(yaml.parse(text.body), document, 'the same document')

    const page = await app.inject({ url: '/docs' })
    t.equal(page.statusCode, 200, 'the page is served')
    t.match(page.body, /swagger-ui/)
    t.equal((await app.inject({ url: '/required' })).statusCode, 401, 'the guarded route is still guarded')
  })
}
