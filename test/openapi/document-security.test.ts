// Securing a built document, on documents written by hand: the changes are
// new objects (the document itself is never written to), every marker goes,
// and the parts a document made by @fastify/swagger always has (paths, path
// items, responses, components) may be missing or be something else after
// an app's transformObject, and are then skipped or made.
import t from 'tap'
import { resolveConfig } from '../../lib/config'
import type { FastifyJwtAuthOptions } from '../../lib/options'
import { secureDocument } from '../../lib/openapi/document-security'
import { MARKER, routeMarker, type OperationMarker } from '../../lib/openapi/route-marker'
import type { MarkedRoute } from '../../lib/openapi/route-records'
import { createSecuritySchemes } from '../../lib/openapi/security-schemes'
import { SECRET } from '../helpers/app'

type Json = Record<string, any>

function schemesOf (options: FastifyJwtAuthOptions = {}) {
  return createSecuritySchemes(resolveConfig({ secretKey: SECRET, ...options }, {}))
}

const REQUIRED = { requirement: 'access', allScopes: [], anyScopes: [] } as const
const guarded = routeMarker(schemesOf(), REQUIRED, ['GET'], undefined) as OperationMarker
const declared = routeMarker(schemesOf(), undefined, ['GET'], [{ bearerAuth: [] }]) as OperationMarker
const optional = routeMarker(schemesOf(), { ...REQUIRED, requirement: 'optional' }, ['GET', 'HEAD'], undefined) as OperationMarker

function routesOf (...routes: MarkedRoute[]): Map<number, MarkedRoute> {
  return new Map(routes.map((route, number) => [number, route]))
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member)
    Object.freeze(value)
  }
  return value
}

t.test('a document without paths or markers gives no changes', async t => {
  for (const document of [{ openapi: '3.0.3' }, { openapi: '3.0.3', paths: [] }, { openapi: '3.0.3', paths: { '/a': null, '/b': 'text', '/c': { get: {} } } }]) {
    t.equal(secureDocument(document, routesOf({ marker: guarded })), undefined, JSON.stringify(document))
  }
})

t.test('the changes are new objects: the document, even frozen, is not written to', async t => {
  const document = deepFreeze({
    openapi: '3.0.3',
    info: { title: 'frozen' },
    paths: {
      '/a': { summary: 'A', parameters: [], servers: null, get: { [MARKER]: 0, responses: {} } },
      '/b': { get: { responses: {} } }
    }
  })
  const changes = secureDocument(document, routesOf({ marker: guarded }))
  t.same(Object.keys(changes?.members ?? {}), ['paths', 'components'], 'only the members that change')
  const paths = changes?.members.paths as Json
  t.match(paths['/a'], { summary: 'A', parameters: [], servers: null, get: { security: [{ bearerAuth: [] }] } },
    'what else the path item holds stays')
  t.notOk(MARKER in paths['/a'].get)
  t.equal(paths['/b'], document.paths['/b'], 'a path item without markers is not copied')
  t.same(document.paths['/a'].get, { [MARKER]: 0, responses: {} }, 'the original operation is as it was')
})

t.test('an operation without responses gets them; a document without components gets them', async t => {
  const changes = secureDocument({ openapi: '3.0.3', paths: { '/a': { get: { [MARKER]: 0 } } } }, routesOf({ marker: guarded }))
  const members = changes?.members as Json
  t.same(Object.keys(members.paths['/a'].get.responses), ['401'])
  t.same(Object.keys(members.components), ['securitySchemes', 'schemas'])
  t.same(Object.keys(members.components.schemas), ['AuthJwtError'])
})

t.test('nothing to add: the components are not among the changes', async t => {
  const components = { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } }
  const changes = secureDocument({ openapi: '3.0.3', components, paths: { '/a': { get: { [MARKER]: 0, responses: {} } } } },
    routesOf({ marker: declared }))
  t.same(Object.keys(changes?.members ?? {}), ['paths'], 'the app\'s scheme was there already')
  t.same((changes?.members as Json).paths['/a'].get, { responses: {}, security: [{ bearerAuth: [] }] })

  const swagger2 = secureDocument({ swagger: '2.0', securityDefinitions: { bearerAuth: {} }, paths: { '/a': { get: { [MARKER]: 0 } } } },
    routesOf({ marker: declared }))
  t.same(Object.keys(swagger2?.members ?? {}), ['paths'], 'Swagger 2: no definitions added either')
})

t.test('a marker of no route of the build is removed, and nothing else is done', async t => {
  const operations = { get: { [MARKER]: 7, responses: {} }, put: { [MARKER]: 'text' }, post: { [MARKER]: 0 } }
  const changes = secureDocument({ openapi: '3.0.3', paths: { '/a': operations } }, routesOf({ marker: guarded }))
  const { get, put, post } = (changes?.members as Json).paths['/a']
  t.same([get, put], [{ responses: {} }, {}])
  t.same(post.security, [{ bearerAuth: [] }], 'the route of the build is secured')
})

