// The README's code runs as written. Every TypeScript and JavaScript block
// type-checks under `strict` on its own; the quick start, as an ES module, as
// TypeScript and as CommonJS, serves the requests its curl session shows; the
// Tokens block runs with the default configuration; the Redis client of the
// Revocation block stays quiet while Redis is down.
//
// The conventions of README.md's code blocks:
// - `ts` and `js` blocks are type-checked; `sh` and `json` blocks are not code
//   to compile and are skipped; any other language fails here until it is
//   given a rule.
// - A block whose first line names a file (`// app.mjs`) is a whole file,
//   checked as that file and nothing else. Any other block is a fragment,
//   checked as an ES module (`.mts`, `.mjs`) that may use `app`, `handler`,
//   `request` and `secretKey` (see FRAGMENT_PREAMBLE) and imports the rest.
// - A block that must not be checked has `<!-- not checked: reason -->` on
//   the line before its fence; EXPECTED_NOT_CHECKED counts them, so that one
//   more is a decision, not an accident.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import ts from 'typescript'
import { buildApp } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { withEnvironment } from '../helpers/environment'
import { type CodeBlock, createBlockChecker, extractCodeBlocks } from '../helpers/readme-blocks'

const ROOT = join(__dirname, '..', '..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const blocks = extractCodeBlocks(README)

const CHECKED_LANGUAGES = new Set(['ts', 'js'])
const NOT_CODE_LANGUAGES = new Set(['sh', 'json'])
const EXPECTED_NOT_CHECKED = 0

const TSX_CLI = require.resolve('tsx/cli')

const isChecked = (block: CodeBlock): boolean => block.notChecked === undefined && CHECKED_LANGUAGES.has(block.language)

/** The blocks between the heading `heading` and the next heading of its level or above. */
function blocksOfSection (heading: string): CodeBlock[] {
  const lines = README.split('\n')
  const start = lines.indexOf(heading)
  if (start === -1) throw new Error(`README.md has no heading "${heading}"`)
  const level = heading.indexOf(' ')
  const next = lines.findIndex((line, index) => index > start && /^#+ /.test(line) && line.indexOf(' ') <= level)
  const end = next === -1 ? lines.length : next
  return blocks.filter(block => block.line > start && block.line <= end)
}

t.test('the block finder', async t => {
  const markdown = [
    '# Title', //                                   1
    '```TS', //                                     2
    'const a = 1', //                               3
    '```', //                                       4
    '- a list item:', //                            5
    '', //                                          6
    '  <!-- not checked: shows an error -->', //    7
    '  ~~~js', //                                   8
    '  // app.cjs', //                              9
    '    indented()', //                           10
    '  ```', //                                    11
    '  ~~~~', //                                   12
    '````', //                                     13
    '```sh', //                                    14
    '````' //                                      15
  ].join('\n')
  t.same(extractCodeBlocks(markdown), [
    { line: 2, language: 'ts', code: 'const a = 1', indent: 0 },
    {
      line: 8,
      language: 'js',
      code: '// app.cjs\n  indented()\n```',
      indent: 2,
      notChecked: 'shows an error',
      fileName: 'app.cjs'
    },
    { line: 13, language: '', code: '```sh', indent: 0 }
  ], 'fences of backticks or tildes, closed by a fence at least as long of the same character; ' +
    'the language in lower case; the fence\'s indentation removed; the marker\'s reason; the named file')
  t.same(extractCodeBlocks('<!-- not checked -->\n```ts\n// not a file name\n```')[0],
    { line: 2, language: 'ts', code: '// not a file name', indent: 0 },
    'a marker without a reason, or a first comment that is not a file name, counts for nothing')
  t.throws(() => extractCodeBlocks('text\n```ts\nconst a = 1\n'), { message: 'line 2: the code block is never closed' },
    'a block left open is an error naming its line')
})

t.test('every block is type-checked, skipped as not code, or marked as not checked', async t => {
  for (const block of blocks) {
    if (block.notChecked !== undefined) continue
    t.ok(CHECKED_LANGUAGES.has(block.language) || NOT_CODE_LANGUAGES.has(block.language),
      `README.md:${block.line}: the language "${block.language}" is checked (ts, js) or not code (sh, json)`)
  }
  const notChecked = blocks.filter(block => block.notChecked !== undefined)
  t.equal(notChecked.length, EXPECTED_NOT_CHECKED,
    `the blocks marked as not checked are the expected ones (${notChecked.map(block => `README.md:${block.line}`).join(', ')})`)
  t.ok(blocks.filter(isChecked).length >= 10, 'the README\'s code blocks are found')
})

t.test('every TypeScript and JavaScript block type-checks under strict', async t => {
  const check = createBlockChecker(ROOT)
  for (const block of blocks.filter(isChecked)) {
    const fileName = block.fileName ?? (block.language === 'ts' ? 'fragment.mts' : 'fragment.mjs')
    t.same(check({ block, fileName, fragment: block.fileName === undefined }), [],
      `README.md:${block.line} (${fileName}) type-checks`)
    // The README says an ES module in JavaScript is valid TypeScript too;
    // TypeScript also checks more than it does in JavaScript (types of
    // destructured values, for one).
    if (fileName.endsWith('.mjs')) {
      const asTypeScript = fileName.replace(/\.mjs$/, '.mts')
      t.same(check({ block, fileName: asTypeScript, fragment: block.fileName === undefined }), [],
        `README.md:${block.line} also type-checks as TypeScript (${asTypeScript})`)
    }
  }
})

/** A fetch answer in the shape expectAuthError reads. */
async function answer (response: Response): Promise<{ statusCode: number, headers: Record<string, string>, json: () => unknown }> {
  const body = await response.text()
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), json: () => JSON.parse(body) }
}

