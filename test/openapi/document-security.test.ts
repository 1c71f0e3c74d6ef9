// Securing a document in place, on documents written by hand: the parts a
// document made by @fastify/swagger always has (paths, path items, responses,
// components) may be missing or be something else after an app's
// transformObject, and are then skipped or made.
import t from 'tap'
import { resolveConfig } from '../../lib/config'
import { secureDocument } from '../../lib/openapi/document-security'
import { MARKER, routeMarker } from '../../lib/openapi/route-marker'
import { createSecuritySchemes } from '../../lib/openapi/security-schemes'
import { SECRET } from '../helpers/app'

type Json = Record<string, any>

const schemes = createSecuritySchemes(resolveConfig({ secretKey: SECRET }, {}))
const guarded = routeMarker(schemes, { requirement: 'access', allScopes: [], anyScopes: [] }, ['GET'], undefined)
const declared = routeMarker(schemes, undefined, ['GET'], [{ bearerAuth: [] }])

t.test('a document without paths or markers is left as it is', async t => {
  for (const document of [{ openapi: '3.0.3' }, { openapi: '3.0.3', paths: [] }, { openapi: '3.0.3', paths: { '/a': null, '/b': 'text' } }]) {
    const before = structuredClone(document)
    t.equal(secureDocument(document), false, JSON.stringify(before))
    t.same(document, before)
  }
})

t.test('path items may hold things other than operations', async t => {
  const document: Json = {
    openapi: '3.0.3',
    paths: { '/a': { summary: 'A', parameters: [], servers: null, get: { [MARKER]: guarded, responses: {} } } }
  }
  t.equal(secureDocument(document), true)
  t.match(document.paths['/a'], { summary: 'A', parameters: [], servers: null, get: { security: [{ bearerAuth: [] }] } })
})

t.test('an operation without responses gets them; a document without components gets them', async t => {
  const document: Json = { openapi: '3.0.3', paths: { '/a': { get: { [MARKER]: guarded } } } }
  secureDocument(document)
  t.same(Object.keys(document.paths['/a'].get.responses), ['401'])
  t.same(Object.keys(document.components), ['securitySchemes', 'schemas'])
  t.same(Object.keys(document.components.schemas), ['AuthJwtError'])
})

t.test('nothing to add: the components stay the very objects they were', async t => {
  const components = { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } }
  const document: Json = { openapi: '3.0.3', components, paths: { '/a': { get: { [MARKER]: declared, responses: {} } } } }
  t.equal(secureDocument(document), true)
  t.same(document.paths['/a'].get, { responses: {}, security: [{ bearerAuth: [] }] })
  t.equal(document.components, components, 'the app\'s scheme was there already')

  const swagger2: Json = { swagger: '2.0', securityDefinitions: { bearerAuth: {} }, paths: { '/a': { get: { [MARKER]: declared } } } }
  secureDocument(swagger2)
  t.same(Object.keys(swagger2), ['swagger', 'securityDefinitions', 'paths'], 'Swagger 2: no definitions added either')
})

t.test('a declared requirement that is not an object is kept as declared', async t => {
  const odd = routeMarker(schemes, undefined, ['GET'], ['odd', { bearerAuth: [] }])
  const document: Json = { openapi: '3.0.3', paths: { '/a': { get: { [MARKER]: odd } } } }
  secureDocument(document)
  t.same(document.paths['/a'].get.security, ['odd', { bearerAuth: [] }])
})
