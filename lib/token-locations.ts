// Finds the token of a request in the configured locations, in their order.
// An absent token moves on to the next location; a present but bad one fails
// at once, so that a broken header is never hidden by a cookie behind it. A
// header or cookie sent twice fails too: Node and the cookie parser would
// silently keep one copy, chosen by whoever sent or planted it first.
import type { FastifyRequest } from 'fastify'
import type { AuthJwtConfig } from './config'
import { isWebSocketUpgrade } from './csrf'
import { ConfigError, CSRFError, InvalidHeaderError, invalidTokenError, MissingTokenError } from './errors'
import type { TokenLocation, TokenType } from './options'

export interface FoundToken {
  token: string
  /** Where it was found. */
  location: TokenLocation
  /** The CSRF value the request sent, when this request must be CSRF-checked. */
  csrf: string | undefined
}

/** Reads one location: the token, or undefined when the location holds none. */
type ReadLocation = (request: FastifyRequest, type: TokenType) => FoundToken | undefined

interface Location {
  read: ReadLocation
  /** Why the location has no token, for each token type. */
  missing: Record<TokenType, string>
}

export type FindToken = (request: FastifyRequest, type: TokenType) => FoundToken | undefined

/** The query parameter a WebSocket upgrade may carry its CSRF value in. */
const WEBSOCKET_CSRF_PARAMETER = 'csrf_token'

export function createTokenFinder (config: AuthJwtConfig):
{ findToken: FindToken, missingTokenError: (type: TokenType) => MissingTokenError } {
  const builders: Record<TokenLocation, (config: AuthJwtConfig) => Location> = {
    headers: headerLocation,
    cookies: cookieLocation,
    query: queryLocation,
    json: jsonLocation
  }
  const locations = config.tokenLocation.map(name => builders[name](config))
  const read = locations.map(location => location.read)
  const missing = {
    access: locations.map(location => location.missing.access).join('; '),
    refresh: locations.map(location => location.missing.refresh).join('; ')
  }

  return {
    findToken (request, type) {
      for (let i = 0; i < read.length; i++) {
        const found = read[i](request, type)
        if (found !== undefined) return found
      }
      return undefined
    },
    missingTokenError: type => new MissingTokenError(missing[type])
  }
}

const WHITESPACE = /\s/

/**
 * Whether `text` holds whitespace that a header value can carry: by default
 * Node's HTTP parsers refuse every other control character, and decode
 * values as Latin-1, so these three are the only `\s` characters a value
 * can hold. A scan for each is some five times cheaper than the regular
 * expression, and runs on every request. Other whitespace (a vertical tab
 * let through by `insecureHTTPParser`, a line feed sent with `app.inject`)
 * is not a base64url character either: the token is still refused, as a
 * malformed token (401) by the verifier rather than as a bad header (400).
 */
function hasHeaderWhitespace (text: string): boolean {
  return text.includes(' ') || text.includes('\t') || text.includes('\u00a0')
}

