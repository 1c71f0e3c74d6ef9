// The package as a new user gets it: `npm pack` of a fresh copy of the
// repository (prepack builds dist/), installed without the network into
// throw-away projects, one per module setup users have: CommonJS and ES
// module JavaScript, and TypeScript under node16 (ES module, and a .cts file
// with `import x = require()`), nodenext, bundler and node10. Each TypeScript
// project type-checks under `strict` with the repository's TypeScript and
// with skipLibCheck off, so the package's own declarations are checked too;
// each project then runs the README's quick start on a free port of
// 127.0.0.1: no token is a 401, the login gives a token, the token opens the
// route. arethetypeswrong checks the tarball as well, though it finds nothing
// wrong with declarations that say `export default` of a CommonJS module,
// which these TypeScript projects do catch.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  cleanEnvironment,
  declaredExports,
  installOffline,
  packFreshCopy,
  run,
  type PackedPackage,
  type Run
} from '../helpers/packed-package'

const ROOT = join(__dirname, '..', '..')
const CONSUMERS = join(ROOT, 'test', 'fixtures', 'package-consumers')
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const ATTW = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js')
const EXPORTS = declaredExports(join(ROOT, 'index.ts'))

interface ConsumerSetup {
  name: string
  /** The project's directory, under the consumers' root. */
  directory: string
  /** Its source, from test/fixtures/package-consumers/. */
  source: string
  /** package.json "type" of the project. */
  packageType: 'module' | 'commonjs'
  /** TypeScript projects: the module options of their tsconfig.json. JavaScript runs as it is. */
  compilerOptions?: Record<string, unknown>
}

const SETUPS: ConsumerSetup[] = [
  { name: 'CommonJS JavaScript', directory: 'js-commonjs', source: 'quick-start.cjs', packageType: 'commonjs' },
  { name: 'ES module JavaScript', directory: 'js-esm', source: 'quick-start.mjs', packageType: 'module' },
  {
    name: 'TypeScript node16, ES module',
    directory: 'ts-node16-esm',
    source: 'quick-start.ts',
    packageType: 'module',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' }
  },
  {
    // A .cts file is CommonJS even in an ES module project.
    name: 'TypeScript node16, CommonJS (.cts, import = require)',
    directory: 'ts-node16-cts',
    source: 'quick-start.cts',
    packageType: 'module',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' }
  },
  {
    name: 'TypeScript nodenext',
    directory: 'ts-nodenext',
    source: 'quick-start.ts',
    packageType: 'module',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }
  },
  {
    // As a Vite-style project sets it up.
    name: 'TypeScript bundler',
    directory: 'ts-bundler',
    source: 'quick-start.ts',
    packageType: 'module',
    compilerOptions: { module: 'preserve', moduleResolution: 'bundler', isolatedModules: true, verbatimModuleSyntax: true }
  },
  {
    // TypeScript 6 deprecates node10 resolution; older projects still use it.
    name: 'TypeScript node10',
    directory: 'ts-node10',
    source: 'quick-start-commonjs.ts',
    packageType: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' }
  }
]

/** What node runs: the source itself, or what tsc compiled it to. */
function entryOf (setup: ConsumerSetup): string {
  if (setup.compilerOptions === undefined) return setup.source
  return join('out', setup.source.replace(/\.cts$/, '.cjs').replace(/\.ts$/, '.js'))
}

/**
 * A file that imports every export of index.ts by name from the package: one
 * that the package's types miss does not compile. A .cts project reads them
 * off `import x = require()`, as its users do.
 */
function allExportsFile (setup: ConsumerSetup): { name: string, text: string } {
  const header = '// Every export of index.ts, by name, from the package.\n'
  if (setup.source.endsWith('.cts')) {
    const members = [...EXPORTS.values.map(name => `typeof fastifyJwtAuth.${name}`), ...EXPORTS.types.map(name => `fastifyJwtAuth.${name}`)]
    return {
      name: 'all-exports.cts',
      text: `${header}import fastifyJwtAuth = require('fastify-jwt-auth')\n\nexport type Exports = [\n  ${members.join(',\n  ')}\n]\n`
    }
  }
  const values = EXPORTS.values.map(name => name === 'default' ? 'default as defaultExport' : name)
  const imports = [...values, ...EXPORTS.types.map(name => `type ${name}`)]
  const used = values.map(value => value.split(' as ').at(-1))
  return {
    name: 'all-exports.ts',
    text: `${header}import {\n  ${imports.join(',\n  ')}\n} from 'fastify-jwt-auth'\n\nexport const values = [${used.join(', ')}]\n`
  }
}

