// What @fastify/swagger is shown of a guarded route's schema while it builds
// its document: a new object with everything of the route's schema (its
// prototype, getters, non-enumerable members, as they are at build time)
// plus the marker, and without the route's own `security` when that names
// the plugin's schemes. The route's schema object itself is never written to.
import { MARKER } from './route-marker'

export function schemaView (schema: unknown, markerNumber: number, hideSecurity: boolean): object {
  const isObject = typeof schema === 'object' && schema !== null
  const descriptors: PropertyDescriptorMap = isObject ? Object.getOwnPropertyDescriptors(schema) : {}
  // Deleted rather than redefined: the route's own may not be configurable.
  if (hideSecurity) delete descriptors.security
  descriptors[MARKER] = { value: markerNumber, enumerable: true, writable: true, configurable: true }
  const view = Object.create(isObject ? Object.getPrototypeOf(schema) : Object.prototype, descriptors) as object
  // Hides one the schema inherits as well.
  if (hideSecurity) Object.defineProperty(view, 'security', { value: undefined, writable: true, configurable: true })
  return view
}
