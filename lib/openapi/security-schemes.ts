// The security schemes describing where this configuration reads tokens, in
// the forms of OpenAPI 3 and Swagger 2, and the requirement alternatives they
// make, in `tokenLocation` order; and the same places in words, for a route
// no scheme of its document can describe. Built once per registration. The
// names are stable: an app may use them in a route's own `schema.security`
// (sibling registrations with different settings may get a suffixed name in
// a shared document).
import type { AuthJwtConfig } from '../config'
import type { TokenLocation, TokenType } from '../options'
import { codeSpan } from './markdown-code'

export type DocumentVersion = 'openapi3' | 'swagger2'

export type SchemeObject = Readonly<Record<string, string>>

/** One scheme in each document version; Swagger 2 has no cookie scheme. */
export type SchemeForms = Readonly<Partial<Record<DocumentVersion, SchemeObject>>>

/** Requirement alternatives, each the list of scheme names it needs together. */
export type SchemeNameLists = readonly (readonly string[])[]

export interface TokenRequirements {
  /** For a request whose method is not CSRF-checked. */
  readonly plain: SchemeNameLists
  /** For a CSRF-checked method: the cookie alternative needs the CSRF header too. */
  readonly csrf: SchemeNameLists
  /** Where the token is read, in words: "the `a` cookie or the `b` field of the JSON body". */
  readonly where: string
}

export interface SecuritySchemes {
  /** Every scheme the requirements may name. */
  readonly forms: Readonly<Record<string, SchemeForms>>
  readonly requirements: Readonly<Record<TokenType, TokenRequirements>>
  /** Whether cookie-borne tokens are CSRF-checked, and on which methods. */
  readonly checksCsrf: boolean
  readonly csrfMethods: readonly string[]
}

export const SCHEME_NAMES = Object.freeze({
  bearer: 'bearerAuth',
  header: 'headerAuth',
  cookie: 'cookieAuth',
  refreshCookie: 'refreshCookieAuth',
  csrf: 'csrfAuth',
  refreshCsrf: 'refreshCsrfAuth',
  query: 'queryAuth'
})

const TOKEN = 'The access token, or the refresh token on the routes that renew tokens'

/** What one location adds: its schemes, and the scheme names of its alternative per token type. */
interface LocationSchemes {
  forms: Record<string, SchemeForms>
  token: Record<TokenType, string>
  csrf?: Record<TokenType, string>
}

const LOCATIONS: Record<TokenLocation, (config: AuthJwtConfig) => LocationSchemes | undefined> = {
  headers: headerSchemes,
  cookies: cookieSchemes,
  query: querySchemes,
  // OpenAPI has no scheme for a token in the request body.
  json: () => undefined
}

/** Where each location reads the token of each type, in words. */
const PLACES: Record<TokenLocation, (config: AuthJwtConfig) => Record<TokenType, string>> = {
  headers: ({ headerName }) => sameForBoth(`the ${codeSpan(headerName)} header`),
  cookies: ({ accessCookieKey, refreshCookieKey }) =>
    ({ access: `the ${codeSpan(accessCookieKey)} cookie`, refresh: `the ${codeSpan(refreshCookieKey)} cookie` }),
  query: ({ queryStringName }) => sameForBoth(`the ${codeSpan(queryStringName)} query parameter`),
  json: ({ jsonKey, refreshJsonKey }) =>
    ({ access: `the ${codeSpan(jsonKey)} field of the JSON body`, refresh: `the ${codeSpan(refreshJsonKey)} field of the JSON body` })
}