function headerLocation ({ headerName, headerType }: AuthJwtConfig): Location {
  const key = headerName.toLowerCase()
  const scheme = headerType.toLowerCase()
  const expected = headerType === '' ? '<JWT>' : `${headerType} <JWT>`
  const badHeader = () => new InvalidHeaderError(`Bad ${headerName} header. Expected value '${expected}'`)
  // The header as clients write it, scheme and all: `Bearer <JWT>`.
  const prefix = headerType === '' ? '' : `${headerType} `

  // `<scheme> <JWT>`, the scheme matched case-insensitively, exactly one token after it.
  function tokenOf (value: string): string {
    // The header as clients write it. Anything else, such as another case
    // of the scheme or extra spaces, takes the path below.
    if (value.startsWith(prefix)) {
      const token = value.slice(prefix.length)
      if (token !== '' && !hasHeaderWhitespace(token)) return token
    }
    let token = value.trim()
    if (scheme !== '') {
      const space = token.indexOf(' ')
      if (space === -1 || token.slice(0, space).toLowerCase() !== scheme) throw badHeader()
      token = token.slice(space + 1).trim()
    }
    if (token === '' || WHITESPACE.test(token)) throw badHeader()
    return token
  }

  return {
    read (request) {
      const value = request.headers[key]
      if (value === undefined) return undefined
      // Node (HTTP/1.1 and HTTP/2) keeps only the first of repeated Authorization
      // headers, so "alice's token + garbage" would be alice: count the raw copies.
      const rawHeaders: unknown = request.raw.rawHeaders
      // Without the raw list a repeat cannot be ruled out: fail closed.
      if (!Array.isArray(rawHeaders)) {
        throw new ConfigError(`Cannot check the ${headerName} header: the server gives requests no rawHeaders`)
      }
      if (isRepeatedHeader(rawHeaders, key)) throw new InvalidHeaderError(`${headerName} header sent more than once`)
      // Node joins most repeated headers; one it keeps as a list is a bad header too.
      if (typeof value !== 'string') throw badHeader()
      return { token: tokenOf(value), location: 'headers', csrf: undefined }
    },
    missing: { access: `Missing ${headerName} Header`, refresh: `Missing ${headerName} Header` }
  }
}

/**
 * Whether the raw header list (name, value, name, value, …) names the header
 * `lowercase` more than once. Runs on every request that sends the header: it
 * compares lengths first and allocates nothing.
 */
function isRepeatedHeader (rawHeaders: string[], lowercase: string): boolean {
  let seen = false
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (name.length === lowercase.length && equalsIgnoringCase(name, lowercase)) {
      if (seen) return true
      seen = true
    }
  }
  return false
}

/** `name` equals `lowercase` when ASCII letters are lowercased, without building a new string. */
function equalsIgnoringCase (name: string, lowercase: string): boolean {
  if (name === lowercase) return true
  for (let i = 0; i < name.length; i++) {
    let code = name.charCodeAt(i)
    if (code >= 65 && code <= 90) code += 32
    if (code !== lowercase.charCodeAt(i)) return false
  }
  return true
}

function cookieLocation (config: AuthJwtConfig): Location {
  const names = { access: config.accessCookieKey, refresh: config.refreshCookieKey }
  // The page's scripts read the CSRF cookie: a second copy would feed them another value.
  const csrfNames = config.cookieCsrfProtect
    ? { access: config.accessCsrfCookieKey, refresh: config.refreshCsrfCookieKey }
    : undefined
  const csrfHeaders = {
    access: config.accessCsrfHeaderName.toLowerCase(),
    refresh: config.refreshCsrfHeaderName.toLowerCase()
  }
  const csrfMethods = new Set(config.csrfMethods)

  function csrfSent (request: FastifyRequest, type: TokenType): string {
    let sent = request.headers[csrfHeaders[type]]
    if (sent === undefined && isWebSocketUpgrade(request)) {
      sent = (request.query as Record<string, unknown> | undefined)?.[WEBSOCKET_CSRF_PARAMETER] as string | undefined
    }
    if (typeof sent !== 'string' || sent === '') throw new CSRFError('FST_JWT_AUTH_CSRF_MISSING')
    return sent
  }

  return {
    read (request, type) {
      const header = request.headers.cookie
      if (header === undefined) return undefined
      // The cookie parser keeps the first of two same-named cookies, and a
      // sibling subdomain can plant one that the browser sends first.
      rejectRepeatedCookie(header, names[type])
      if (csrfNames !== undefined) rejectRepeatedCookie(header, csrfNames[type])
      // An unset cookie comes back empty until the browser drops it: no token.
      const token = cookiesOf(request, header)[names[type]]
      if (token === undefined || token === '') return undefined
      const checked = config.cookieCsrfProtect && (csrfMethods.has(request.method) || isWebSocketUpgrade(request))
      return { token, location: 'cookies', csrf: checked ? csrfSent(request, type) : undefined }
    },
    missing: { access: `Missing cookie ${names.access}`, refresh: `Missing cookie ${names.refresh}` }
  }
}

