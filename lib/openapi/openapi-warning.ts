// What the OpenAPI integration cannot do for a document and tells the
// developer about, as the configuration warnings are told: through
// process.emitWarning, with a code of its own to filter on.
import { emitConfigWarning } from '../warnings'

export const OPENAPI_WARNING_CODE = 'FST_JWT_AUTH_OPENAPI'

export function emitOpenApiWarning (message: string): void {
  emitConfigWarning(OPENAPI_WARNING_CODE, `fastify-jwt-auth: ${message}`)
}
