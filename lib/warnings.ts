// Configuration warnings. They go through process.emitWarning rather than the
// Fastify logger: the logger is off by default, while Node prints warnings on
// stderr unless told otherwise, so a developer sees them with every default.
// Each is emitted once per registration, with a code to filter on
// (`node --disable-warning=FST_JWT_AUTH_WEAK_SECRET`, or a 'warning' listener).

export type AuthJwtWarningCode =
  | 'FST_JWT_AUTH_WEAK_SECRET'
  | 'FST_JWT_AUTH_INSECURE_COOKIE'
  | 'FST_JWT_AUTH_WEAK_SETTING'
  | 'FST_JWT_AUTH_IDLE_DENYLIST'
  | 'FST_JWT_AUTH_OPENAPI'

export const WARNING_TYPE = 'FastifyJwtAuthWarning'

export function emitConfigWarning (code: AuthJwtWarningCode, message: string): void {
  process.emitWarning(message, { type: WARNING_TYPE, code })
}