/**
 * A directory holding `files` and a tsconfig.json mapping `fastify-jwt-auth`
 * to the built package in dist/ (`npm test` builds it first), as an install
 * would: the program then runs what users run, and loads none of the sources
 * through another loader, whose coverage would not fit the test runner's.
 */
function programDirectory (t: Test, files: Record<string, string>): string {
  const built = join(ROOT, 'dist', 'index.js')
  if (!existsSync(built)) throw new Error('dist/ is not built: run `npm run build` first (npm test does)')
  const tsconfig = { compilerOptions: { paths: { 'fastify-jwt-auth': [built] } } }
  return t.testdir({ ...files, 'tsconfig.json': JSON.stringify(tsconfig) })
}

/** The environment of a program run from the README: no AUTHJWT_* of this machine but a secret, plus `variables`. */
function programEnvironment (variables: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment = { ...process.env }
  for (const name of Object.keys(environment)) {
    if (name.startsWith('AUTHJWT_')) delete environment[name]
  }
  // What `openssl rand -base64 48` prints.
  return { ...environment, AUTHJWT_SECRET_KEY: randomBytes(48).toString('base64'), ...variables }
}

/** Runs `fileName` of `directory` with tsx, as `node <file>` would run it, stopping it when `t` ends. */
function runProgram (t: Test, directory: string, fileName: string, environment: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [TSX_CLI, '--tsconfig', join(directory, 'tsconfig.json'), fileName], {
    cwd: directory,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill()
    await exited
  })
  return { child, exited, stderr: () => stderr }
}

/** Starts a quick start program and resolves to the address it prints once it listens. */
async function startQuickStart (t: Test, directory: string, fileName: string): Promise<string> {
  const { child, exited, stderr } = runProgram(t, directory, fileName, programEnvironment())
  const listening = new Promise<string>(resolve => {
    createInterface({ input: child.stdout }).on('line', line => {
      const address = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1]
      if (address !== undefined) resolve(address)
    })
  })
  const stopped = exited.then(([code]) => {
    throw new Error(`${fileName} exited with code ${code} before listening:\n${stderr()}`)
  })
  return Promise.race([listening, stopped])
}

async function postJson (url: string, body?: object): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  })
}

