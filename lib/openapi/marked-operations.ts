// The operations of a built document that the plugin secures: those
// carrying a marker, and the HEAD operations @fastify/swagger made from its
// own copy of a guarded HEAD route's schema, which no marker reaches.
import { isJsonObject, type JsonObject } from './json-object'
import { MARKER, type OperationMarker } from './route-marker'
import type { MarkedRoute } from './route-records'

export interface MarkedOperation {
  /** The key of its path item in `paths`. */
  readonly path: string
  /** In the path item's `additionalOperations` (OpenAPI 3.2) rather than in the path item. */
  readonly inAdditionalOperations: boolean
  readonly key: string
  /** The HTTP method, upper case. */
  readonly method: string
  readonly operation: JsonObject
  /** Undefined for a marker no route of this build made: it is only removed. */
  readonly marker?: OperationMarker
}

export function markedOperations (paths: unknown, routes: ReadonlyMap<number, MarkedRoute>): MarkedOperation[] {
  const marked: MarkedOperation[] = []
  if (!isJsonObject(paths)) return marked
  for (const [path, pathItem] of Object.entries(paths)) {
    if (!isJsonObject(pathItem)) continue
    collect(path, pathItem, false, routes, marked)
    if (isJsonObject(pathItem.additionalOperations)) collect(path, pathItem.additionalOperations, true, routes, marked)
    const head = headOfGuardedHeadRoute(path, pathItem, routes)
    if (head !== undefined) marked.push(head)
  }
  return marked
}

function collect (path: string, container: JsonObject, inAdditionalOperations: boolean,
  routes: ReadonlyMap<number, MarkedRoute>, marked: MarkedOperation[]): void {
  for (const [key, operation] of Object.entries(container)) {
    if (!isJsonObject(operation) || !Object.hasOwn(operation, MARKER)) continue
    const marker = routeOf(operation, routes)?.marker
    marked.push({ path, inAdditionalOperations, key, method: key.toUpperCase(), operation, marker })
  }
}

/**
 * The unmarked HEAD operation of a path item whose GET route has a guarded
 * HEAD route at its URL (the one Fastify made for it, or one declared):
 * @fastify/swagger documents a HEAD route with an operationId from a copy of
 * its schema taken as it is declared. An unguarded HEAD route is left open.
 */
function headOfGuardedHeadRoute (path: string, pathItem: JsonObject,
  routes: ReadonlyMap<number, MarkedRoute>): MarkedOperation | undefined {
  const { get, head } = pathItem
  if (!isJsonObject(get) || !isJsonObject(head) || Object.hasOwn(head, MARKER)) return undefined
  const marker = routeOf(get, routes)?.head
  if (marker === undefined) return undefined
  return { path, inAdditionalOperations: false, key: 'head', method: 'HEAD', operation: head, marker }
}

function routeOf (operation: JsonObject, routes: ReadonlyMap<number, MarkedRoute>): MarkedRoute | undefined {
  const number = operation[MARKER]
  return typeof number === 'number' ? routes.get(number) : undefined
}
