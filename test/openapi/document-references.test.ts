// Whatever the configuration, document version and registration order, the
// document only names security schemes it defines, every reference in it
// leads somewhere, and no marker is left in it.
import t, { type Test } from 'tap'
import fastifySwagger, { type SwaggerOptions } from '@fastify/swagger'
import type { preHandlerHookHandler } from 'fastify'
import { jwtRequired, type FastifyJwtAuthOptions } from '../../index'
import { resolveConfig } from '../../lib/config'
import { describeGuard } from '../../lib/guard-registry'
import { createSecuritySchemes } from '../../lib/openapi/security-schemes'
import { MARKER } from '../../lib/openapi/route-marker'
import { buildApp, SECRET } from '../helpers/app'

type Json = Record<string, any>

const CONFIGURATIONS: FastifyJwtAuthOptions[] = [
  {},
  { tokenLocation: ['headers', 'cookies', 'query', 'json'] },
  { tokenLocation: ['cookies'] },
  { tokenLocation: ['cookies', 'headers'], cookieCsrfProtect: false },
  { headerName: 'X-Token', headerType: '' },
  { headerType: 'JWT', tokenLocation: ['query', 'headers'] },
  { tokenLocation: ['json'] }
]

const VERSIONS: Record<string, SwaggerOptions> = {
  'OpenAPI 3.0': { openapi: { openapi: '3.0.3' }, exposeHeadRoutes: true },
  'OpenAPI 3.1': { openapi: { openapi: '3.1.0' } },
  'Swagger 2': { exposeHeadRoutes: true }
}

const scopes = describeGuard<preHandlerHookHandler>((_request, _reply, done) => done(),
  { requirement: 'access', scopes: ['read'], anyScope: false })
const ok = async () => ({ ok: true })

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

/** Every problem found in the document: an undefined scheme, a dangling reference, a marker. */
function problemsOf (document: Json): string[] {
  const problems: string[] = []
  const schemes: Json = document.openapi === undefined ? document.securityDefinitions ?? {} : document.components?.securitySchemes ?? {}
  const checkSecurity = (where: string, security: unknown) => {
    if (security === undefined) return
    if (!Array.isArray(security)) return problems.push(`${where}: security is not a list`)
    for (const requirement of security) {
      for (const name of Object.keys(requirement)) {
        if (!Object.hasOwn(schemes, name)) problems.push(`${where}: scheme ${name} is not defined`)
      }
    }
  }
  checkSecurity('document', document.security)
  for (const [path, pathItem] of Object.entries(document.paths as Json)) {
    for (const [method, operation] of Object.entries(pathItem as Json)) {
      if (METHODS.has(method)) checkSecurity(`${method.toUpperCase()} ${path}`, operation.security)
    }
  }
  const visit = (value: unknown, where: string): void => {
    if (Array.isArray(value)) return value.forEach((item, index) => visit(item, `${where}/${index}`))
    if (typeof value !== 'object' || value === null) return
    for (const [key, child] of Object.entries(value)) {
      if (key === MARKER) problems.push(`${where}: a marker`)
      if (key === '$ref' && typeof child === 'string' && resolve(document, child) === undefined) {
        problems.push(`${where}: ${child} leads nowhere`)
      }
      visit(child, `${where}/${key}`)
    }
  }
  visit(document, '')
  return problems
}

function resolve (document: Json, reference: string): unknown {
  if (!reference.startsWith('#/')) return undefined
  return reference.slice(2).split('/').reduce<unknown>((node, part) =>
    (node as Json | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], document)
}

async function documentOf (t: Test, options: FastifyJwtAuthOptions, swaggerOptions: SwaggerOptions, swaggerFirst: boolean): Promise<Json> {
  const app = swaggerFirst
    ? await buildApp(t, options, { before: app => app.register(fastifySwagger, swaggerOptions) })
    : await buildApp(t, options)
  if (!swaggerFirst) await app.register(fastifySwagger, swaggerOptions)
  app.get('/required', { preHandler: app.jwtRequired, schema: { operationId: 'required' } }, ok)
  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/items/:id', preHandler: [app.jwtOptional, jwtRequired], handler: ok })
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, ok)
  app.put('/fresh', { onRequest: app.freshJwtRequired, preHandler: scopes }, ok)
  app.get('/optional', { preValidation: app.jwtOptional }, ok)
  // A route guarded where it cannot be seen names the first scheme this configuration has.
  const [declared] = Object.keys(createSecuritySchemes(resolveConfig({ secretKey: SECRET, ...options }, {})).forms)
  if (declared !== undefined) app.get('/declared', { schema: { security: [{ [declared]: [] }] } }, ok)
  app.get('/hidden', { preHandler: app.jwtRequired, schema: { hide: true } }, ok)
  app.get('/open', ok)
  await app.ready()
  return app.swagger() as Json
}

t.test('every configuration, version and order gives a document whose references all hold', async t => {
  for (const options of CONFIGURATIONS) {
    for (const [version, swaggerOptions] of Object.entries(VERSIONS)) {
      for (const swaggerFirst of [true, false]) {
        const what = `${JSON.stringify(options)}, ${version}, swagger ${swaggerFirst ? 'first' : 'second'}`
        const document = await documentOf(t, options, swaggerOptions, swaggerFirst)
        t.same(problemsOf(document), [], what)
        const required = document.paths['/required'].get
        t.match(required.responses, { 401: { description: /access token/ } }, `${what}: the 401`)
        t.match(document.paths['/fresh'].put.responses, { 403: { description: /all of read/ } }, `${what}: the 403`)
      }
    }
  }
})

t.test('the checker finds what it looks for', async t => {
  t.same(problemsOf({
    openapi: '3.0.3',
    security: [{ nowhere: [] }],
    components: { securitySchemes: { here: {} } },
    paths: {
      '/a': {
        get: { security: [{ here: [] }, { missing: [] }], [MARKER]: {}, responses: { 200: { schema: { $ref: '#/components/schemas/None' } } } },
        post: { security: 'all' },
        parameters: []
      }
    }
  }), [
    'document: scheme nowhere is not defined',
    'GET /a: scheme missing is not defined',
    'POST /a: security is not a list',
    '/paths//a/get: a marker',
    '/paths//a/get/responses/200/schema: #/components/schemas/None leads nowhere'
  ])
  t.same(problemsOf({ swagger: '2.0', paths: { '/a': { get: { security: [{ x: [] }], schema: { $ref: 'http://elsewhere' } } } } }), [
    'GET /a: scheme x is not defined',
    '/paths//a/get/schema: http://elsewhere leads nowhere'
  ])
  t.equal(resolve({ a: { 'b/c': { 'd~e': 1 } } }, '#/a/b~1c/d~0e'), 1, 'JSON pointer escapes')
})
