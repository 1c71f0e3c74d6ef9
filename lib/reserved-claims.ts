// The claims the plugin writes and reads itself. An application's own claims
// are every other one: userClaims may not set these, a claims schema may not
// describe them, and a token issued in place of another one carries over the rest.

export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['sub', 'iat', 'nbf', 'jti', 'exp', 'type', 'fresh', 'csrf', 'iss', 'aud', 'fam'])

/** The application's own claims among verified claims: what a token issued in its place carries over. */
export function applicationClaimsOf (claims: Record<string, unknown>): Record<string, unknown> {
  // Without a prototype: a claim named "__proto__" is copied as a claim.
  const own: Record<string, unknown> = Object.create(null)
  for (const [name, value] of Object.entries(claims)) {
    if (!RESERVED_CLAIMS.has(name)) own[name] = value
  }
  return own
}
