// The `security` requirement of a secured operation: the one its guards
// make, or one declared (by the route's schema, or by the app's transform or
// transformObject), with the plugin's scheme names it uses turned into the
// document's.
import type { Components } from './components'
import { isJsonObject, type JsonObject } from './json-object'
import type { OperationMarker, SecurityPlan } from './route-marker'

export interface PlannedSecurity {
  /** Undefined when no alternative can be written and a token is required. */
  readonly security?: JsonObject[]
  /** Where the token goes, in words, when no scheme of this document version describes it. */
  readonly note?: string
}

/** The requirement the route's guards make, less the alternatives this document version cannot describe. */
export function plannedSecurity (plan: SecurityPlan, csrfChecked: boolean, marker: OperationMarker,
  components: Components): PlannedSecurity {
  const lists = csrfChecked ? plan.csrf : plan.plain
  const requirements = lists
    .filter(names => names.every(name => components.canName(name, marker)))
    .map(names => Object.fromEntries(names.map(name => [components.nameFor(name, marker), []])))
  if (requirements.length > 0) return { security: plan.optional ? [{}, ...requirements] : requirements }
  // Swagger 2 with cookies only, or a JSON body token: no `security` could
  // say where the token goes, so the description does. A required token
  // still gets no `{}`, which would say that none is needed.
  const note = `${plan.optional ? 'Accepts' : 'Needs'} the ${plan.token} token in ${plan.where}, ` +
    'which no security scheme of this document describes.'
  return { security: plan.optional ? [{}] : undefined, note }
}

/**
 * A declared requirement, as declared, less the alternatives naming a scheme
 * of the plugin this version cannot describe (a cookie in Swagger 2); the
 * names of the plugin's schemes are the document's. Names no scheme has are
 * kept and added to `undefinedNames`. Undefined when every alternative is
 * left out; what is not a list is kept as it is.
 */
export function declaredSecurity (security: unknown, marker: OperationMarker, components: Components,
  undefinedNames: Set<string>): unknown {
  if (!Array.isArray(security)) return security
  const kept: unknown[] = []
  for (const requirement of security) {
    if (!isJsonObject(requirement)) {
      kept.push(requirement)
      continue
    }
    const names = Object.keys(requirement)
    if (names.some(name => Object.hasOwn(marker.schemes, name) && !components.canName(name, marker))) continue
    kept.push(Object.fromEntries(names.map(name => {
      const scopes = requirement[name]
      const copy = Array.isArray(scopes) ? [...scopes] : scopes
      if (components.canName(name, marker)) return [components.nameFor(name, marker), copy]
      undefinedNames.add(name)
      return [name, copy]
    })))
  }
  return kept.length === 0 && security.length > 0 ? undefined : kept
}
