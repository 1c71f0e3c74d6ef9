// The benchmark runner: `npm run bench` (see bench/README.md).
//
// This process, the load generator (autocannon), is pinned to CPU 0 and each
// variant's server (bench/server.ts) to CPU 1. Every round starts new server
// processes, checks them, and loads each (variant, mode) once, in an order
// reversed every other round. A ratio is computed within each round and its
// median over the rounds reported, so that a slow moment of the machine hits
// both its sides; next to it, the same ratio computed from the server's CPU
// time per request, which a busy machine barely moves.
//
// Every variant gets the same tokens: the runner signs them once per run,
// for each algorithm the chosen variants use, with a secret and key pairs
// it hands to every server (bench/keys.ts).
//
// At the end, the median requests/s of each run go into an SVG chart
// (bench/chart.ts), bench/chart.svg unless BENCH_CHART says otherwise.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once, type EventEmitter } from 'node:events'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { isDeepStrictEqual } from 'node:util'
import autocannon from 'autocannon'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { renderBenchChart } from './chart'
import { prebuiltRequest, sendPrebuilt, type PrebuiltRequest } from './requests'
import { encodeKeyPairs, generateKeyPairs, KEYS_VARIABLE, type BenchAlgorithm, type KeyPairs } from './keys'
import {
  isVariant, LOGIN_ROUTE, MODE_LABELS, MODES, pluginKeyOptions, RATIOS, RESPONSE, ROUTE, VARIANTS,
  type Load, type LoginTokens, type Mode, type Variant, type VariantSpec
} from './variants'

const ROOT = path.join(__dirname, '..')
const CONNECTIONS = 50
/**
 * Tokens for the new-token runs, per algorithm: more than a server gets
 * through in a round (its warm-up and its run: up to 45,000 HS256 tokens a
 * second on the bare route, 18,000 RS256 ones), so that no token comes back
 * to the server that saw it: neither the guard's cache (which admits a token
 * on its second sighting) nor any other can help. Signing takes about 2 s
 * for the HS256 ones, 20 s for RS256 and 2 s each for ES256 and EdDSA.
 */
const NEW_TOKENS: Record<BenchAlgorithm, number> = { HS256: 300_000, RS256: 90_000, ES256: 70_000, EdDSA: 70_000 }
/** Usernames the login runs send, shared out among the connections as the new tokens are. */
const LOGIN_USERS = 1_000
/** What the login route's tokens must live, for both libraries: 15 minutes and 30 days. */
const LOGIN_LIFETIMES = { access: 900, refresh: 2_592_000 }
const SERVER_START_TIMEOUT_MS = 30_000
/** Below this, the server waited for requests: the load generator set the pace. */
const SATURATED_CPU_PERCENT = 90

interface Settings {
  duration: number
  rounds: number
  warmup: number
  variants: Variant[]
  redisUrl: string
  pin: boolean
  /** Where the chart goes; null: no chart. */
  chart: string | null
}

/** The tokens of one algorithm. */
interface Tokens {
  reused: string
  perRequest: string[]
  /** The reused token's claims signed with another secret or key pair: the servers must refuse it. */
  foreign: string
  /** The measured route's requests, built once: with the reused token, and with the new tokens shared out among the connections. */
  requests: { reused: PrebuiltRequest, newTokens: PrebuiltRequest[][] }
}

/** The HS256 secret and the key pairs. */
interface Keys {
  secret: string
  pairs: KeyPairs
}

/** What the steps of a benchmark share. */
interface Bench {
  settings: Settings
  pinned: boolean
  keys: Keys
  /** For each algorithm the variants use. */
  tokens: Map<BenchAlgorithm, Tokens>
  /** The running servers, stopped whatever happens. */
  children: Set<ChildProcess>
}

/** A running server process. */
interface Server {
  url: string
  /**
   * Where each connection stands in its share of the new tokens: each
   * new-token run goes on from there. Started again from the first token, a
   * measured run would send the very tokens its warm-up just left in the
   * guard's cache (all of them, when the warm-up sent fewer than the cache
   * holds, as it does with slow signatures).
   */
  positions: number[]
  /** Set once a connection has sent its whole share: its tokens came back to this server. */
  tokensCameBack: boolean
}

