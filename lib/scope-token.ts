// What one scope may be made of: RFC 6749 §3.3's scope-token, printable
// ASCII but space, `"` and `\`. Scopes go into the WWW-Authenticate
// challenge as a quoted string, which none of them can then break.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

export function isScopeToken (value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value)
}

/**
 * A copy of `value` when it is a list of scope tokens; undefined otherwise.
 * Copied by index before it is checked: a list whose iterator or members
 * change between the check and their use cannot slip anything past it, and
 * the holes of a sparse list (which every() skips) are refused.
 */
export function copyScopeList (value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined
  const copy: unknown[] = Array.prototype.slice.call(value)
  for (let index = 0; index < copy.length; index++) {
    if (!isScopeToken(copy[index])) return undefined
  }
  return copy as string[]
}
