// Documents the guarded routes in the @fastify/swagger document: each gets
// the `security` requirement of its guards, its 401 (and 403) answers, and
// the document the schemes they name. It only changes the document: the
// routes keep their schemas, and apps without @fastify/swagger pay nothing
// but a look for its decorator per route declared.
import type { FastifyInstance } from 'fastify'
import type { AuthJwtConfig } from '../config'
import { recordRoute, type RecordedRoute } from './route-records'
import { createSecuritySchemes } from './security-schemes'
import { swaggerOwners, wrapSwaggerDecorator } from './swagger-decorator'

export function addOpenApiSecurity (fastify: FastifyInstance, config: AuthJwtConfig): void {
  const schemes = createSecuritySchemes(config)
  // Early, so that a docs plugin registered next takes the securing decorator.
  for (const owner of swaggerOwners(fastify)) wrapSwaggerDecorator(owner)

  // `this` is the instance the route is declared on.
  fastify.addHook('onRoute', function recordRouteForDocuments (routeOptions) {
    for (const owner of swaggerOwners(this)) {
      wrapSwaggerDecorator(owner)
      recordRoute(owner, routeOptions as unknown as RecordedRoute, schemes)
    }
  })
}
