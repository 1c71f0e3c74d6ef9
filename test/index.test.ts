// index.ts, the package's entry point, and the built package as users load
// it: require() and import both give the plugin, with the error classes,
// store factories and guards as named exports. `npm test` builds dist/ before
// running the tests; without a build, the tests of dist/ skip and say so.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import * as source from '../index'
import { bearer, SECRET } from './helpers/app'
import { expectAuthError } from './helpers/auth-error'

const built = join(__dirname, '..', 'dist', 'index.js')
const names = [
  'fastifyJwtAuth', 'default', 'createMemoryDenylist', 'createRedisDenylist',
  'AuthJwtError', 'MissingTokenError', 'InvalidHeaderError', 'JWTDecodeError', 'RevokedTokenError',
  'AccessTokenRequired', 'RefreshTokenRequired', 'FreshTokenRequired', 'CSRFError', 'DenylistError', 'ConfigError',
  'jwtRequired', 'jwtOptional', 'jwtRefreshTokenRequired', 'freshJwtRequired'
]
const guards = ['jwtRequired', 'jwtOptional', 'jwtRefreshTokenRequired', 'freshJwtRequired']

t.test('require() gives the plugin itself', { skip: existsSync(built) ? false : 'run `npm run build` first' }, async t => {
  const plugin = require(built)
  t.type(plugin, 'function', 'the plugin function itself')
  t.equal(plugin.default, plugin, 'require().default is the plugin too')
  t.equal(plugin.fastifyJwtAuth, plugin, 'and so is require().fastifyJwtAuth')
  for (const name of names) t.ok(plugin[name], `require().${name}`)
  t.equal(plugin[Symbol.for('fastify.display-name')], 'fastify-jwt-auth', 'Fastify knows it by its package name')
  for (const name of guards) t.equal(typeof plugin[name], 'function', `require().${name} is a preHandler function`)
})

t.test('require().jwtRequired protects a route declared before the plugin is registered',
  { skip: existsSync(built) ? false : 'run `npm run build` first' }, async t => {
    const plugin = require(built)
    const app = Fastify({ logger: false })
    t.teardown(() => app.close())
    app.get('/x', { preHandler: plugin.jwtRequired }, async () => 'ran')
    await app.register(plugin, { secretKey: SECRET })
    expectAuthError(t, await app.inject({ url: '/x' }), 'FST_JWT_AUTH_MISSING_TOKEN', { what: 'no token: refused' })
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    t.equal((await app.inject({ url: '/x', headers: bearer(token) })).body, 'ran', 'a valid token passes')
  })

t.test('import gives the plugin as default and the named exports', { skip: existsSync(built) ? false : 'run `npm run build` first' }, async t => {
  // A real ESM import, not the TypeScript down-levelled one.
  // eslint-disable-next-line no-new-func
  const esmImport = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>
  const module = await esmImport(pathToFileURL(built).href)
  t.type(module.default, 'function', 'the plugin is the default export')
  for (const name of names.filter(name => name !== 'default')) t.ok(module[name], `named export ${name}`)
  t.equal(module.jwtRequired, require(built).jwtRequired, 'import and require() give the same guard')
})

t.test('the source entry point exports the same', async t => {
  t.equal(source.default, source.fastifyJwtAuth, 'the default export is the plugin')
  for (const name of names) t.ok((source as Record<string, unknown>)[name], `export ${name}`)
})