t.test('OpenAPI 3.2: the additional operations are copied before they are written', async t => {
  const additionalOperations = deepFreeze({ PROPFIND: { [MARKER]: 0 }, COPY: { responses: {} } })
  const changes = secureDocument({ openapi: '3.2.0', paths: { '/dav': { additionalOperations } } }, routesOf({ marker: guarded }))
  const secured = (changes?.members as Json).paths['/dav'].additionalOperations
  t.same(secured.PROPFIND.security, [{ bearerAuth: [] }])
  t.equal(secured.COPY, additionalOperations.COPY)
})

t.test('an unmarked HEAD operation is secured by the guarded HEAD route of its GET, and only by it', async t => {
  const document = (head: Json) => ({ openapi: '3.0.3', paths: { '/a': { get: { [MARKER]: 0 }, head } } })
  let changes = secureDocument(document({ operationId: 'a-head' }), routesOf({ marker: guarded, head: optional }))
  t.same((changes?.members as Json).paths['/a'].head.security, [{}, { bearerAuth: [] }], 'the HEAD route\'s own guard')
  changes = secureDocument(document({ operationId: 'a-head' }), routesOf({ marker: guarded }))
  t.same((changes?.members as Json).paths['/a'].head, { operationId: 'a-head' }, 'no guarded HEAD route: left as it is')
  changes = secureDocument(document({ [MARKER]: 1 }), routesOf({ marker: guarded, head: guarded }, { marker: optional }))
  t.same((changes?.members as Json).paths['/a'].head.security, [{}, { bearerAuth: [] }], 'a marked HEAD operation has its own')
  changes = secureDocument({ openapi: '3.0.3', paths: { '/a': { get: { operationId: 'a' }, head: {}, post: { [MARKER]: 0 } } } },
    routesOf({ marker: guarded, head: optional }))
  t.same((changes?.members as Json).paths['/a'].head, {}, 'an unmarked GET says nothing of its HEAD')
})

t.test('a security the operation has already wins, with the plugin\'s schemes it names', async t => {
  const swagger2 = routeMarker(schemesOf({ tokenLocation: ['cookies', 'query'] }), REQUIRED, ['GET'], undefined) as OperationMarker
  const changes = secureDocument({
    swagger: '2.0',
    paths: {
      '/kept': { get: { [MARKER]: 0, security: [{ queryAuth: ['x'] }, { cookieAuth: [] }] } },
      '/emptied': { get: { [MARKER]: 0, security: [{ cookieAuth: [] }] } },
      '/odd': { get: { [MARKER]: 0, security: 'all' } },
      '/none': { get: { [MARKER]: 0, security: [] } }
    }
  }, routesOf({ marker: swagger2 }))
  const members = changes?.members as Json
  t.same(members.paths['/kept'].get.security, [{ queryAuth: ['x'] }], 'less what Swagger 2 cannot describe')
  t.notOk('security' in members.paths['/emptied'].get, 'nothing left: no requirement')
  t.equal(members.paths['/odd'].get.security, 'all', 'what is not a list is kept as it is')
  t.same(members.paths['/none'].get.security, [], 'an empty list stays empty')
  t.same(Object.keys(members.securityDefinitions), ['queryAuth'])
})

t.test('the requirement names no scheme of the document: it is reported', async t => {
  const declaration = [{ bearerAuth: [] }, { typo: [], bearerAuth: 'odd scopes' }, 'odd']
  const own = routeMarker(schemesOf(), undefined, ['GET'], declaration) as OperationMarker
  const changes = secureDocument({ openapi: '3.0.3', paths: { '/a': { get: { [MARKER]: 0 } } } }, routesOf({ marker: own }))
  t.same((changes?.members as Json).paths['/a'].get.security, declaration, 'kept as declared')
  t.same(changes?.undefinedSchemes, ['typo'])
})

t.test('no scheme describes where the token goes: the description says it', async t => {
  const cookies = schemesOf({ tokenLocation: ['cookies', 'json'], accessCookieKey: 'at', jsonKey: 'jwt' })
  const required = routeMarker(cookies, REQUIRED, ['GET'], undefined) as OperationMarker
  const refresh = routeMarker(cookies, { ...REQUIRED, requirement: 'refresh' }, ['GET'], undefined) as OperationMarker
  const changes = secureDocument({
    swagger: '2.0',
    security: [{ apiKey: [] }],
    paths: {
      '/required': { get: { [MARKER]: 0, description: 'Mine.' } },
      '/empty': { get: { [MARKER]: 0, description: '' } },
      '/refresh': { get: { [MARKER]: 1 } }
    }
  }, routesOf({ marker: required }, { marker: refresh }))
  const { paths } = changes?.members as Json
  t.equal(paths['/required'].get.description,
    'Mine.\n\nNeeds the access token in the `at` cookie or the `jwt` field of the JSON body, which no security scheme of this document describes.')
  t.notOk('security' in paths['/required'].get, 'no requirement: a required token is not made optional')
  t.match(paths['/empty'].get.description, /^Needs the access token/)
  t.match(paths['/refresh'].get.description, /^Needs the refresh token in the `refresh_token_cookie` cookie or the `refresh_token` field/)
})