export function createSecuritySchemes (config: AuthJwtConfig): SecuritySchemes {
  const forms: Record<string, SchemeForms> = {}
  const where = (type: TokenType) => config.tokenLocation.map(location => PLACES[location](config)[type]).join(' or ')
  const requirements = {
    access: { plain: [] as string[][], csrf: [] as string[][], where: where('access') },
    refresh: { plain: [] as string[][], csrf: [] as string[][], where: where('refresh') }
  }
  for (const location of config.tokenLocation) {
    const schemes = LOCATIONS[location](config)
    if (schemes === undefined) continue
    Object.assign(forms, schemes.forms)
    for (const type of ['access', 'refresh'] as const) {
      requirements[type].plain.push([schemes.token[type]])
      requirements[type].csrf.push(schemes.csrf === undefined ? [schemes.token[type]] : [schemes.token[type], schemes.csrf[type]])
    }
  }
  return Object.freeze({
    forms: Object.freeze(forms),
    requirements: Object.freeze(requirements),
    checksCsrf: config.tokenLocation.includes('cookies') && config.cookieCsrfProtect,
    csrfMethods: Object.freeze([...config.csrfMethods])
  })
}

function apiKey (where: 'header' | 'cookie' | 'query', name: string, description: string): SchemeObject {
  return Object.freeze({ type: 'apiKey', in: where, name, description })
}

function sameInBothVersions (scheme: SchemeObject): SchemeForms {
  return Object.freeze({ openapi3: scheme, swagger2: scheme })
}

function sameForBoth (text: string): Record<TokenType, string> {
  return { access: text, refresh: text }
}

/** A location with one scheme, for both token types. */
function singleScheme (name: string, forms: SchemeForms): LocationSchemes {
  return { forms: { [name]: forms }, token: { access: name, refresh: name } }
}

function headerSchemes ({ headerName, headerType }: AuthJwtConfig): LocationSchemes {
  // The guards compare both case-insensitively.
  if (headerName.toLowerCase() === 'authorization' && headerType.toLowerCase() === 'bearer') {
    return singleScheme(SCHEME_NAMES.bearer, Object.freeze({
      openapi3: Object.freeze({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: TOKEN }),
      // Swagger 2 has no bearer scheme: the client writes the whole header value.
      swagger2: apiKey('header', headerName, `${TOKEN}. The header's value is ${codeSpan('Bearer <JWT>')}`)
    }))
  }
  const value = headerType === '' ? 'the JWT itself' : codeSpan(`${headerType} <JWT>`)
  return singleScheme(SCHEME_NAMES.header, sameInBothVersions(apiKey('header', headerName, `${TOKEN}. The header's value is ${value}`)))
}

function cookieSchemes (config: AuthJwtConfig): LocationSchemes {
  const forms: Record<string, SchemeForms> = {
    // Swagger 2 cannot describe a cookie.
    [SCHEME_NAMES.cookie]: { openapi3: apiKey('cookie', config.accessCookieKey, 'The access token, in the cookie set at login') },
    [SCHEME_NAMES.refreshCookie]: {
      openapi3: apiKey('cookie', config.refreshCookieKey, 'The refresh token, in the cookie set at login')
    }
  }
  const token = { access: SCHEME_NAMES.cookie, refresh: SCHEME_NAMES.refreshCookie }
  if (!config.cookieCsrfProtect) return { forms, token }
  const methods = config.csrfMethods.join(', ')
  forms[SCHEME_NAMES.csrf] = sameInBothVersions(apiKey('header', config.accessCsrfHeaderName,
    `The value of the ${codeSpan(config.accessCsrfCookieKey)} cookie, sent with the access cookie on ${methods} requests`))
  forms[SCHEME_NAMES.refreshCsrf] = sameInBothVersions(apiKey('header', config.refreshCsrfHeaderName,
    `The value of the ${codeSpan(config.refreshCsrfCookieKey)} cookie, sent with the refresh cookie on ${methods} requests`))
  return { forms, token, csrf: { access: SCHEME_NAMES.csrf, refresh: SCHEME_NAMES.refreshCsrf } }
}

function querySchemes ({ queryStringName }: AuthJwtConfig): LocationSchemes {
  return singleScheme(SCHEME_NAMES.query, sameInBothVersions(apiKey('query', queryStringName, `${TOKEN}, in the query string`)))
}
