// The OpenAPI integration: the next commit fills it in.
import type { FastifyInstance } from 'fastify'
import type { AuthJwtConfig } from '../config'

export function addOpenApiSecurity (_fastify: FastifyInstance, _config: AuthJwtConfig): void {}
