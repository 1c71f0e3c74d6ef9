// The schemes of a document being secured, on hand-made markers: the app's
// win, each different scheme of one name gets a name of its own (never one
// the app's document has), and the credential a named scheme reads is left
// out of an operation's parameters.
import t from 'tap'
import { Components } from '../../lib/openapi/components'
import { removeCredentialParameters } from '../../lib/openapi/credential-parameters'
import type { OperationMarker } from '../../lib/openapi/route-marker'
import type { SchemeObject } from '../../lib/openapi/security-schemes'

type Json = Record<string, any>

function markerWith (schemes: Record<string, SchemeObject>): OperationMarker {
  return { schemes: Object.fromEntries(Object.entries(schemes).map(([name, scheme]) => [name, { openapi3: scheme }])), csrfMethods: [] }
}

const header = (name: string): SchemeObject => ({ type: 'apiKey', in: 'header', name })

t.test('each different scheme of one name gets the next name the document does not have', async t => {
  const app = { headerAuth2: { type: 'apiKey', in: 'header', name: 'X-Mine' } }
  const components = new Components({ openapi: '3.0.3', components: { securitySchemes: app } }, 'openapi3')
  const names = ['X-A', 'X-B', 'X-A', 'X-C'].map(name => components.nameFor('headerAuth', markerWith({ headerAuth: header(name) })))
  t.same(names, ['headerAuth', 'headerAuth3', 'headerAuth', 'headerAuth4'], 'headerAuth2 is the app\'s')
  const bearer = components.nameFor('headerAuth', markerWith({ headerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'd' } }))
  t.equal(bearer, 'headerAuth5', 'a scheme with other members is another scheme')
  t.same(Object.keys((components.changes() as Json).components.securitySchemes),
    ['headerAuth2', 'headerAuth', 'headerAuth3', 'headerAuth4', 'headerAuth5'])
  t.same(components.scheme('headerAuth2'), app.headerAuth2, 'the app\'s, as it is')
  t.same(components.scheme('headerAuth3'), header('X-B'))
  t.equal(components.scheme('nowhere'), undefined)
})

t.test('a scheme of the app that is not an object is no scheme to read a credential from', async t => {
  const components = new Components({ swagger: '2.0', securityDefinitions: { odd: 'text' } }, 'swagger2')
  t.equal(components.scheme('odd'), undefined)
  t.ok(components.canName('odd', markerWith({})), 'it can still be named')
})

t.test('the credential parameters of the schemes named are left out, and nothing else', async t => {
  const components = new Components({
    openapi: '3.0.3',
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'Bearer' },
        basic: { type: 'http', scheme: 'basic' },
        key: { type: 'apiKey', in: 'query', name: 'key' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'sid' },
        oauth: { type: 'oauth2', flows: {} },
        nameless: { type: 'apiKey', in: 'header' }
      }
    }
  }, 'openapi3')
  const parameters = [
    { in: 'header', name: 'AUTHORIZATION' },
    { in: 'query', name: 'key' },
    { in: 'query', name: 'Key' },
    { in: 'cookie', name: 'sid' },
    { in: 'header', name: 'sid' },
    { $ref: '#/components/parameters/Key' },
    { in: 'query', name: 42 },
    'odd'
  ]
  const operation: Json = { parameters }
  removeCredentialParameters(operation, [{ bearer: [], key: [] }, { cookie: [] }, { basic: [], oauth: [], nameless: [], nowhere: [] }, 'odd'], components)
  t.same(operation.parameters, [parameters[2], ...parameters.slice(4)], 'the header ignoring case, the others exactly; what is no parameter stays')

  const untouched: Json = { parameters }
  removeCredentialParameters(untouched, [{ basic: [] }], components)
  t.equal(untouched.parameters, parameters, 'no credential to leave out: the very list')
  const none: Json = { parameters: 'odd' }
  removeCredentialParameters(none, [{ bearer: [] }], components)
  t.equal(none.parameters, 'odd', 'what is not a list is left as it is')
})
