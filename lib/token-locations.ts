// Finds the token of a request in the configured locations, in their order.
// An absent token moves on to the next location; a present but bad one fails
// at once, so that a broken header is never hidden by a cookie behind it.
import type { FastifyRequest } from 'fastify'
import type { AuthJwtConfig } from './config'
import { isWebSocketUpgrade } from './csrf'
import { CSRFError, InvalidHeaderError, invalidTokenError, MissingTokenError } from './errors'
import type { TokenLocation, TokenType } from './options'

export interface FoundToken {
  token: string
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
export const WEBSOCKET_CSRF_PARAMETER = 'csrf_token'

export function createTokenFinder (config: AuthJwtConfig): { findToken: FindToken, missingTokenError: (type: TokenType) => MissingTokenError } {
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

function headerLocation ({ headerName, headerType }: AuthJwtConfig): Location {
  const key = headerName.toLowerCase()
  const scheme = headerType.toLowerCase()
  const expected = headerType === '' ? '<JWT>' : `${headerType} <JWT>`
  const badHeader = () => new InvalidHeaderError(`Bad ${headerName} header. Expected value '${expected}'`)

  // `<scheme> <JWT>`, the scheme matched case-insensitively, exactly one token after it.
  function tokenOf (value: string): string {
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
      // Node joins most repeated headers; one it keeps as a list is a bad header too.
      if (typeof value !== 'string') throw badHeader()
      return { token: tokenOf(value), csrf: undefined }
    },
    missing: { access: `Missing ${headerName} Header`, refresh: `Missing ${headerName} Header` }
  }
}

function cookieLocation (config: AuthJwtConfig): Location {
  const names = { access: config.accessCookieKey, refresh: config.refreshCookieKey }
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
      // An unset cookie comes back empty until the browser drops it: no token.
      const token = cookiesOf(request)[names[type]]
      if (token === undefined || token === '') return undefined
      const checked = config.cookieCsrfProtect && (csrfMethods.has(request.method) || isWebSocketUpgrade(request))
      return { token, csrf: checked ? csrfSent(request, type) : undefined }
    },
    missing: { access: `Missing cookie ${names.access}`, refresh: `Missing cookie ${names.refresh}` }
  }
}

// @fastify/cookie parses the Cookie header in its onRequest hook, unless the
// app registered it with `hook: false`: then the header is parsed here.
function cookiesOf (request: FastifyRequest): Record<string, string | undefined> {
  if (request.cookies != null) return request.cookies
  const header = request.headers.cookie
  return header === undefined ? {} : request.server.parseCookie(header)
}

function queryLocation ({ queryStringName }: AuthJwtConfig): Location {
  const reason = `Missing query parameter ${queryStringName}`
  return {
    read (request) {
      const value = (request.query as Record<string, unknown> | undefined)?.[queryStringName]
      if (value === undefined || value === '') return undefined
      // `?token=a&token=b` parses to a list: which one was meant is anyone's guess.
      if (typeof value !== 'string') throw invalidTokenError(`Query parameter ${queryStringName} must be given once`)
      return { token: value, csrf: undefined }
    },
    missing: { access: reason, refresh: reason }
  }
}

function jsonLocation ({ jsonKey, refreshJsonKey }: AuthJwtConfig): Location {
  const keys = { access: jsonKey, refresh: refreshJsonKey }
  return {
    read (request, type) {
      const body = request.body
      // A body that is not a JSON object holds no token.
      if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return undefined
      const value = (body as Record<string, unknown>)[keys[type]]
      if (value === undefined || value === null || value === '') return undefined
      if (typeof value !== 'string') throw invalidTokenError(`JSON body field ${keys[type]} must be a string`)
      return { token: value, csrf: undefined }
    },
    missing: { access: `Missing JSON body field ${jsonKey}`, refresh: `Missing JSON body field ${refreshJsonKey}` }
  }
}
