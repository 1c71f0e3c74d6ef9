// lib/warnings.ts: configuration warnings go through process.emitWarning, not
// the Fastify logger, which is off by default: Node prints them on stderr, so
// a developer sees them with every default, and each carries a code to filter
// on. Which settings warn: config.test.ts and keys.test.ts.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { emitConfigWarning, WARNING_TYPE } from '../lib/warnings'
import { warningsDuring } from './helpers/warnings'

const ROOT = join(__dirname, '..')

/** What a separate Node process prints on stderr when it emits one warning, with `flags`. */
function stderrOfWarning (flags: string[]): string {
  const script = "require('./lib/warnings.ts').emitConfigWarning('FST_JWT_AUTH_WEAK_SECRET', 'the secret is short')"
  // With this process's own TypeScript loader (and, under the test runner, its coverage hooks).
  const child = spawnSync(process.execPath, [...process.execArgv, ...flags, '-e', script], { cwd: ROOT, encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`the warning script failed: ${child.stderr}`)
  return child.stderr
}

t.test('a warning of the plugin type, with its code and the message as given', async (t) => {
  const seen: Array<Error & { code?: string }> = []
  const listener = (warning: Error & { code?: string }): void => { seen.push(warning) }
  process.on('warning', listener)
  t.teardown(() => { process.off('warning', listener) })
  emitConfigWarning('FST_JWT_AUTH_INSECURE_COOKIE', 'cookies will be refused')
  await new Promise(resolve => setImmediate(resolve))
  t.equal(seen.length, 1, 'one warning')
  t.ok(seen[0] instanceof Error, 'an Error, as Node makes every warning')
  t.equal(seen[0].name, WARNING_TYPE, 'its type names the plugin')
  t.equal(WARNING_TYPE, 'FastifyJwtAuthWarning', 'the type listeners filter on')
  t.equal(seen[0].code, 'FST_JWT_AUTH_INSECURE_COOKIE', 'its code')
  t.equal(seen[0].message, 'cookies will be refused', 'the message, unchanged')
})

t.test('every call is a warning of its own: saying it once is up to the caller', async (t) => {
  const warnings = await warningsDuring(() => {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SECRET', 'first')
    emitConfigWarning('FST_JWT_AUTH_WEAK_SECRET', 'second')
  })
  t.same(warnings, [
    { code: 'FST_JWT_AUTH_WEAK_SECRET', message: 'first' },
    { code: 'FST_JWT_AUTH_WEAK_SECRET', message: 'second' }
  ], 'two calls, two warnings, in order')
})

t.test('Node prints it on stderr with no listener and no logger, and its code can silence it', async (t) => {
  t.match(stderrOfWarning([]), '[FST_JWT_AUTH_WEAK_SECRET] FastifyJwtAuthWarning: the secret is short',
    'printed with its code, type and message')
  t.equal(stderrOfWarning(['--disable-warning=FST_JWT_AUTH_WEAK_SECRET']), '',
    'node --disable-warning=<code> silences that warning')
  t.equal(stderrOfWarning(['--disable-warning=FastifyJwtAuthWarning']), '',
    'node --disable-warning=FastifyJwtAuthWarning silences them all')
})
