// Turns the markers of the guarded routes in a @fastify/swagger document into
// `security` requirements, error responses and the components they name, and
// removes them. Whatever the document already holds stays: a route's own
// responses, and the app's own schemes and schemas of the same names.
import { ERROR_SCHEMA_NAME, errorResponse, errorSchema } from './error-responses'
import { isJsonObject, type JsonObject } from './json-object'
import { MARKER, type OperationMarker } from './route-marker'
import type { DocumentVersion, SchemeObject } from './security-schemes'

interface MarkedOperation {
  /** The path item (or its `additionalOperations`) holding the operation under `key`. */
  container: JsonObject
  key: string
  /** The HTTP method, upper case. */
  method: string
  operation: JsonObject
  marker: OperationMarker
}

/** Secures the document in place; false when it holds no marker (and is left as it was). */
export function secureDocument (document: JsonObject): boolean {
  const marked = markedOperations(document.paths)
  if (marked.length === 0) return false
  const version: DocumentVersion = typeof document.openapi === 'string' ? 'openapi3' : 'swagger2'
  const components = new Components(document, version)
  // Every operation is replaced by a copy: @fastify/swagger gives all the
  // methods of a route one operation object, and their CSRF needs may differ.
  for (const { container, key, method, operation, marker } of marked) {
    const secured = { ...operation }
    delete secured[MARKER]
    const csrfChecked = marker.csrfMethods.includes(method)
    const security = operationSecurity(marker, csrfChecked, components)
    if (security !== undefined) secured.security = security
    if (marker.responses !== undefined) {
      const descriptions = csrfChecked ? marker.responses.csrf : marker.responses.plain
      secured.responses = withErrorResponses(secured.responses, descriptions, version, components)
    }
    container[key] = secured
  }
  components.write()
  return true
}

function markedOperations (paths: unknown): MarkedOperation[] {
  const marked: MarkedOperation[] = []
  if (!isJsonObject(paths)) return marked
  for (const pathItem of Object.values(paths)) {
    if (!isJsonObject(pathItem)) continue
    collect(pathItem, marked)
    // OpenAPI 3.2 keeps the operations of other methods apart.
    if (isJsonObject(pathItem.additionalOperations)) collect(pathItem.additionalOperations, marked)
    const head = unmarkedHeadOfMarkedGet(pathItem)
    if (head !== undefined) marked.push(head)
  }
  return marked
}

function collect (container: JsonObject, marked: MarkedOperation[]): void {
  for (const [key, operation] of Object.entries(container)) {
    const marker = isJsonObject(operation) ? markerOf(operation) : undefined
    if (marker !== undefined) marked.push({ container, key, method: key.toUpperCase(), operation: operation as JsonObject, marker })
  }
}

/**
 * For a HEAD route with an operationId, @fastify/swagger copies the schema
 * as the route is declared: when its hook runs before the plugin's, the copy
 * has no marker. Fastify made that HEAD route from the GET route, with the
 * same guards, and the copy's operationId says so.
 */
function unmarkedHeadOfMarkedGet (pathItem: JsonObject): MarkedOperation | undefined {
  const { get, head } = pathItem
  if (!isJsonObject(get) || !isJsonObject(head) || Object.hasOwn(head, MARKER)) return undefined
  const marker = markerOf(get)
  if (marker === undefined || typeof get.operationId !== 'string' || head.operationId !== `${get.operationId}-head`) {
    return undefined
  }
  return { container: pathItem, key: 'head', method: 'HEAD', operation: head, marker }
}

function markerOf (operation: JsonObject): OperationMarker | undefined {
  const marker = operation[MARKER]
  return isJsonObject(marker) ? marker as unknown as OperationMarker : undefined
}

