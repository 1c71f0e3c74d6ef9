// `claimsSchema`: the application's claims checked against a TypeBox schema,
// compiled once at registration. Token creation refuses claims that do not
// match, and verification refuses a token whose claims do not match, so a
// handler can trust their shape as much as their signature. The reserved
// claims are left out of both checks: the plugin checks those itself, and a
// schema with `additionalProperties: false` should only have to name yours.
import { FormatRegistry, KindGuard, type TObject } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ValueError } from '@sinclair/typebox/errors'
import { ConfigError } from './errors'
import { RESERVED_CLAIMS } from './reserved-claims'

/** Where the claims first differ from the schema (`/roles/0: Expected string`); undefined when they match. */
export type ClaimsMismatch = (claims: Record<string, unknown>) => string | undefined

/** Compiles the schema; a ConfigError when it is not a TypeBox object schema, or describes a reserved claim. */
export function compileClaimsSchema (schema: unknown): ClaimsMismatch {
  if (!KindGuard.IsObject(schema)) {
    throw new ConfigError('claimsSchema must be a TypeBox object schema of your claims, such as Type.Object({ … })')
  }
  const reserved = Object.keys(schema.properties).filter(name => RESERVED_CLAIMS.has(name))
  if (reserved.length > 0) {
    throw new ConfigError(`claimsSchema cannot describe the reserved claim${reserved.length > 1 ? 's' : ''} ` +
      `${reserved.map(name => `"${name}"`).join(', ')}: the plugin writes and checks ${reserved.length > 1 ? 'them' : 'it'}`)
  }
  const unknownFormat = firstUnknownFormat(schema)
  if (unknownFormat !== undefined) {
    // TypeBox knows no format by itself: every check would throw, and every token be refused.
    throw new ConfigError(`claimsSchema uses the format "${unknownFormat}", which is not registered: ` +
      'add it with FormatRegistry.Set from @sinclair/typebox first')
  }
  let compiled: ReturnType<typeof TypeCompiler.Compile<TObject>>
  try {
    compiled = TypeCompiler.Compile(schema)
  } catch (error) {
    throw new ConfigError(`claimsSchema could not be compiled: ${(error as Error).message}`)
  }
  return function claimsMismatch (claims) {
    try {
      if (compiled.Check(claims)) return undefined
      // A failed check always has a first error. It names the path and what
      // was expected, never the value, which may be personal data.
      const error = compiled.Errors(claims).First() as ValueError
      return `${error.path === '' ? '/' : error.path}: ${error.message}`
    } catch {
      // A format or type the application registered threw: the claims are
      // not known to match, so they are refused (a 401, never a 500).
      return '/: the schema\'s check failed'
    }
  }
}

// The first `format` of the schema, at any depth, that TypeBox has no check for.
function firstUnknownFormat (node: unknown, seen = new Set<object>()): string | undefined {
  if (node === null || typeof node !== 'object' || seen.has(node)) return undefined
  seen.add(node)
  const format = (node as { format?: unknown }).format
  if (typeof format === 'string' && !FormatRegistry.Has(format)) return format
  for (const child of Object.values(node)) {
    const found = firstUnknownFormat(child, seen)
    if (found !== undefined) return found
  }
  return undefined
}
