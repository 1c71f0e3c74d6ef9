// The routes each @fastify/swagger instance may document, recorded as they
// are declared, and the marked views of their schemas it is shown while it
// builds its document. Fastify validates and serializes with each route's
// own schema object (it is also `request.routeOptions.schema`), which is
// never replaced: a view takes its place in `routeOptions.schema`, where
// @fastify/swagger reads it, only during the build, which is synchronous,
// and the route's own is put back after it, even when the build throws.
// Guards and security are read at build time: those a later onRoute hook
// adds, or a schema filled in after the declaration, count.
import { isJsonObject } from './json-object'
import { routeGuard } from './route-guard'
import { routeMarker, type OperationMarker } from './route-marker'
import { schemaView } from './schema-view'
import type { SecuritySchemes } from './security-schemes'

/** The route options Fastify gives the onRoute hooks, and later reads the route's schema from. */
export type RecordedRoute = Partial<Record<string, unknown>> & {
  method: string | string[]
  url: string
  schema?: unknown
}

export interface MarkedRoute {
  readonly marker: OperationMarker
  /** For a GET route: the marker of the guarded HEAD route of the same URL. */
  readonly head?: OperationMarker
}

export interface MarkedBuild {
  /** The marked routes, by the number their view carries. */
  readonly routes: ReadonlyMap<number, MarkedRoute>
  /**
   * The HEAD routes with an operationId whose own security names the
   * plugin's schemes: @fastify/swagger documents them from a copy of their
   * declared schema, which no view replaces, and fails on those schemes
   * unless its options define them.
   */
  readonly unmarkableHeads: readonly string[]
  /** Runs `build` with the views in place of the marked routes' schemas. */
  run: <T>(build: () => T) => T
}

const recorded = new WeakMap<object, Map<RecordedRoute, SecuritySchemes>>()

/** Records a route the instance `owner`'s @fastify/swagger may document, with the schemes of the registration guarding it. */
export function recordRoute (owner: object, routeOptions: RecordedRoute, schemes: SecuritySchemes): void {
  let routes = recorded.get(owner)
  if (routes === undefined) {
    routes = new Map()
    recorded.set(owner, routes)
  }
  // Registrations nested in one another each see the route: the innermost's
  // hook runs last, and its guards are the ones the route's instance has.
  routes.set(routeOptions, schemes)
}

/** The marked routes of `owner`'s @fastify/swagger, as they are now. */
export function markedBuild (owner: object): MarkedBuild {
  const marked: Array<[RecordedRoute, OperationMarker]> = []
  const guardedHeads = new Map<string, OperationMarker>()
  const unmarkableHeads: string[] = []
  for (const [routeOptions, schemes] of recorded.get(owner) ?? []) {
    const schema = isJsonObject(routeOptions.schema) ? routeOptions.schema : undefined
    const methods = Array.isArray(routeOptions.method) ? routeOptions.method : [routeOptions.method]
    const marker = routeMarker(schemes, routeGuard(routeOptions), methods, schema?.security)
    if (marker === undefined) continue
    marked.push([routeOptions, marker])
    if (routeOptions.method !== 'HEAD') continue
    guardedHeads.set(routeOptions.url, marker)
    if (schema?.operationId !== undefined && marker.ownSecurity !== undefined) unmarkableHeads.push(`HEAD ${routeOptions.url}`)
  }
  const routes = new Map<number, MarkedRoute>()
  const views: Array<[RecordedRoute, object]> = []
  for (const [number, [routeOptions, marker]] of marked.entries()) {
    const hasGet = routeOptions.method === 'GET' || (Array.isArray(routeOptions.method) && routeOptions.method.includes('GET'))
    routes.set(number, { marker, head: hasGet ? guardedHeads.get(routeOptions.url) : undefined })
    views.push([routeOptions, schemaView(routeOptions.schema, number, marker.ownSecurity !== undefined)])
  }
  return { routes, unmarkableHeads, run: build => withViews(views, build) }
}

function withViews<T> (views: ReadonlyArray<[RecordedRoute, object]>, build: () => T): T {
  const own = views.map(([routeOptions]) => [Object.hasOwn(routeOptions, 'schema'), routeOptions.schema] as const)
  try {
    for (const [routeOptions, view] of views) routeOptions.schema = view
    return build()
  } finally {
    for (const [index, [routeOptions]] of views.entries()) {
      const [hadSchema, schema] = own[index]
      if (hadSchema) routeOptions.schema = schema
      else delete routeOptions.schema
    }
  }
}