function operationSecurity (marker: OperationMarker, csrfChecked: boolean, components: Components): unknown[] | undefined {
  if (marker.ownSecurity !== undefined) {
    // As declared, less the requirements naming a scheme of the plugin that this version cannot describe.
    const describable = marker.ownSecurity.filter(requirement => !isJsonObject(requirement) ||
      Object.keys(requirement).every(name => !Object.hasOwn(marker.schemes, name) || components.canReference(name, marker)))
    if (describable.length === 0) return undefined
    for (const requirement of describable) {
      if (isJsonObject(requirement)) for (const name of Object.keys(requirement)) components.addScheme(name, marker)
    }
    return structuredClone(describable)
  }
  const plan = marker.security
  if (plan === undefined) return undefined
  const lists = csrfChecked ? plan.csrf : plan.plain
  // Swagger 2 cannot describe a cookie: that alternative is left out there.
  const describable = lists.filter(names => names.every(name => components.canReference(name, marker)))
  if (describable.length === 0) return undefined
  const requirements = describable.map(names => {
    for (const name of names) components.addScheme(name, marker)
    return Object.fromEntries(names.map(name => [name, []]))
  })
  return plan.optional ? [{}, ...requirements] : requirements
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

/** The document's security schemes and schemas, with the ones to add, written back once. */
class Components {
  readonly #document: JsonObject
  readonly #version: DocumentVersion
  readonly #schemes: JsonObject
  readonly #schemas: JsonObject
  readonly #addedSchemes: JsonObject = {}
  readonly #addedSchemas: JsonObject = {}

  constructor (document: JsonObject, version: DocumentVersion) {
    this.#document = document
    this.#version = version
    const holder = version === 'openapi3' ? objectOrEmpty(document.components) : document
    this.#schemes = objectOrEmpty(version === 'openapi3' ? holder.securitySchemes : holder.securityDefinitions)
    this.#schemas = objectOrEmpty(version === 'openapi3' ? holder.schemas : holder.definitions)
  }

  /** Whether a requirement may name the scheme: the document has it, or the marker has it in this version. */
  canReference (name: string, marker: OperationMarker): boolean {
    return this.#has(this.#schemes, this.#addedSchemes, name) || markerScheme(marker, name, this.#version) !== undefined
  }

  addScheme (name: string, marker: OperationMarker): void {
    if (this.#has(this.#schemes, this.#addedSchemes, name)) return
    const scheme = markerScheme(marker, name, this.#version)
    if (scheme !== undefined) this.#addedSchemes[name] = { ...scheme }
  }

  addErrorSchema (): void {
    if (!this.#has(this.#schemas, this.#addedSchemas, ERROR_SCHEMA_NAME)) this.#addedSchemas[ERROR_SCHEMA_NAME] = errorSchema()
  }

  /** Writes new objects: the document's may be the app's own options, shared with later documents. */
  write (): void {
    const schemes = Object.keys(this.#addedSchemes).length === 0 ? undefined : { ...this.#schemes, ...this.#addedSchemes }
    const schemas = Object.keys(this.#addedSchemas).length === 0 ? undefined : { ...this.#schemas, ...this.#addedSchemas }
    if (this.#version === 'openapi3') {
      if (schemes === undefined && schemas === undefined) return
      this.#document.components = {
        ...objectOrEmpty(this.#document.components),
        ...(schemes === undefined ? {} : { securitySchemes: schemes }),
        ...(schemas === undefined ? {} : { schemas })
      }
      return
    }
    if (schemes !== undefined) this.#document.securityDefinitions = schemes
    if (schemas !== undefined) this.#document.definitions = schemas
  }

  #has (existing: JsonObject, added: JsonObject, name: string): boolean {
    return Object.hasOwn(existing, name) || Object.hasOwn(added, name)
  }
}

function markerScheme (marker: OperationMarker, name: string, version: DocumentVersion): SchemeObject | undefined {
  return Object.hasOwn(marker.schemes, name) ? marker.schemes[name][version] : undefined
}

function objectOrEmpty (value: unknown): JsonObject {
  return isJsonObject(value) ? value : {}
}
