// The security schemes made from each token location setting, in both
// document versions, and the requirement alternatives they form, in
// `tokenLocation` order.
import t from 'tap'
import { resolveConfig } from '../../lib/config'
import type { FastifyJwtAuthOptions } from '../../lib/options'
import { createSecuritySchemes } from '../../lib/openapi/security-schemes'
import { SECRET } from '../helpers/app'

function schemesOf (options: FastifyJwtAuthOptions) {
  return createSecuritySchemes(resolveConfig({ secretKey: SECRET, ...options }, {}))
}

t.test('the default Authorization: Bearer header is an HTTP bearer scheme', async t => {
  const schemes = schemesOf({})
  t.same(Object.keys(schemes.forms), ['bearerAuth'], 'one scheme')
  t.match(schemes.forms.bearerAuth.openapi3, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: /access token/ })
  t.match(schemes.forms.bearerAuth.swagger2, { type: 'apiKey', in: 'header', name: 'Authorization', description: /is `Bearer <JWT>`$/ },
    'Swagger 2 has no bearer scheme: an Authorization header the client writes whole, shown as code')
  t.same(schemes.requirements, {
    access: { plain: [['bearerAuth']], csrf: [['bearerAuth']], where: 'the `Authorization` header' },
    refresh: { plain: [['bearerAuth']], csrf: [['bearerAuth']], where: 'the `Authorization` header' }
  }, 'the refresh token travels in the same header')
  t.equal(schemes.checksCsrf, false, 'nothing is CSRF-checked without cookies')
})

t.test('the header name and scheme word are matched as the guards match them: ignoring case', async t => {
  const schemes = schemesOf({ headerName: 'authorization', headerType: 'BEARER' })
  t.match(schemes.forms.bearerAuth.openapi3, { type: 'http', scheme: 'bearer' })
  t.match(schemes.forms.bearerAuth.swagger2, { name: 'authorization' }, 'the header is named as configured')
})

t.test('any other header setting is an apiKey header scheme whose description shows the value to send', async t => {
  const cases: Array<[FastifyJwtAuthOptions, string, RegExp]> = [
    [{ headerName: 'X-Api-Token' }, 'X-Api-Token', /value is `Bearer <JWT>`$/],
    [{ headerType: 'JWT' }, 'Authorization', /value is `JWT <JWT>`$/],
    [{ headerName: 'X-Token', headerType: '' }, 'X-Token', /value is the JWT itself$/]
  ]
  for (const [options, name, description] of cases) {
    const schemes = schemesOf(options)
    t.same(Object.keys(schemes.forms), ['headerAuth'], `${JSON.stringify(options)}: one scheme, headerAuth`)
    const expected = { type: 'apiKey', in: 'header', name, description }
    t.match(schemes.forms.headerAuth.openapi3, expected, `${JSON.stringify(options)}: OpenAPI 3`)
    t.match(schemes.forms.headerAuth.swagger2, expected, `${JSON.stringify(options)}: Swagger 2 alike`)
    t.same(schemes.requirements.access.plain, [['headerAuth']])
  }
})

t.test('cookies: one scheme per token cookie, and the CSRF headers the cookie alternative needs', async t => {
  const schemes = schemesOf({
    tokenLocation: ['cookies'],
    accessCookieKey: 'at',
    refreshCookieKey: 'rt',
    accessCsrfCookieKey: 'csrf_at',
    refreshCsrfCookieKey: 'csrf_rt',
    accessCsrfHeaderName: 'X-Access-Csrf',
    refreshCsrfHeaderName: 'X-Refresh-Csrf',
    csrfMethods: ['post', 'put', 'patch', 'delete']
  })
  t.same(schemes.forms.cookieAuth, { openapi3: { type: 'apiKey', in: 'cookie', name: 'at', description: schemes.forms.cookieAuth.openapi3?.description } },
    'the access cookie, with no Swagger 2 form: Swagger 2 cannot describe a cookie')
  t.match(schemes.forms.refreshCookieAuth, { openapi3: { in: 'cookie', name: 'rt' } })
  t.notOk('swagger2' in schemes.forms.refreshCookieAuth)
  t.match(schemes.forms.csrfAuth.openapi3, { type: 'apiKey', in: 'header', name: 'X-Access-Csrf', description: /`csrf_at` cookie.*POST, PUT, PATCH, DELETE/ })
  t.match(schemes.forms.refreshCsrfAuth.swagger2, { type: 'apiKey', in: 'header', name: 'X-Refresh-Csrf', description: /`csrf_rt` cookie/ })
  t.same(schemes.requirements, {
    access: { plain: [['cookieAuth']], csrf: [['cookieAuth', 'csrfAuth']], where: 'the `at` cookie' },
    refresh: { plain: [['refreshCookieAuth']], csrf: [['refreshCookieAuth', 'refreshCsrfAuth']], where: 'the `rt` cookie' }
  })
  t.equal(schemes.checksCsrf, true)
  t.same(schemes.csrfMethods, ['POST', 'PUT', 'PATCH', 'DELETE'], 'the methods as the guards compare them: upper case')
})

t.test('cookies without CSRF protection need no CSRF header', async t => {
  const schemes = schemesOf({ tokenLocation: ['cookies'], cookieCsrfProtect: false })
  t.same(Object.keys(schemes.forms).sort(), ['cookieAuth', 'refreshCookieAuth'])
  t.same(schemes.requirements.access, { plain: [['cookieAuth']], csrf: [['cookieAuth']], where: 'the `access_token_cookie` cookie' })
  t.equal(schemes.checksCsrf, false)
})

t.test('the query parameter is an apiKey query scheme', async t => {
  const schemes = schemesOf({ tokenLocation: ['query'], queryStringName: 'jwt' })
  t.match(schemes.forms.queryAuth.openapi3, { type: 'apiKey', in: 'query', name: 'jwt' })
  t.match(schemes.forms.queryAuth.swagger2, { type: 'apiKey', in: 'query', name: 'jwt' })
  t.same(schemes.requirements.refresh.plain, [['queryAuth']])
})

t.test('the JSON body has no scheme; the alternatives keep the tokenLocation order', async t => {
  t.same(schemesOf({ tokenLocation: ['json'] }).forms, {}, 'a JSON body token has no OpenAPI scheme')
  const schemes = schemesOf({ tokenLocation: ['query', 'json', 'cookies', 'headers'] })
  t.same(schemes.requirements.access.plain, [['queryAuth'], ['cookieAuth'], ['bearerAuth']])
  t.same(schemes.requirements.access.csrf, [['queryAuth'], ['cookieAuth', 'csrfAuth'], ['bearerAuth']])
  t.equal(schemes.requirements.access.where,
    'the `token` query parameter or the `access_token` field of the JSON body or the `access_token_cookie` cookie or the `Authorization` header',
    'every location, in words')
  t.match(schemes.requirements.refresh.where, /^the `token` query parameter or the `refresh_token` field of the JSON body or the `refresh_token_cookie` cookie/)
})

t.test('configured names in descriptions are code, whatever backticks they hold', async t => {
  const schemes = schemesOf({ tokenLocation: ['headers', 'cookies'], headerType: 'Tok`en', accessCsrfCookieKey: '`csrf`' })
  t.match(schemes.forms.headerAuth.openapi3?.description, /value is ``Tok`en <JWT>``$/)
  t.match(schemes.forms.csrfAuth.openapi3?.description, /The value of the `` `csrf` `` cookie/)
})
