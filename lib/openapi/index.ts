// Documents the guarded routes in the @fastify/swagger document: each gets
// the `security` requirement of its guards, its 401 (and 403) answers, and
// the document the schemes they name. Nothing is done for the routes no
// `swagger` decorator can see, nor for apps without @fastify/swagger.
import type { FastifyInstance } from 'fastify'
import type { AuthJwtConfig } from '../config'
import { isJsonObject, type JsonObject } from './json-object'
import { routeGuard } from './route-guard'
import { MARKER, routeMarker } from './route-marker'
import { createSecuritySchemes } from './security-schemes'
import { swaggerOwners, wrapSwaggerDecorator } from './swagger-decorator'

export function addOpenApiSecurity (fastify: FastifyInstance, config: AuthJwtConfig): void {
  const schemes = createSecuritySchemes(config)

  // `this` is the instance the route is declared on.
  fastify.addHook('onRoute', function documentRouteSecurity (routeOptions) {
    const owners = swaggerOwners(this)
    if (owners.length === 0) return
    const schema: JsonObject = isJsonObject(routeOptions.schema) ? routeOptions.schema : {}
    const methods = Array.isArray(routeOptions.method) ? routeOptions.method : [routeOptions.method]
    const marker = routeMarker(schemes, routeGuard(routeOptions as unknown as JsonObject), methods, schema.security)
    if (marker === undefined) return
    for (const owner of owners) wrapSwaggerDecorator(owner)
    // A copy: the schema object may be shared with other routes.
    const marked: JsonObject = { ...schema, [MARKER]: marker }
    if (marker.ownSecurity !== undefined) delete marked.security
    routeOptions.schema = marked
  })
}
