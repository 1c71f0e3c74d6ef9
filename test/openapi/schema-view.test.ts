// The view of a route's schema @fastify/swagger is shown while it builds:
// everything of the schema (prototype, getters, non-enumerable members) and
// the marker; without `security` when asked, even one that cannot be
// deleted or is inherited; and the schema itself untouched.
import t from 'tap'
import { MARKER } from '../../lib/openapi/route-marker'
import { schemaView } from '../../lib/openapi/schema-view'

type Json = Record<string, any>

class RouteSchema {
  readonly summary = 'own'
  get description (): string { return `a getter of ${this.summary}` }
}

t.test('the view has what the schema has, and the marker', async t => {
  const schema = new RouteSchema()
  Object.defineProperty(schema, 'hidden', { value: 'not enumerable', enumerable: false })
  const view = schemaView(schema, 3, false) as Json
  t.ok(view instanceof RouteSchema, 'the prototype')
  t.equal(view.description, 'a getter of own', 'a getter, reading the view')
  t.equal(view.hidden, 'not enumerable')
  t.notOk(Object.keys(view).includes('hidden'), 'still not enumerable')
  t.same({ ...view }, { summary: 'own', [MARKER]: 3 }, 'the marker, enumerable, as @fastify/swagger copies the x- members')
  t.same(Reflect.ownKeys(schema), ['summary', 'hidden'], 'nothing added to the schema')

  const inherited = schemaView(Object.create({ body: { type: 'object' } }), 0, false) as Json
  t.same(inherited.body, { type: 'object' }, 'inherited members')
  t.same({ ...(schemaView(undefined, 1, false) as Json) }, { [MARKER]: 1 }, 'a route without a schema')
})

t.test('the view hides the schema\'s security, whatever it is', async t => {
  const security = [{ bearerAuth: [] }]
  const own = schemaView({ summary: 's', security }, 0, true) as Json
  t.equal(own.security, undefined, 'an own one')
  t.same({ ...own }, { summary: 's', [MARKER]: 0 })
  const frozen = Object.freeze({ security })
  t.equal((schemaView(frozen, 0, true) as Json).security, undefined, 'one that cannot be deleted')
  t.equal(frozen.security, security)
  t.equal((schemaView(Object.create({ security }), 0, true) as Json).security, undefined, 'an inherited one')
  t.equal((schemaView({ security }, 0, false) as Json).security, security, 'kept when not asked')
})
