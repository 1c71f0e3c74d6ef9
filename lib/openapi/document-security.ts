// Turns the markers of a built document into `security` requirements, error
// responses and the components they name, and removes them. Whatever the
// document already holds stays: a `security` set by the app's transform or
// transformObject, a route's own responses, the app's own schemes and
// schemas of the same names. Nothing of the document is written to: the
// result is the members to replace, new objects down to each operation
// changed.
import { Components } from './components'
import { removeCredentialParameters } from './credential-parameters'
import { errorResponse } from './error-responses'
import { isJsonObject, type JsonObject } from './json-object'
import { markedOperations, type MarkedOperation } from './marked-operations'
import { declaredSecurity, plannedSecurity } from './operation-security'
import { MARKER } from './route-marker'
import type { MarkedRoute } from './route-records'
import type { DocumentVersion } from './security-schemes'

export interface DocumentChanges {
  /** The document's members to replace: `paths`, and the components when some were added. */
  readonly members: JsonObject
  /** Scheme names the requirements use that no scheme of the document has. */
  readonly undefinedSchemes: readonly string[]
}

/** The changes securing the document; undefined when it holds no marker. */
export function secureDocument (document: JsonObject, routes: ReadonlyMap<number, MarkedRoute>): DocumentChanges | undefined {
  const marked = markedOperations(document.paths, routes)
  if (marked.length === 0) return undefined
  const version: DocumentVersion = typeof document.openapi === 'string' ? 'openapi3' : 'swagger2'
  const components = new Components(document, version)
  const undefinedSchemes = new Set<string>()
  const paths = new CopiedPaths(document.paths as JsonObject)
  // Every operation is replaced by a copy: @fastify/swagger gives all the
  // methods of a route one operation object, and their CSRF needs may differ.
  for (const entry of marked) paths.place(entry, securedOperation(entry, version, components, undefinedSchemes))
  return { members: { paths: paths.paths, ...components.changes() }, undefinedSchemes: [...undefinedSchemes] }
}

function securedOperation ({ operation, method, marker }: MarkedOperation, version: DocumentVersion,
  components: Components, undefinedSchemes: Set<string>): JsonObject {
  const secured = { ...operation }
  delete secured[MARKER]
  if (marker === undefined) return secured
  const csrfChecked = marker.csrfMethods.includes(method)
  if (Object.hasOwn(operation, 'security')) {
    // From the route's schema through @fastify/swagger, or from the app's transform or transformObject.
    const security = declaredSecurity(operation.security, marker, components, undefinedSchemes)
    if (security === undefined) delete secured.security
    else secured.security = security
  } else if (marker.ownSecurity !== undefined) {
    const security = declaredSecurity(marker.ownSecurity, marker, components, undefinedSchemes) as unknown[] | undefined
    if (security !== undefined) {
      secured.security = security
      removeCredentialParameters(secured, security, components)
    }
  } else if (marker.security !== undefined) {
    const { security, note } = plannedSecurity(marker.security, csrfChecked, marker, components)
    if (security !== undefined) {
      secured.security = security
      removeCredentialParameters(secured, security, components)
    }
    if (note !== undefined) secured.description = typeof secured.description === 'string' && secured.description !== '' ? `${secured.description}\n\n${note}` : note
  }
  if (marker.responses !== undefined) {
    const descriptions = csrfChecked ? marker.responses.csrf : marker.responses.plain
    secured.responses = withErrorResponses(secured.responses, descriptions, version, components)
  }
  return secured
}

function withErrorResponses (responses: unknown, descriptions: Readonly<Record<string, string>>,
  version: DocumentVersion, components: Components): JsonObject {
  const result = isJsonObject(responses) ? { ...responses } : {}
  for (const [status, description] of Object.entries(descriptions)) {
    // The route's own description of the status stays.
    if (Object.hasOwn(result, status)) continue
    result[status] = errorResponse(version, status, description)
    components.addErrorSchema()
  }
  return result
}

/** A copy of `paths` whose path items (and their `additionalOperations`) are copied before the first write. */
class CopiedPaths {
  readonly paths: JsonObject
  readonly #copies = new WeakSet<object>()

  constructor (paths: JsonObject) {
    this.paths = { ...paths }
  }

  place ({ path, inAdditionalOperations, key }: MarkedOperation, operation: JsonObject): void {
    const pathItem = this.#copied(this.paths, path)
    const container = inAdditionalOperations ? this.#copied(pathItem, 'additionalOperations') : pathItem
    container[key] = operation
  }

  #copied (holder: JsonObject, key: string): JsonObject {
    let value = holder[key] as JsonObject
    if (!this.#copies.has(value)) {
      value = { ...value }
      this.#copies.add(value)
      holder[key] = value
    }
    return value
  }
}