// @fastify/cookie parses the Cookie header in its onRequest hook, unless the
// app registered it with `hook: false`: then the header is parsed here.
function cookiesOf (request: FastifyRequest, header: string): Record<string, string | undefined> {
  return request.cookies ?? request.server.parseCookie(header)
}

function rejectRepeatedCookie (header: string, name: string): void {
  if (isRepeatedCookie(header, name)) throw new InvalidHeaderError(`Cookie ${name} sent more than once`)
}

/**
 * Whether the Cookie header holds cookie `name` more than once. Pairs and
 * names are found exactly as the `cookie` package's parser finds them
 * (the one @fastify/cookie uses), so that every spelling it reads as `name`
 * counts: spaces or tabs around the name, an empty value, several Cookie
 * headers joined with "; ". A piece without "=" is no cookie to it, nor here.
 */
export function isRepeatedCookie (header: string, name: string): boolean {
  // Two copies need the name twice in the text: almost every request stops here.
  const first = header.indexOf(name)
  if (first === -1 || header.indexOf(name, first + name.length) === -1) return false
  const length = header.length
  let seen = false
  let index = 0
  do {
    const equals = header.indexOf('=', index)
    if (equals === -1) break
    let end = header.indexOf(';', index)
    if (end === -1) end = length
    if (equals > end) {
      // The pieces before this "=" have none: the name starts after the last ";" before it.
      index = header.lastIndexOf(';', equals - 1) + 1
      continue
    }
    if (isCookieName(header, index, equals, name)) {
      if (seen) return true
      seen = true
    }
    index = end + 1
  } while (index < length)
  return false
}

/** Whether header[start, end), without the spaces and tabs around it, is `name`. */
function isCookieName (header: string, start: number, end: number, name: string): boolean {
  while (start < end && isBlank(header.charCodeAt(start))) start++
  while (end > start && isBlank(header.charCodeAt(end - 1))) end--
  return end - start === name.length && header.startsWith(name, start)
}

function isBlank (code: number): boolean {
  return code === 32 || code === 9
}

function queryLocation ({ queryStringName }: AuthJwtConfig): Location {
  const reason = `Missing query parameter ${queryStringName}`
  return {
    read (request) {
      const value = (request.query as Record<string, unknown> | undefined)?.[queryStringName]
      if (value === undefined || value === '') return undefined
      // `?token=a&token=b` parses to a list: which one was meant is anyone's guess.
      if (typeof value !== 'string') throw invalidTokenError(`Query parameter ${queryStringName} must be given once`)
      return { token: value, location: 'query', csrf: undefined }
    },
    missing: { access: reason, refresh: reason }
  }
}

function jsonLocation ({ jsonKey, refreshJsonKey }: AuthJwtConfig): Location {
  const keys = { access: jsonKey, refresh: refreshJsonKey }
  return {
    read (request, type) {
      const body = request.body
      // A body that is not a JSON object holds no token. The content type
      // counts too: a form (@fastify/formbody) parses to an object as well,
      // and a page on another site can post one without a preflight, with a
      // token of its choosing.
      if (body === null || typeof body !== 'object' || Array.isArray(body) || !isJson(request)) return undefined
      const value = (body as Record<string, unknown>)[keys[type]]
      if (value === undefined || value === null || value === '') return undefined
      if (typeof value !== 'string') throw invalidTokenError(`JSON body field ${keys[type]} must be a string`)
      return { token: value, location: 'json', csrf: undefined }
    },
    missing: { access: `Missing JSON body field ${jsonKey}`, refresh: `Missing JSON body field ${refreshJsonKey}` }
  }
}

/** `application/json`, or any `+json` type, whatever its parameters. */
function isJson (request: FastifyRequest): boolean {
  const contentType = request.headers['content-type']
  if (typeof contentType !== 'string') return false
  const semicolon = contentType.indexOf(';')
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return mediaType === 'application/json' || mediaType.endsWith('+json')
}