t.test('the quick start runs as pasted', async t => {
  const wholeFiles = blocksOfSection('## Quick start').filter(block => block.fileName !== undefined)
  const [esm, commonJs] = wholeFiles
  t.same(wholeFiles.map(block => block.fileName), ['app.mjs', 'app.cjs'], 'the quick start is an ES module and a CommonJS file')
  if (esm === undefined || commonJs === undefined) return
  const programs = [
    { fileName: 'app.mjs', code: esm.code },
    // The README says the ES module also runs as TypeScript.
    { fileName: 'app.mts', code: esm.code },
    { fileName: 'app.cjs', code: commonJs.code }
  ]

  for (const { fileName, code } of programs) {
    t.test(fileName, async t => {
      // On a free port of 127.0.0.1 instead of 8000 on every interface.
      const [before, after, ...more] = code.split('app.listen({ port: 8000 }')
      t.equal(more.length, 0, `${fileName} listens once, with app.listen({ port: 8000 }`)
      t.not(after, undefined, `${fileName} calls app.listen({ port: 8000 }`)
      const program = `${before}app.listen({ port: 0, host: '127.0.0.1' }${after}`
      const base = await startQuickStart(t, programDirectory(t, { [fileName]: program }), fileName)

      const anonymous = await answer(await fetch(`${base}/protected`))
      expectAuthError(t, anonymous, 'FST_JWT_AUTH_MISSING_TOKEN',
        { message: 'Missing Authorization Header', what: `${fileName}: no token` })

      const wrongPassword = await postJson(`${base}/login`, { username: 'test', password: 'nope' })
      t.equal(wrongPassword.status, 401, `${fileName}: a wrong password gets no token`)
      t.equal((await postJson(`${base}/login`)).status, 401, `${fileName}: a login without a body is a 401, not a 500`)

      const login = await postJson(`${base}/login`, { username: 'test', password: 'test' })
      t.equal(login.status, 200, `${fileName}: test/test logs in`)
      const { access_token: token } = await login.json() as { access_token: unknown }
      t.type(token, 'string', `${fileName}: the login answers an access token`)

      const protectedResponse = await fetch(`${base}/protected`, { headers: { authorization: `Bearer ${String(token)}` } })
      t.equal(protectedResponse.status, 200, `${fileName}: the token opens /protected`)
      t.same(await protectedResponse.json(), { logged_in_as: 'test' }, `${fileName}: /protected names the user`)
    })
  }
})

t.test('the Tokens block runs with the default configuration', async t => {
  withEnvironment(t)
  const [block] = blocksOfSection('## Tokens')
  if (block === undefined) throw new Error('README.md has no code block under "## Tokens"')
  t.notMatch(block.code, /^import /m, 'the Tokens block imports nothing, so it runs as a handler\'s body')
  const body = ts.transpileModule(block.code, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText
  const AsyncFunction = (async () => {}).constructor as new (...parameters: string[]) => (request: unknown) => Promise<void>
  const runBlock = new AsyncFunction('request', body)

  const app = await buildApp(t) // a secret, and every other option at its default
  app.get('/tokens', async request => {
    await runBlock(request)
    return { ran: true }
  })
  const response = await app.inject('/tokens')
  t.same({ statusCode: response.statusCode, body: response.json() }, { statusCode: 200, body: { ran: true } },
    'the block creates its tokens without an error')
})

/** A port of 127.0.0.1 that nothing listens on: a connection to it is refused. */
async function refusedPort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

// A fragment run as a program: the names FRAGMENT_PREAMBLE declares, made real.
const RUNTIME_PREAMBLE = `import Fastify from 'fastify'
const app = Fastify()
const secretKey = process.env.AUTHJWT_SECRET_KEY as string
`

t.test('the Redis client of the Revocation block stays quiet while Redis is down', async t => {
  const [block, ...others] = blocks.filter(block => isChecked(block) && block.code.includes('new Redis('))
  t.equal(others.length, 0, 'one block creates an ioredis client')
  if (block === undefined) throw new Error('README.md has no block creating an ioredis client')
  t.match(block.code, /^const redis = new Redis\(/m, 'the block names its client redis')
  // Runs until ioredis has failed to connect once (an 'error', then
  // 'reconnecting'): without a listener, that error is printed to stderr.
  // (events.once would listen for 'error' itself.)
  const program = `${RUNTIME_PREAMBLE}${block.code}
await new Promise(resolve => redis.once('reconnecting', resolve))
redis.disconnect()
await app.close()
`
  const directory = programDirectory(t, { 'revocation.mts': program })
  const environment = programEnvironment({ REDIS_URL: `redis://127.0.0.1:${await refusedPort()}` })
  const { exited, stderr } = runProgram(t, directory, 'revocation.mts', environment)
  const [code] = await exited
  t.equal(code, 0, 'the block runs through with Redis down')
  t.equal(stderr(), '', 'and prints nothing about the failed connection')
})