interface Run extends Load {
  requestsPerSecond: number
  /** Server CPU time over wall time: near 100, the server set the pace. */
  serverCpuPercent: number
  /** What a request cost the server, whoever set the pace. */
  serverCpuMicrosPerRequest: number
}

function readSettings (env: NodeJS.ProcessEnv): Settings {
  const number = (name: string, fallback: number, minimum: number): number => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name])
    if (!Number.isFinite(value) || value < minimum) throw new Error(`${name} must be a number ≥ ${minimum}, not "${env[name]}"`)
    return value
  }
  const variants = (env.BENCH_VARIANTS ?? '').split(',').map(name => name.trim()).filter(name => name !== '')
  const unknown = variants.find(name => !isVariant(name))
  if (unknown !== undefined) throw new Error(`BENCH_VARIANTS: unknown variant "${unknown}" (known: ${Object.keys(VARIANTS).join(', ')})`)
  return {
    duration: number('BENCH_DURATION', 3, 1),
    rounds: Math.round(number('BENCH_ROUNDS', 3, 1)),
    warmup: number('BENCH_WARMUP', 1, 0),
    variants: (variants.length > 0 ? variants : Object.keys(VARIANTS)) as Variant[],
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    pin: env.BENCH_PIN !== '0',
    chart: env.BENCH_CHART === undefined ? path.join(__dirname, 'chart.svg') : env.BENCH_CHART === '' ? null : path.resolve(env.BENCH_CHART)
  }
}

/** Why dist/, which the servers load, would measure old code (missing, or older than a source), or null. */
function staleBuild (): string | null {
  const builtAt = statSync(path.join(ROOT, 'dist', 'index.js'), { throwIfNoEntry: false })?.mtimeMs
  if (builtAt === undefined) return 'dist/index.js is missing: run `npm run build` (`npm run bench` does)'
  const sources = ['index.ts', ...readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.ts')).map(file => path.join('lib', file))]
  const newer = sources.find(file => statSync(path.join(ROOT, file)).mtimeMs > builtAt)
  return newer === undefined ? null : `${newer} changed after the last build: run \`npm run build\` (\`npm run bench\` does)`
}

/** Pins this process's threads to CPU 0 (servers go to CPU 1); false without taskset or a CPU 1. */
function pinLoadGenerator (): boolean {
  const taskset = (args: string[]): boolean => spawnSync('taskset', args, { stdio: 'ignore' }).status === 0
  return taskset(['-c', '1', 'true']) && taskset(['-a', '-p', '-c', '0', String(process.pid)])
}

async function redisUnreachable (url: string): Promise<string | null> {
  let cause = 'no answer'
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', error => { cause = error.message })
  const reason = await client.ping().then(() => null, () => `Redis at ${url} is unreachable (${cause})`)
  client.disconnect()
  return reason
}

/** Signs with the built plugin, so that tokens carry the claims it issues; registered as the guard variants register it. */
async function tokenSigner (algorithm: BenchAlgorithm, keys: Keys): Promise<(subject: string) => string> {
  const { default: fastifyJwtAuth } = require('../dist/index.js') as typeof import('../index')
  const app = Fastify()
  await app.register(fastifyJwtAuth, pluginKeyOptions(algorithm, keys.secret, keys.pairs))
  return subject => app.authJwt.createAccessToken({ subject, expiresTime: 3600 })
}

async function signTokens (algorithm: BenchAlgorithm, keys: Keys, foreignKeys: Keys): Promise<Tokens> {
  const sign = await tokenSigner(algorithm, keys)
  const reused = sign('user')
  const perRequest = Array.from({ length: NEW_TOKENS[algorithm] }, (_, i) => sign(`user-${i}`))
  const routeRequest = (token: string): PrebuiltRequest => prebuiltRequest('GET', ROUTE, { authorization: `Bearer ${token}` })
  return {
    reused,
    perRequest,
    foreign: (await tokenSigner(algorithm, foreignKeys))('user'),
    requests: { reused: routeRequest(reused), newTokens: shareOut(perRequest.map(routeRequest)) }
  }
}

function newKeys (): Keys {
  return { secret: randomBytes(32).toString('base64url'), pairs: generateKeyPairs() }
}

/** Starts the variant's server. */
async function startServer (variant: Variant, bench: Bench): Promise<Server> {
  const nodeArgs = ['--import', 'tsx', path.join(__dirname, 'server.ts'), variant]
  const [command, args] = bench.pinned ? ['taskset', ['-c', '1', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Keys go in the environment: never on the command line, which any process can read.
    env: {
      ...process.env,
      BENCH_SECRET: bench.keys.secret,
      [KEYS_VARIABLE]: encodeKeyPairs(bench.keys.pairs),
      REDIS_URL: bench.settings.redisUrl,
      NODE_ENV: 'production'
    }
  })
  bench.children.add(child)
  child.once('exit', () => bench.children.delete(child))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  try {
    // Only the first of these events settles the promise.
    const line = await new Promise<string>((resolve, reject) => {
      setTimeout(() => reject(new Error('it printed no port in time')), SERVER_START_TIMEOUT_MS).unref()
      child.once('error', reject)
      child.once('close', code => reject(new Error(`it exited with code ${code}`)))
      createInterface({ input: child.stdout }).once('line', resolve)
    })
    return { url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, positions: new Array<number>(CONNECTIONS).fill(0), tokensCameBack: false }
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`The ${variant} server did not start: ${errorMessage(error)}\n${stderr}`)
  }
}