/** Writes the setup's project; a TypeScript project also gets its tsconfig.json and the all-exports file. */
function writeConsumer (projectRoot: string, setup: ConsumerSetup): string {
  const directory = join(projectRoot, setup.directory)
  mkdirSync(directory)
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ private: true, type: setup.packageType }))
  copyFileSync(join(CONSUMERS, setup.source), join(directory, setup.source))
  if (setup.compilerOptions !== undefined) {
    const allExports = allExportsFile(setup)
    writeFileSync(join(directory, allExports.name), allExports.text)
    const compilerOptions = {
      strict: true,
      target: 'ES2022',
      types: ['node'],
      // The package's declarations are checked too, not skipped.
      skipLibCheck: false,
      rootDir: '.',
      outDir: 'out',
      ...setup.compilerOptions
    }
    writeFileSync(join(directory, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [setup.source, allExports.name] }))
  }
  return directory
}

const SECRET = randomBytes(48).toString('base64')

/** Starts the consumer's quick start and returns the address it listens on; it is stopped when the test ends. */
async function startConsumer (t: Test, directory: string, entry: string): Promise<string> {
  const child = spawn(process.execPath, [entry], {
    cwd: directory,
    env: cleanEnvironment({ AUTHJWT_SECRET_KEY: SECRET }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill()
    await once(child, 'exit')
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', chunk => { stderr += chunk })
  for await (const line of createInterface({ input: child.stdout })) {
    const address = /^listening on (\S+)$/.exec(line)?.[1]
    if (address !== undefined) return address
  }
  throw new Error(`${entry} ended without listening:\n${stderr}`)
}

const work = mkdtempSync(join(tmpdir(), 'fastify-jwt-auth-package-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const projectRoot = join(work, 'consumers')
let packed: PackedPackage
let installed: string
const typeChecks = new Map<ConsumerSetup, Promise<Run>>()
const directories = new Map<ConsumerSetup, string>()

t.before(async () => {
  packed = await packFreshCopy(ROOT, work)
  installed = await installOffline(packed.tarball, projectRoot, ROOT, ['fastify', '@types/node'])
  // One tsc per TypeScript project, all at once; each setup's test waits for its own.
  for (const setup of SETUPS) {
    const directory = writeConsumer(projectRoot, setup)
    directories.set(setup, directory)
    if (setup.compilerOptions !== undefined) {
      typeChecks.set(setup, run(process.execPath, [TSC, '-p', directory], { cwd: directory, env: cleanEnvironment() }))
    }
  }
})

t.test('the tarball holds the built package, its README, licence and changelog, and nothing else', async t => {
  const topLevel = packed.files.filter(file => !file.startsWith('dist/'))
  t.strictSame(topLevel, ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json'],
    'outside dist/: the changelog, the licence, the README and package.json')
  t.strictSame(packed.files.filter(file => file.startsWith('dist/') && !/\.(?:js|d\.ts)$/.test(file)), [],
    'dist/ holds JavaScript and declarations only: no source maps, no sources, no tests')

  const sources = ['index.ts', ...readdirSync(join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.ts'))
    .map(file => join('lib', file).split('\\').join('/'))]
  const missing = sources.flatMap(source => [source.replace(/\.ts$/, '.js'), source.replace(/\.ts$/, '.d.ts')])
    .map(file => `dist/${file}`)
    .filter(file => !packed.files.includes(file))
  t.strictSame(missing, [], 'prepack built every source file, with its declarations, on a copy without dist/')

  const mapped = packed.files.filter(file => file.endsWith('.js') && readFileSync(join(installed, file), 'utf8').includes('sourceMappingURL'))
  t.strictSame(mapped, [], 'no JavaScript file points at a source map')

  t.match(readFileSync(join(installed, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 fastify-jwt-auth contributors\n/,
    'the licence is the MIT licence package.json names')
})

t.test('package.json points at files the tarball holds, and says where the project lives', async t => {
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))
  t.equal(manifest.license, 'MIT', 'licence')
  t.match(manifest, {
    repository: { type: 'git', url: 'git+https://github.com/fastify-jwt-auth/fastify-jwt-auth.git' },
    homepage: 'https://github.com/fastify-jwt-auth/fastify-jwt-auth#readme',
    bugs: { url: 'https://github.com/fastify-jwt-auth/fastify-jwt-auth/issues' }
  }, 'repository, homepage and bugs')
  const entry = manifest.exports['.']
  t.strictSame(Object.keys(entry), ['types', 'default'], 'the types condition comes first, as TypeScript requires')
  for (const [field, path] of [['main', manifest.main], ['types', manifest.types], ['exports types', entry.types], ['exports default', entry.default]]) {
    t.ok(packed.files.includes(path.replace(/^\.\//, '')), `${field} (${path}) is in the tarball`)
  }
})

t.test('arethetypeswrong finds no problem in the tarball', async t => {
  // --no-definitely-typed: the package ships its own types, and nothing is fetched.
  const checked = await run(process.execPath, [ATTW, packed.tarball, '--format', 'json', '--no-definitely-typed'],
    { cwd: work, env: cleanEnvironment() })
  t.equal(checked.code, 0, `attw exits with 0: ${checked.stderr}`)
  const report = JSON.parse(checked.stdout)
  t.strictSame(Object.keys(report.analysis.entrypoints), ['.', './package.json'], 'the entry points of the exports map')
  t.strictSame(report.problems, {}, 'and no problem in any of them')
})

t.test('require() is the plugin with the named exports on it; import gives default and the named exports', async t => {
  const required = await run(process.execPath, ['-e', `
    const plugin = require('fastify-jwt-auth')
    console.log(JSON.stringify({ type: typeof plugin, defaultIsPlugin: plugin.default === plugin, names: Object.keys(plugin) }))
  `], { cwd: projectRoot, env: cleanEnvironment() })
  t.equal(required.code, 0, `require() loads the package: ${required.stderr}`)
  const commonJs = JSON.parse(required.stdout)
  t.equal(commonJs.type, 'function', 'require() gives a function, the plugin')
  t.ok(commonJs.defaultIsPlugin, 'require().default is the plugin')
  t.strictSame(EXPORTS.values.filter(name => !commonJs.names.includes(name)), [], 'every value index.ts exports is on require()')

  const imported = await run(process.execPath, ['--input-type=module', '-e', `
    import { createRequire } from 'node:module'
    import * as namespace from 'fastify-jwt-auth'
    const plugin = createRequire(process.cwd() + '/')('fastify-jwt-auth')
    const names = Object.keys(namespace).filter(name => name !== 'default' && namespace[name] === plugin[name])
    console.log(JSON.stringify({ defaultIsPlugin: namespace.default === plugin, names }))
  `], { cwd: projectRoot, env: cleanEnvironment() })
  t.equal(imported.code, 0, `import loads the package: ${imported.stderr}`)
  const esm = JSON.parse(imported.stdout)
  t.ok(esm.defaultIsPlugin, 'the default import is the plugin')
  t.strictSame(EXPORTS.values.filter(name => name !== 'default' && !esm.names.includes(name)), [],
    'every value index.ts exports is a named import, the same as on require()')
})

for (const setup of SETUPS) {
  t.test(`${setup.name}: the README's quick start`, async t => {
    const directory = directories.get(setup) as string
    const typeCheck = typeChecks.get(setup)
    if (typeCheck !== undefined) {
      const checked = await typeCheck
      t.equal(checked.code, 0, `type-checks and compiles under strict:\n${checked.stdout}${checked.stderr}`)
      if (checked.code !== 0) return
    }
    const address = await startConsumer(t, directory, entryOf(setup))
    t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, 'listens on 127.0.0.1')

    const anonymous = await fetch(`${address}/protected`)
    t.equal(anonymous.status, 401, 'no token: 401')
    t.equal((await anonymous.json()).code, 'FST_JWT_AUTH_MISSING_TOKEN', 'with the missing-token code')

    const login = await fetch(`${address}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'test', password: 'test' })
    })
    t.equal(login.status, 200, 'the login succeeds')
    const { access_token: token } = await login.json()
    t.type(token, 'string', 'and gives a token')

    const allowed = await fetch(`${address}/protected`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(allowed.status, 200, 'the token opens the route')
    // The TypeScript quick starts also put a typed claim in the token.
    const expected = setup.compilerOptions === undefined ? { logged_in_as: 'test' } : { logged_in_as: 'test', role: 'admin' }
    t.strictSame(await allowed.json(), expected, 'for the user who logged in')
  })
}
