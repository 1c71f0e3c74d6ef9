// What a guarded route's documentation needs, computed from its guards and
// its own `schema.security` as the document is built. The document's
// post-processing turns it into `security`, responses and components.
import type { TokenType } from '../options'
import { errorDescriptions } from './error-responses'
import { isJsonObject } from './json-object'
import type { RouteGuard } from './route-guard'
import type { SchemeForms, SecuritySchemes, TokenRequirements } from './security-schemes'

/**
 * The `x-` extension @fastify/swagger copies from a route's schema onto its
 * operation, as it is: it holds the number of the route's marker while the
 * document is built.
 */
export const MARKER = 'x-fastify-jwt-auth'

export interface SecurityPlan extends TokenRequirements {
  /** The requirement starts with `{}`: no token is needed. */
  readonly optional: boolean
  readonly token: TokenType
}

/** The description of each error status, on the methods without and with the CSRF check. */
export interface ErrorDescriptions {
  readonly plain: Readonly<Record<string, string>>
  readonly csrf: Readonly<Record<string, string>>
}

export interface OperationMarker {
  /** The schemes a requirement of the route may name. */
  readonly schemes: Readonly<Record<string, SchemeForms>>
  /** The route's methods whose cookie alternative needs the CSRF header. */
  readonly csrfMethods: readonly string[]
  /** The requirement the route's guards make; absent when the route declares its own. */
  readonly security?: SecurityPlan
  /**
   * The route's own `schema.security` when it names the plugin's schemes:
   * @fastify/swagger, which reads a route's schemes from its own options only
   * and fails on a missing one, is not shown it.
   */
  readonly ownSecurity?: readonly unknown[]
  /** The error answers to document. */
  readonly responses?: ErrorDescriptions
}

/**
 * The marker of a route: undefined for a route without the plugin's guards
 * whose own security names none of its schemes.
 */
export function routeMarker (schemes: SecuritySchemes, guard: RouteGuard | undefined, methods: readonly string[],
  ownSecurity: unknown): OperationMarker | undefined {
  const moved = namesSchemeOf(ownSecurity, schemes) ? ownSecurity : undefined
  if (guard === undefined && moved === undefined) return undefined
  const csrfMethods = schemes.checksCsrf ? methods.filter(method => schemes.csrfMethods.includes(method)) : []
  const marker: { -readonly [K in keyof OperationMarker]: OperationMarker[K] } = { schemes: schemes.forms, csrfMethods }
  if (moved !== undefined) {
    marker.ownSecurity = moved
  } else if (guard !== undefined && ownSecurity === undefined) {
    const token = guard.requirement === 'refresh' ? 'refresh' : 'access'
    marker.security = { optional: guard.requirement === 'optional', token, ...schemes.requirements[token] }
  }
  if (guard !== undefined) {
    const plain = errorDescriptions(guard, false)
    marker.responses = { plain, csrf: csrfMethods.length > 0 ? errorDescriptions(guard, true) : plain }
  }
  return marker
}

function namesSchemeOf (security: unknown, schemes: SecuritySchemes): security is unknown[] {
  return Array.isArray(security) && security.some(requirement =>
    isJsonObject(requirement) && Object.keys(requirement).some(name => Object.hasOwn(schemes.forms, name)))
}