async function stopServers (children: Set<ChildProcess>): Promise<void> {
  await Promise.all([...children].map(child => {
    const exited = once(child, 'exit')
    child.kill()
    return exited
  }))
}

async function get (url: string, token?: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

/**
 * Before anything is measured: the route answers, a guard refuses what it
 * must, and a variant takes a reused token's claims from a cache exactly when
 * it is meant to (the runs then check every response is a 2xx). A guard that
 * lets anything in, or a cache that is not on, would make the figures lie.
 */
async function checkServer (variant: Variant, url: string, allTokens: Map<BenchAlgorithm, Tokens>, modes: Set<Mode>): Promise<void> {
  const spec: VariantSpec = VARIANTS[variant]
  const tokens = allTokens.get(spec.algorithm) as Tokens
  const fail = (what: string): never => { throw new Error(`Check of the ${variant} server failed: ${what}`) }
  const { status: okStatus, body: okBody } = await get(url + ROUTE, tokens.reused)
  if (okStatus !== 200 || !isDeepStrictEqual(okBody, RESPONSE)) fail(`the reused token got ${okStatus} ${JSON.stringify(okBody)}`)
  if (modes.has('login')) await checkLogin(url, tokens, fail)
  if (!spec.guarded) return
  // The subject the measured route's handler reads is the token's.
  const { body: { subject } } = await get(`${url}/__bench/subject`, tokens.reused)
  if (subject !== 'user') fail(`the handler read the subject ${JSON.stringify(subject)} instead of "user"`)
  // The reused token's header and payload under another token's signature.
  const forged = [...tokens.reused.split('.').slice(0, 2), tokens.perRequest[0].split('.')[2]].join('.')
  for (const [name, token] of [
    ['no token', undefined],
    ['a forged token', forged],
    [`a token signed with another ${spec.algorithm === 'HS256' ? 'secret' : 'key pair'}`, tokens.foreign]
  ] as const) {
    const { status } = await get(url + ROUTE, token)
    if (status !== 401) fail(`${name} got ${status} instead of 401`)
  }
  // The other algorithms' tokens, signed with keys the server also holds.
  // Refused, but not always with a 401: @fastify/jwt passes fast-jwt's
  // FAST_JWT_INVALID_ALGORITHM on as it is, a 500.
  for (const [algorithm, { reused }] of allTokens) {
    if (algorithm === spec.algorithm) continue
    const { status } = await get(url + ROUTE, reused)
    if (status < 400) fail(`an ${algorithm} token got ${status}`)
  }
  // The reused token's third and fourth requests: fastify-jwt-auth caches a
  // token from its second verification on, fast-jwt's cache from its first.
  await get(`${url}/__bench/claims`, tokens.reused)
  const { body: claims } = await get(`${url}/__bench/claims`, tokens.reused)
  if (claims.sameAsPrevious !== spec.cachesClaims) fail(`a reused token's claims were ${spec.cachesClaims ? 'not ' : ''}taken from a cache`)
  if (spec.denylist === null) return
  const { status, body } = await get(url + ROUTE, String((await get(`${url}/__bench/revoked`)).body.token))
  if (status !== 401 || body.code !== 'FST_JWT_AUTH_TOKEN_REVOKED') fail(`a revoked token got ${status} ${String(body.code)}`)
}

/**
 * The login route, before it is measured: a bad body gets 400, and a good
 * one an access and a refresh token for the username, which the variant's
 * own verifier accepts, of the type and lifetime they are meant to have; the
 * access token opens the measured route. Failures never quote a token.
 */
async function checkLogin (url: string, tokens: Tokens, fail: (what: string) => never): Promise<void> {
  const post = async (body: unknown): Promise<{ status: number, body: Partial<Record<keyof LoginTokens, unknown>> }> => {
    const response = await fetch(url + LOGIN_ROUTE, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: response.status, body: await response.json() as Partial<Record<keyof LoginTokens, unknown>> }
  }
  const { status: badStatus } = await post({ username: '' })
  if (badStatus !== 400) fail(`the login route answered an empty username with ${badStatus} instead of 400`)
  const username = 'user-check'
  const { status, body } = await post({ username })
  const { access_token: access, refresh_token: refresh } = body
  if (status !== 200 || typeof access !== 'string' || typeof refresh !== 'string') {
    fail(`the login route answered ${status} with ${JSON.stringify(Object.keys(body))} instead of 200 with access_token and refresh_token`)
  }
  for (const [type, token] of [['access', access], ['refresh', refresh]] as const) {
    const { status: verifyStatus, body: { claims } } = await get(`${url}/__bench/verify`, token as string)
    const { sub, exp, iat, type: claimedType } = (claims ?? {}) as Record<string, unknown>
    if (verifyStatus !== 200) fail(`the login route's ${type} token did not verify (${verifyStatus})`)
    if (sub !== username) fail(`the login route's ${type} token has the subject ${JSON.stringify(sub)} instead of "${username}"`)
    if (typeof exp !== 'number' || typeof iat !== 'number' || exp - iat !== LOGIN_LIFETIMES[type]) {
      fail(`the login route's ${type} token lives ${typeof exp === 'number' && typeof iat === 'number' ? exp - iat : '?'} s instead of ${LOGIN_LIFETIMES[type]} s`)
    }
    if ((claimedType === 'refresh') !== (type === 'refresh')) fail(`the login route's ${type} token has the type ${JSON.stringify(claimedType)}`)
  }
  const { status: routeStatus } = await get(url + ROUTE, access as string)
  if (routeStatus !== 200) fail(`the login route's access token got ${routeStatus} on ${ROUTE}`)
  // The forged token proves the verifier is not a stub that accepts anything.
  const forged = [...(access as string).split('.').slice(0, 2), tokens.perRequest[0].split('.')[2]].join('.')
  if ((await get(`${url}/__bench/verify`, forged)).status !== 401) fail('the variant\'s verifier accepted a forged token')
}

/** Item i to connection i mod CONNECTIONS. */
function shareOut<T> (items: T[]): T[][] {
  const shares: T[][] = Array.from({ length: CONNECTIONS }, () => [])
  items.forEach((item, i) => shares[i % CONNECTIONS].push(item))
  return shares
}

/** The login runs' requests: a different username on most requests. */
const LOGIN_REQUESTS = shareOut(Array.from({ length: LOGIN_USERS }, (_, n) =>
  prebuiltRequest('POST', LOGIN_ROUTE, { 'content-type': 'application/json' }, JSON.stringify({ username: `user-${n}` }))))

/** Each connection sends its share of requests in turn, from `start` on (all from the first without). */
function loadInTurn (url: string, seconds: number, shares: PrebuiltRequest[][], start?: number[],
  onResponse?: (connection: number) => void): Promise<autocannon.Result> {
  let nextClient = 0
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    setupClient: client => {
      const connection = nextClient++ % CONNECTIONS
      sendPrebuilt(client, shares[connection], start?.[connection] ?? 0)
      // A client is an EventEmitter (autocannon's `Client` events), which bench/autocannon.d.ts does not declare.
      if (onResponse !== undefined) (client as unknown as EventEmitter).on('response', () => onResponse(connection))
    }
  })
}

