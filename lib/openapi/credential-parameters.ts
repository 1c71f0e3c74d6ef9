// @fastify/swagger leaves out of an operation's parameters the credential of
// each scheme its `security` names: the client sends it through the scheme.
// It never sees the requirements the plugin writes, so the plugin does the
// same for them.
import type { Components } from './components'
import { isJsonObject, type JsonObject } from './json-object'

interface Credential {
  in: string
  name: string
}

/** Removes from the (copied) operation's parameters the credentials of the schemes `security` names. */
export function removeCredentialParameters (operation: JsonObject, security: readonly unknown[], components: Components): void {
  const parameters = operation.parameters
  if (!Array.isArray(parameters)) return
  const credentials = security.flatMap(requirement => isJsonObject(requirement) ? Object.keys(requirement) : [])
    .map(name => credentialOf(components.scheme(name)))
    .filter(credential => credential !== undefined)
  const kept = parameters.filter(parameter => !credentials.some(credential => isCredential(parameter, credential)))
  if (kept.length === parameters.length) return
  if (kept.length === 0) delete operation.parameters
  else operation.parameters = kept
}

function credentialOf (scheme: JsonObject | undefined): Credential | undefined {
  if (scheme?.type === 'http' && typeof scheme.scheme === 'string' && scheme.scheme.toLowerCase() === 'bearer') {
    return { in: 'header', name: 'authorization' }
  }
  if (scheme?.type === 'apiKey' && typeof scheme.in === 'string' && typeof scheme.name === 'string') {
    return { in: scheme.in, name: scheme.name }
  }
  return undefined
}

function isCredential (parameter: unknown, credential: Credential): boolean {
  if (!isJsonObject(parameter) || parameter.in !== credential.in || typeof parameter.name !== 'string') return false
  // Header names are compared ignoring case, as HTTP does.
  return credential.in === 'header'
    ? parameter.name.toLowerCase() === credential.name.toLowerCase()
    : parameter.name === credential.name
}
