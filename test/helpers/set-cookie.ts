// Reading the Set-Cookie lines of an answer: which cookies were set, their
// values and their attributes.

interface Response {
  headers: Record<string, unknown>
}

/** The Set-Cookie lines of the answer, by cookie name. */
export function setCookies (response: Response): Record<string, string> {
  const header = response.headers['set-cookie'] as string | string[] | undefined
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header]
  return Object.fromEntries(lines.map(line => [line.slice(0, line.indexOf('=')), line]))
}

/** The value a Set-Cookie line sets. */
export function cookieValue (line: string): string {
  return line.slice(line.indexOf('=') + 1, line.indexOf(';'))
}

/** The attributes of a Set-Cookie line: names lowercased, flags (Secure, HttpOnly) as true. */
export function cookieAttributes (line: string): Record<string, string | true> {
  const [, ...parts] = line.split(';').map(part => part.trim())
  return Object.fromEntries(parts.map(part => {
    const eq = part.indexOf('=')
    return eq === -1 ? [part.toLowerCase(), true] : [part.slice(0, eq).toLowerCase(), part.slice(eq + 1)]
  }))
}