async function load (server: Server, mode: Mode, tokens: Tokens, seconds: number): Promise<autocannon.Result> {
  if (mode === 'reused') {
    return loadInTurn(server.url + ROUTE, seconds, Array.from({ length: CONNECTIONS }, () => [tokens.requests.reused]))
  }
  if (mode === 'login') return loadInTurn(server.url + LOGIN_ROUTE, seconds, LOGIN_REQUESTS)
  // Token i goes to connection i mod CONNECTIONS, which sends its share in
  // turn: no two connections send the same token. Each connection starts
  // where it stopped in the previous run.
  const shares = tokens.requests.newTokens
  const responses = new Array<number>(CONNECTIONS).fill(0)
  const result = await loadInTurn(server.url + ROUTE, seconds, shares, server.positions, connection => { responses[connection]++ })
  // One more: the request that may have been in flight when the run stopped.
  responses.forEach((count, connection) => {
    const reached = server.positions[connection] + count + 1
    // Tokens this server saw came back: a cache could have answered them.
    if (reached > shares[connection].length) server.tokensCameBack = true
    server.positions[connection] = reached % shares[connection].length
  })
  return result
}

/** A benchmark of error responses measures nothing: any one aborts it. */
function assertClean (result: autocannon.Result, label: string): void {
  const problems = Object.entries(result.statusCodeStats).filter(([code]) => !code.startsWith('2')).map(([code, { count }]) => `${count} × ${code}`)
  if (result.errors > 0) problems.push(`${result.errors} errors`)
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`)
  if (result.requests.total === 0) problems.push('no request completed')
  if (problems.length > 0) throw new Error(`${label}: ${problems.join(', ')}`)
}

async function measure (server: Server, { variant, mode }: Load, label: string, bench: Bench): Promise<Run> {
  const serverCpuMicros = async (): Promise<number> => (await get(`${server.url}/__bench/cpu`)).body.micros as number
  const tokens = bench.tokens.get(VARIANTS[variant].algorithm) as Tokens
  if (bench.settings.warmup > 0) assertClean(await load(server, mode, tokens, bench.settings.warmup), `${label}, warm-up`)
  const cpuBefore = await serverCpuMicros()
  const started = process.hrtime.bigint()
  const result = await load(server, mode, tokens, bench.settings.duration)
  const wallMicros = Number(process.hrtime.bigint() - started) / 1000
  const serverMicros = await serverCpuMicros() - cpuBefore
  assertClean(result, label)
  if (server.tokensCameBack) {
    console.log(`  ${label}: more requests than new tokens, which came back to the server: raise NEW_TOKENS in bench/run.ts`)
    server.tokensCameBack = false
  }
  const requests = result.requests.total
  return {
    variant,
    mode,
    requestsPerSecond: requests / result.duration,
    serverCpuPercent: 100 * serverMicros / wallMicros,
    serverCpuMicrosPerRequest: serverMicros / requests
  }
}

function median (values: number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length === 0 ? null : sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * A row per ratio: its value in each round, the median of those, the same
 * median from CPU cost per request (the denominator's over the numerator's:
 * the ratio a saturated server would show), the target and the verdict.
 */
function ratioRows (rounds: Run[][], skipped: Set<Variant>): string[][] {
  return RATIOS.map(({ name, numerator, denominator, minimum }) => {
    const pairs = rounds.map(runs => [numerator, denominator].map(side => runs.find(run => run.variant === side.variant && run.mode === side.mode)))
      .filter((pair): pair is Run[] => pair.every(run => run !== undefined))
    const perRound = pairs.map(([top, bottom]) => top.requestsPerSecond / bottom.requestsPerSecond)
    const value = median(perRound)
    const cpuBased = median(pairs.map(([top, bottom]) => bottom.serverCpuMicrosPerRequest / top.serverCpuMicrosPerRequest))
    // Only a variant left out or skipped leaves a ratio without a value.
    const absent = [numerator.variant, denominator.variant].find(variant => !rounds[0].some(run => run.variant === variant)) as Variant
    const verdict = value === null
      ? `n/a (${absent} ${skipped.has(absent) ? 'skipped' : 'not in BENCH_VARIANTS'})`
      : minimum === undefined ? 'info' : value >= minimum ? 'PASS' : 'MISS'
    return [name, perRound.map(ratio => ratio.toFixed(2)).join(' '), value?.toFixed(2) ?? '-', cpuBased?.toFixed(2) ?? '-',
      minimum === undefined ? '-' : `≥ ${minimum.toFixed(2)}`, verdict]
  })
}

/** Columns named in `textColumns` are aligned left, the figures right. */
function table (header: string[], rows: string[][], textColumns: string[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map(row => row[i].length)))
  const line = (cells: string[]): string =>
    cells.map((cell, i) => textColumns.includes(header[i]) ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join('  ').trimEnd()
  return [line(header), widths.map(width => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

function report (rounds: Run[][], skipped: Set<Variant>): void {
  console.log('\nEach run, after its warm-up:\n')
  console.log(table(['round', 'variant', 'mode', 'req/s', 'server CPU %', 'µs CPU/req'], rounds.flatMap((runs, i) => runs.map(run => [
    String(i + 1), run.variant, run.mode, run.requestsPerSecond.toFixed(0), run.serverCpuPercent.toFixed(0), run.serverCpuMicrosPerRequest.toFixed(1)
  ])), ['variant', 'mode']))
  console.log('\nMedians over the rounds of the per-round ratios:\n')
  console.log(table(['ratio', 'req/s per round', 'median', 'CPU-based median', 'target', 'verdict'], ratioRows(rounds, skipped), ['ratio', 'req/s per round', 'verdict']))
  const runs = rounds.flat()
  const unsaturated = runs.filter(run => run.serverCpuPercent < SATURATED_CPU_PERCENT).length
  if (unsaturated > 0) {
    console.log(`\n${unsaturated} of ${runs.length} runs kept the server below ${SATURATED_CPU_PERCENT} % CPU: the load generator set their pace, ` +
      'so the req/s ratios using them understate what authentication costs; the CPU-based ones do not.')
  }
}

/** The chart of the median requests/s over the rounds of each variant in each of its modes. */
function chart (rounds: Run[][], variants: Variant[], settings: Settings): string {
  const requestsPerSecond = (variant: Variant, mode: Mode): number | null =>
    median(rounds.flat().filter(run => run.variant === variant && run.mode === mode).map(run => run.requestsPerSecond))
  return renderBenchChart({
    node: process.version,
    cpu: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    rounds: settings.rounds,
    durationSeconds: settings.duration,
    date: new Date(),
    series: MODES.map(mode => ({ key: mode, label: MODE_LABELS[mode] })),
    groups: variants.map(variant => ({ name: variant, values: Object.fromEntries(MODES.map(mode => [mode, requestsPerSecond(variant, mode)])) }))
  })
}

async function main (children: Set<ChildProcess>): Promise<void> {
  const stale = staleBuild()
  if (stale !== null) throw new Error(stale)
  const settings = readSettings(process.env)
  const pinned = settings.pin && pinLoadGenerator()
  const loadAverageBefore = os.loadavg()[0]
  console.log(`fastify-jwt-auth benchmark: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ` +
    (pinned ? 'load generator on CPU 0, servers on CPU 1 (taskset)' : 'not pinned: load generator and servers share the CPUs'))
  console.log(`${settings.rounds} round(s) × ${settings.duration} s per run (+ ${settings.warmup} s warm-up), ${CONNECTIONS} connections`)
  const skipped = new Set<Variant>()
  for (const variant of settings.variants.filter(variant => VARIANTS[variant].denylist === 'redis')) {
    const reason = await redisUnreachable(settings.redisUrl)
    if (reason === null) continue
    console.log(`${variant} skipped: ${reason}`)
    skipped.add(variant)
  }
  const variants = settings.variants.filter(variant => !skipped.has(variant))
  const keys = newKeys()
  // Only for the foreign tokens, which every guard must refuse.
  const foreignKeys = newKeys()
  const tokens = new Map<BenchAlgorithm, Tokens>()
  const signingTimes: string[] = []
  for (const algorithm of new Set(variants.map(variant => VARIANTS[variant].algorithm))) {
    const started = process.hrtime.bigint()
    tokens.set(algorithm, await signTokens(algorithm, keys, foreignKeys))
    signingTimes.push(`${algorithm} ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`)
  }
  console.log(`New tokens per algorithm: ${[...tokens].map(([algorithm, { perRequest }]) => `${algorithm} ${perRequest.length}`).join(', ')}; ` +
    `signed in ${signingTimes.join(', ')}`)
  const bench: Bench = { settings, pinned, keys, tokens, children }

  // Each variant runs in the modes its ratios use.
  const loads = variants.flatMap(variant => MODES.filter(mode => RATIOS.some(({ numerator, denominator }) =>
    [numerator, denominator].some(side => side.variant === variant && side.mode === mode))).map(mode => ({ variant, mode })))
  const rounds: Run[][] = []
  for (let round = 1; round <= settings.rounds; round++) {
    // New processes every round: two processes running the same code can
    // differ in speed by 10 to 20 % for their whole life (JIT, memory
    // layout), which would then be in every round, out of a median's reach.
    const servers = new Map<Variant, Server>()
    for (const variant of variants) {
      const server = await startServer(variant, bench)
      servers.set(variant, server)
      await checkServer(variant, server.url, bench.tokens, new Set(loads.filter(load => load.variant === variant).map(load => load.mode)))
    }
    const runs: Run[] = []
    for (const load of round % 2 === 1 ? loads : [...loads].reverse()) {
      const label = `round ${round}: ${load.variant} (${load.mode})`
      const run = await measure(servers.get(load.variant) as Server, load, label, bench)
      runs.push(run)
      console.log(`  ${label} ${run.requestsPerSecond.toFixed(0)} req/s, server CPU ${run.serverCpuPercent.toFixed(0)} %, ` +
        `${run.serverCpuMicrosPerRequest.toFixed(1)} µs/request`)
    }
    rounds.push(runs)
    await stopServers(children)
  }

  report(rounds, skipped)
  if (settings.chart !== null) {
    writeFileSync(settings.chart, chart(rounds, variants, settings))
    console.log(`\nChart of the median requests/s: ${path.relative(process.cwd(), settings.chart) || settings.chart}`)
  }
  console.log(`\nLoad average (1 min): ${loadAverageBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after (the benchmark itself adds about 2).`)
}

function errorMessage (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function start (): void {
  const children = new Set<ChildProcess>()
  // Whatever ends the runner, no server outlives it.
  process.once('exit', () => { for (const child of children) child.kill('SIGKILL') })
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130))
  main(children).catch(async (error: unknown) => {
    console.error(`\nBenchmark aborted: ${errorMessage(error)}`)
    process.exitCode = 1
    await stopServers(children)
  })
}

start()
