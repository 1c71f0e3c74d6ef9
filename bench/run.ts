// The benchmark: `npm run bench`. See bench/README.md.
//
// One server process per variant (bench/server.ts), pinned to CPU 1; this
// process, which generates the load with autocannon, pinned to CPU 0. Several
// rounds, each running every (variant, mode) once, in alternating order; the
// verdicts use the median over rounds of the ratios measured within a round,
// so that a slow moment of the machine hits both sides of a ratio.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { isDeepStrictEqual } from 'node:util'
import autocannon from 'autocannon'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import fastifyJwtAuth from '../index'
import { RESPONSE, ROUTE, VARIANTS, type Variant } from './server'

const ALL_MODES = ['reused', 'fresh-token'] as const
type Mode = typeof ALL_MODES[number]

interface Settings {
  duration: number
  rounds: number
  warmup: number
  connections: number
  freshTokens: number
  variants: Variant[]
  modes: Mode[]
  redisUrl: string
  cpuProfileDir: string | undefined
  strict: boolean
  /** A run during which other processes used more CPU than this (% of one CPU) is measured again. */
  maxOtherCpu: number
  /**
   * A run around which a CPU was this much slower than at its best, or whose
   * cost per request rose this much over the best of the same variant and
   * mode, is measured again.
   */
  maxSlowdown: number
  retries: number
}

interface Measurement {
  round: number
  variant: Variant
  mode: Mode
  requestsPerSecond: number
  requests: number
  durationSeconds: number
  latencyAverageMs: number
  latencyP99Ms: number
  /** Server CPU time over wall time during the measured run; near 100 means the server was the bottleneck. */
  serverCpuPercent: number
  /** Server CPU time per completed request: what a request costs, whoever was the bottleneck. */
  serverCpuMicrosPerRequest: number
  /** The load generator's CPU time over wall time: near 100, it set the pace. */
  runnerCpuPercent: number
  /**
   * CPU used during the run by everything but this benchmark (its runner, its
   * server and the Redis server), plus time stolen by the hypervisor, in % of
   * one CPU; null where /proc/stat cannot tell.
   */
  otherCpuPercent: number | null
  /**
   * How much slower the server, or the load generator, did a fixed piece of
   * work just before or after the run than at its best in this benchmark (the
   * worst of the four): 1 is full speed. Catches a host that takes the CPUs
   * away unseen.
   */
  slowdown: number
  /**
   * The run's CPU cost per request over the lowest cost measured for the same
   * variant and mode so far: a run that costs much more than its own earlier
   * runs was slowed down by something outside it.
   */
  costRise: number
  /** How many times the run was measured (more than once when it was disturbed). */
  attempts: number
}

interface Target {
  name: string
  issue: number
  numerator: [Variant, Mode]
  denominator: [Variant, Mode]
  /** The ratio must be at least this; undefined for ratios printed for information. */
  minimum?: number
}

const TARGETS: Target[] = [
  { name: 'reused: guard / bare', issue: 2, numerator: ['guard', 'reused'], denominator: ['bare', 'reused'], minimum: 0.85 },
  { name: 'reused: guard / @fastify/jwt', issue: 2, numerator: ['guard', 'reused'], denominator: ['fastify-jwt', 'reused'], minimum: 1.5 },
  { name: 'fresh-token: guard / @fastify/jwt', issue: 2, numerator: ['guard', 'fresh-token'], denominator: ['fastify-jwt', 'fresh-token'], minimum: 1.0 },
  { name: 'reused: guard + memory denylist / bare', issue: 4, numerator: ['guard-memory-denylist', 'reused'], denominator: ['bare', 'reused'], minimum: 0.8 },
  { name: 'reused: guard + Redis denylist / bare', issue: 4, numerator: ['guard-redis-denylist', 'reused'], denominator: ['bare', 'reused'], minimum: 0.5 },
  { name: 'fresh-token: guard / bare', issue: 2, numerator: ['guard', 'fresh-token'], denominator: ['bare', 'fresh-token'] },
  { name: 'reused: @fastify/jwt / bare', issue: 2, numerator: ['fastify-jwt', 'reused'], denominator: ['bare', 'reused'] },
  // Every request a different jti: no two lookups of a turn share a key.
  { name: 'fresh-token: guard + memory denylist / guard', issue: 4, numerator: ['guard-memory-denylist', 'fresh-token'], denominator: ['guard', 'fresh-token'] },
  { name: 'fresh-token: guard + Redis denylist / guard', issue: 4, numerator: ['guard-redis-denylist', 'fresh-token'], denominator: ['guard', 'fresh-token'] }
]

/** The modes each variant runs in. */
const MODES: Record<Variant, Mode[]> = {
  bare: ['reused', 'fresh-token'],
  guard: ['reused', 'fresh-token'],
  'fastify-jwt': ['reused', 'fresh-token'],
  'guard-memory-denylist': ['reused', 'fresh-token'],
  'guard-redis-denylist': ['reused', 'fresh-token']
}

const SERVER_SCRIPT = path.join(__dirname, 'server.ts')
const ROOT = path.join(__dirname, '..')
const SERVER_START_TIMEOUT_MS = 30_000
/** Below this, the server was waiting for requests rather than working. */
const SATURATED_CPU_PERCENT = 90

/** Whether other processes keep the CPUs busy (the 1-minute load average, before the benchmark starts). */
function busy (load: number, cpus: number): boolean {
  return load > cpus / 2
}

function readSettings (): Settings {
  const number = (name: string, fallback: number, minimum: number): number => {
    const raw = process.env[name]
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isFinite(value) || value < minimum) throw new Error(`${name} must be a number ≥ ${minimum}, not "${raw}"`)
    return value
  }
  const variants = (process.env.BENCH_VARIANTS ?? '').split(',').map(name => name.trim()).filter(name => name !== '')
  for (const name of variants) {
    if (!(VARIANTS as readonly string[]).includes(name)) throw new Error(`BENCH_VARIANTS: unknown variant "${name}" (known: ${VARIANTS.join(', ')})`)
  }
  const modes = (process.env.BENCH_MODES ?? '').split(',').map(name => name.trim()).filter(name => name !== '')
  for (const name of modes) {
    if (!(ALL_MODES as readonly string[]).includes(name)) throw new Error(`BENCH_MODES: unknown mode "${name}" (known: ${ALL_MODES.join(', ')})`)
  }
  const connections = Math.round(number('BENCH_CONNECTIONS', 50, 1))
  const freshTokens = Math.round(number('BENCH_TOKENS', 20_000, 1000))
  if (freshTokens < 2 * connections) throw new Error('BENCH_TOKENS must be at least twice BENCH_CONNECTIONS')
  return {
    duration: number('BENCH_DURATION', 3, 1),
    rounds: Math.round(number('BENCH_ROUNDS', 3, 1)),
    warmup: number('BENCH_WARMUP', 1, 0),
    connections,
    freshTokens,
    variants: variants.length > 0 ? variants as Variant[] : [...VARIANTS],
    modes: modes.length > 0 ? modes as Mode[] : [...ALL_MODES],
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    cpuProfileDir: process.env.BENCH_CPU_PROF === undefined || process.env.BENCH_CPU_PROF === '' ? undefined : path.resolve(process.env.BENCH_CPU_PROF),
    strict: process.env.BENCH_STRICT === '1',
    maxOtherCpu: number('BENCH_MAX_OTHER_CPU', 10, 0),
    maxSlowdown: number('BENCH_MAX_SLOWDOWN', 1.3, 1),
    retries: Math.round(number('BENCH_RETRIES', 2, 0))
  }
}

// ---------------------------------------------------------------- pinning

/** Whether this machine lets us put the load generator and the server on CPUs 0 and 1. */
function canPin (): boolean {
  if (process.env.BENCH_PIN === '0' || process.platform !== 'linux') return false
  const probe = spawnSync('taskset', ['-c', '0,1', 'true'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
}

/**
 * Runs this same script again under `taskset -c 0` and exits with its code.
 * The child gets BENCH_PINNED=1; Ctrl-C reaches it directly (same process
 * group), so this parent only waits.
 */
function reexecPinned (): void {
  const child = spawn('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' }
  })
  const ignore = (): void => {}
  process.on('SIGINT', ignore)
  process.on('SIGTERM', () => { child.kill('SIGTERM') })
  child.on('exit', (code, signal) => { process.exit(code ?? (signal === null ? 1 : 128 + (os.constants.signals[signal] ?? 0))) })
}

// ---------------------------------------------------------------- tokens

interface Tokens {
  reused: string
  fresh: string[]
}

/**
 * Signs the tokens with the plugin itself, so they carry exactly the claims
 * fastify-jwt-auth issues (sub, iat, nbf, jti, exp, type, fresh): HS256,
 * which @fastify/jwt accepts as well with the same secret.
 */
async function createTokens (secret: string, count: number): Promise<Tokens> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: secret })
  await app.ready()
  const sign = (subject: string): string => app.authJwt.createAccessToken({ subject, expiresTime: 3600 })
  const fresh: string[] = []
  for (let i = 0; i < count; i++) fresh.push(sign(`user-${i}`))
  const tokens = { reused: sign('user'), fresh }
  await app.close()
  return tokens
}

/** Whether Redis answers, and the pid of its server when it runs on this machine (to count its CPU). */
async function probeRedis (url: string): Promise<{ unreachable?: string, pid?: number }> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    const info = await client.info('server')
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1])
    return Number.isInteger(pid) && processCpuMicros(pid) !== null ? { pid } : {}
  } catch (error) {
    return { unreachable: `Redis at ${url} is unreachable (${error instanceof Error ? error.message : String(error)})` }
  } finally {
    client.disconnect()
  }
}

// ---------------------------------------------------------------- interference

// USER_HZ, the unit of /proc/stat: 100 on every common Linux.
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/**
 * CPU time used by the processes of the whole machine (all CPUs), plus time
 * stolen by the hypervisor, in microseconds. Interrupt time is left out: it is
 * mostly the benchmark's own loopback traffic, charged to no process.
 */
function machineBusyMicros (): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user, nice, system, , , , , steal = 0] = fields
    return (user + nice + system + steal) * 1e6 / CLOCK_TICKS
  } catch {
    return null
  }
}

/** CPU time used by a process of this machine, in microseconds; null when it cannot be read. */
function processCpuMicros (pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLOCK_TICKS
  } catch {
    return null
  }
}

function runnerCpuMicros (): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

// ---------------------------------------------------------------- servers

interface Server {
  variant: Variant
  child: ChildProcess
  url: string
  stderr: string[]
  bestCanaryMicros: number
}

const servers = new Set<ChildProcess>()

function startServer (variant: Variant, secret: string, settings: Settings, pinned: boolean): Promise<Server> {
  const nodeArgs = [
    // One directory per variant: node writes a profile per thread (tsx's loader has its own).
    ...(settings.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.join(settings.cpuProfileDir, variant)}`]),
    '--import', 'tsx', SERVER_SCRIPT, variant
  ]
  const [command, args] = pinned ? ['taskset', ['-c', '1', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_SECRET: secret, REDIS_URL: settings.redisUrl, NODE_ENV: 'production' }
  })
  servers.add(child)
  const stderr: string[] = []
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr.push(chunk) })

  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`The ${variant} server ${reason}${stderr.length > 0 ? `:\n${stderr.join('')}` : ''}`))
    }
    const timer = setTimeout(() => fail(`did not print its port within ${SERVER_START_TIMEOUT_MS / 1000} s`), SERVER_START_TIMEOUT_MS)
    child.once('exit', (code, signal) => {
      servers.delete(child)
      fail(`exited before listening (code ${code}, signal ${signal})`)
    })
    child.once('error', error => fail(`could not start (${error.message})`))
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.once('line', line => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.once('exit', () => { servers.delete(child) })
      const port = (JSON.parse(line) as { port?: unknown }).port
      if (typeof port !== 'number') return fail(`printed "${line}" instead of its port`)
      resolve({ variant, child, url: `http://127.0.0.1:${port}`, stderr, bestCanaryMicros: Infinity })
    })
  })
}

async function stopServers (): Promise<void> {
  await Promise.all([...servers].map(child => new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const force = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(force); resolve() })
    child.kill('SIGTERM')
  })))
  servers.clear()
}

// ---------------------------------------------------------------- checks

async function get (url: string, token?: string): Promise<{ status: number, body: unknown }> {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  const text = await response.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch {}
  return { status: response.status, body }
}

/**
 * Before anything is measured: the route answers 200 with its body to the
 * tokens the load will send, and the guarded variants really guard it (no
 * token, a forged token and, with a denylist, a revoked token are refused).
 */
async function checkServer (server: Server, tokens: Tokens): Promise<void> {
  const route = server.url + ROUTE
  const problem = (what: string): Error => new Error(`Check of the ${server.variant} server failed: ${what}`)
  for (const [name, token] of [['the reused token', tokens.reused], ['a fresh token', tokens.fresh[0]]] as const) {
    const { status, body } = await get(route, token)
    if (status !== 200 || !isDeepStrictEqual(body, RESPONSE)) throw problem(`${name} got ${status} ${JSON.stringify(body)}`)
  }
  if (server.variant === 'bare') return
  const forged = tokens.reused.slice(0, tokens.reused.lastIndexOf('.') + 1) + 'AAAA' + tokens.reused.slice(tokens.reused.lastIndexOf('.') + 5)
  for (const [name, token] of [['no token', undefined], ['a forged token', forged]] as const) {
    const { status } = await get(route, token)
    if (status !== 401) throw problem(`${name} got ${status} instead of 401`)
  }
  if (server.variant === 'guard-memory-denylist' || server.variant === 'guard-redis-denylist') {
    const { body } = await get(`${server.url}/__bench/revoked`)
    const revoked = (body as { token?: unknown }).token
    if (typeof revoked !== 'string') throw problem('it has no revoked token')
    const { status, body: refusal } = await get(route, revoked)
    const code = (refusal as { code?: unknown }).code
    if (status !== 401 || code !== 'FST_JWT_AUTH_TOKEN_REVOKED') throw problem(`a revoked token got ${status} ${String(code)}`)
  }
}

// ---------------------------------------------------------------- load

async function serverCpuMicros (server: Server): Promise<number> {
  const { body } = await get(`${server.url}/__bench/cpu`)
  return (body as { micros: number }).micros
}

/**
 * How long the server takes for its fixed canary work now (the best of three
 * tries), in microseconds; also updates the server's best time, its CPU at
 * full speed.
 */
async function canaryMicros (server: Server): Promise<number> {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const { body } = await get(`${server.url}/__bench/canary`)
    best = Math.min(best, (body as { micros: number }).micros)
  }
  server.bestCanaryMicros = Math.min(server.bestCanaryMicros, best)
  return best
}

// The same work in this process, on the load generator's CPU.
const CANARY_INPUT = Buffer.alloc(64 * 1024, 1)
let runnerBestCanaryMicros = Infinity

function runnerCanaryMicros (): number {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint()
    const hash = createHash('sha256')
    for (let j = 0; j < 32; j++) hash.update(CANARY_INPUT)
    hash.digest()
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1000)
  }
  runnerBestCanaryMicros = Math.min(runnerBestCanaryMicros, best)
  return best
}

function isDisturbed (m: Measurement, settings: Settings): boolean {
  return (m.otherCpuPercent !== null && m.otherCpuPercent > settings.maxOtherCpu) ||
    m.slowdown > settings.maxSlowdown || m.costRise > settings.maxSlowdown
}

function disturbance (m: Measurement): number {
  return Math.max(m.otherCpuPercent ?? 0, 100 * (m.slowdown - 1), 100 * (m.costRise - 1))
}

// The lowest CPU cost per request measured so far, by variant and mode.
const bestCost = new Map<string, number>()

function costRise (m: Measurement): number {
  const key = `${m.variant} ${m.mode}`
  const best = Math.min(bestCost.get(key) ?? Infinity, m.serverCpuMicrosPerRequest)
  bestCost.set(key, best)
  return m.serverCpuMicrosPerRequest / best
}

// How long to let a disturbance pass before measuring again.
const RETRY_PAUSE_MS = 3000

function load (server: Server, mode: Mode, tokens: Tokens, seconds: number, connections: number): Promise<autocannon.Result> {
  const url = server.url + ROUTE
  if (mode === 'reused') {
    return autocannon({ url, connections, duration: seconds, headers: { authorization: `Bearer ${tokens.reused}` } })
  }
  // Each connection gets its own share of the tokens (token i goes to
  // connection i mod connections) and sends them in turn, as requests built
  // once: no two connections send the same token, and a token comes back only
  // after all the others (20 000 by default, more than any cache in the way).
  // Building each request on the fly (autocannon's setupRequest) would cost
  // the load generator so much that it, not the server, would set the pace.
  const shares: autocannon.Request[][] = Array.from({ length: connections }, () => [])
  tokens.fresh.forEach((token, i) => {
    shares[i % connections].push({ method: 'GET', path: ROUTE, headers: { authorization: `Bearer ${token}` } })
  })
  let nextClient = 0
  return autocannon({
    url,
    connections,
    duration: seconds,
    setupClient (client) {
      client.setRequests(shares[nextClient++ % connections])
    }
  })
}

/**
 * Measures one (variant, mode) in one round. On a shared machine another
 * process may take a CPU in the middle of a run: such a run is measured
 * again (up to `retries` times) and the least disturbed attempt is kept.
 */
async function measure (server: Server, mode: Mode, round: number, tokens: Tokens, settings: Settings, redisPid: number | undefined): Promise<Measurement> {
  const label = `${server.variant} (${mode}), round ${round}`
  let best: Measurement | undefined
  for (let attempt = 1; attempt <= settings.retries + 1; attempt++) {
    if (attempt > 1) await new Promise(resolve => setTimeout(resolve, RETRY_PAUSE_MS))
    const m = await measureOnce(server, mode, round, tokens, settings, redisPid, label)
    m.costRise = costRise(m)
    if (best === undefined || disturbance(m) < disturbance(best)) best = m
    best.attempts = attempt
    if (!isDisturbed(m, settings)) break
    console.log(`  round ${round}: ${server.variant} (${mode}) disturbed: other processes ${(m.otherCpuPercent ?? 0).toFixed(0)} % of a CPU, ` +
      `CPUs up to ${m.slowdown.toFixed(2)} × slower than at their best, ` +
      `CPU cost per request ${m.costRise.toFixed(2)} × its best` +
      (attempt <= settings.retries ? '; measuring again' : '; keeping the least disturbed attempt'))
  }
  return best as Measurement
}

async function measureOnce (server: Server, mode: Mode, round: number, tokens: Tokens, settings: Settings, redisPid: number | undefined, label: string): Promise<Measurement> {
  if (settings.warmup > 0) assertClean(await load(server, mode, tokens, settings.warmup, settings.connections), `${label}, warm-up`)
  const redisCpu = (): number => redisPid === undefined ? 0 : processCpuMicros(redisPid) ?? 0
  const canaryBefore = await canaryMicros(server)
  const runnerCanaryBefore = runnerCanaryMicros()
  const cpuBefore = await serverCpuMicros(server)
  const machineBefore = machineBusyMicros()
  const runnerBefore = runnerCpuMicros()
  const redisBefore = redisCpu()
  const started = process.hrtime.bigint()
  const result = await load(server, mode, tokens, settings.duration, settings.connections)
  const wallMicros = Number(process.hrtime.bigint() - started) / 1000
  const machineAfter = machineBusyMicros()
  const runnerAfter = runnerCpuMicros()
  const redisAfter = redisCpu()
  const cpuAfter = await serverCpuMicros(server)
  const canaryAfter = await canaryMicros(server)
  const runnerCanaryAfter = runnerCanaryMicros()
  assertClean(result, label)
  const serverMicros = cpuAfter - cpuBefore
  const otherMicros = machineBefore === null || machineAfter === null
    ? null
    : (machineAfter - machineBefore) - (runnerAfter - runnerBefore) - serverMicros - (redisAfter - redisBefore)
  return {
    round,
    variant: server.variant,
    mode,
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    durationSeconds: result.duration,
    latencyAverageMs: result.latency.average,
    latencyP99Ms: result.latency.p99,
    serverCpuPercent: 100 * serverMicros / wallMicros,
    serverCpuMicrosPerRequest: serverMicros / result.requests.total,
    runnerCpuPercent: 100 * (runnerAfter - runnerBefore) / wallMicros,
    // Clock ticks are coarse (10 ms): a few percent either way is noise.
    otherCpuPercent: otherMicros === null ? null : Math.max(0, 100 * otherMicros / wallMicros),
    slowdown: Math.max(
      Math.max(canaryBefore, canaryAfter) / server.bestCanaryMicros,
      Math.max(runnerCanaryBefore, runnerCanaryAfter) / runnerBestCanaryMicros
    ),
    costRise: 1,
    attempts: 1
  }
}

/** A benchmark of error responses measures nothing: any one aborts the run. */
function assertClean (result: autocannon.Result, label: string): void {
  const problems: string[] = []
  if (result.non2xx > 0) {
    const codes = Object.entries(result.statusCodeStats).filter(([code]) => !code.startsWith('2')).map(([code, { count }]) => `${count} × ${code}`)
    problems.push(`${result.non2xx} non-2xx responses (${codes.join(', ')})`)
  }
  if (result.errors > 0) problems.push(`${result.errors} errors`)
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`)
  if (result.requests.total === 0) problems.push('no request completed')
  if (problems.length > 0) throw new Error(`${label}: ${problems.join(', ')}`)
}

// ---------------------------------------------------------------- report

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function table (header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map(row => row[i].length)))
  const line = (cells: string[]): string => cells.map((cell, i) => rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join('  ').trimEnd()
  return [line(header), widths.map(width => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

interface RatioResult {
  name: string
  issue: number
  perRound: number[]
  median: number | null
  /**
   * The same ratio computed from server CPU time per request (denominator's
   * cost / numerator's cost): the throughput ratio a saturated server would
   * show. Robust to a busy machine; the targets use `median`.
   */
  cpuPerRound: number[]
  cpuMedian: number | null
  minimum: number | null
  verdict: 'PASS' | 'MISS' | 'n/a' | 'info'
  note?: string
}

function ratios (measurements: Measurement[], settings: Settings, skipped: Map<Variant, string>): RatioResult[] {
  const find = (round: number, [variant, mode]: [Variant, Mode]): Measurement | undefined =>
    measurements.find(m => m.round === round && m.variant === variant && m.mode === mode)
  return TARGETS.map(target => {
    const perRound: number[] = []
    const cpuPerRound: number[] = []
    for (let round = 1; round <= settings.rounds; round++) {
      const top = find(round, target.numerator)
      const bottom = find(round, target.denominator)
      if (top !== undefined && bottom !== undefined) {
        perRound.push(top.requestsPerSecond / bottom.requestsPerSecond)
        cpuPerRound.push(bottom.serverCpuMicrosPerRequest / top.serverCpuMicrosPerRequest)
      }
    }
    const missing = [target.numerator[0], target.denominator[0]].find(variant => !settings.variants.includes(variant) || skipped.has(variant))
    const modeMissing = [target.numerator[1], target.denominator[1]].find(mode => !settings.modes.includes(mode))
    const value = perRound.length > 0 ? median(perRound) : null
    const minimum = target.minimum ?? null
    const verdict = value === null ? 'n/a' : minimum === null ? 'info' : value >= minimum ? 'PASS' : 'MISS'
    const result: RatioResult = {
      name: target.name,
      issue: target.issue,
      perRound,
      median: value,
      cpuPerRound,
      cpuMedian: cpuPerRound.length > 0 ? median(cpuPerRound) : null,
      minimum,
      verdict
    }
    if (value === null && missing !== undefined) result.note = skipped.get(missing) ?? `${missing} not run (BENCH_VARIANTS)`
    else if (value === null && modeMissing !== undefined) result.note = `${modeMissing} not run (BENCH_MODES)`
    return result
  })
}

function report (measurements: Measurement[], results: RatioResult[], settings: Settings): void {
  console.log('\nRequests per second (each run measured alone, after its warm-up):\n')
  console.log(table(
    ['round', 'variant', 'mode', 'req/s', 'avg ms', 'p99 ms', 'server CPU', 'µs CPU/req', 'cost rise', 'load gen CPU', 'other CPU', 'slowdown', 'tries'],
    measurements.map(m => [
      String(m.round), m.variant, m.mode,
      m.requestsPerSecond.toFixed(0), m.latencyAverageMs.toFixed(2), m.latencyP99Ms.toFixed(0), `${m.serverCpuPercent.toFixed(0)} %`,
      m.serverCpuMicrosPerRequest.toFixed(1),
      m.costRise.toFixed(2),
      `${m.runnerCpuPercent.toFixed(0)} %`,
      m.otherCpuPercent === null ? '-' : `${m.otherCpuPercent.toFixed(0)} %`,
      `${m.slowdown.toFixed(2)}${isDisturbed(m, settings) ? ' !' : ''}`,
      String(m.attempts)
    ]),
    [true, false, false, true, true, true, true, true, true, true, true, true, true]
  ))
  console.log('\nMedian over rounds of the per-round ratios:\n')
  console.log(table(
    ['ratio', 'req/s per round', 'median', 'target', 'verdict', 'CPU-based median'],
    results.map(r => [
      `${r.name} (issue ${r.issue})`,
      r.perRound.map(value => value.toFixed(2)).join(' '),
      r.median === null ? '-' : r.median.toFixed(2),
      r.minimum === null ? '-' : `≥ ${r.minimum.toFixed(2)}`,
      r.note === undefined ? r.verdict : `${r.verdict} (${r.note})`,
      r.cpuMedian === null ? '-' : r.cpuMedian.toFixed(2)
    ]),
    [false, false, true, true, false, true]
  ))
}

// ---------------------------------------------------------------- main

/**
 * Why the servers' build in dist/ cannot be measured (missing, or older than
 * the sources), or null. `npm run bench` builds first; running the runner
 * directly after a change would measure the old code.
 */
function staleBuild (): string | null {
  const built = path.join(ROOT, 'dist', 'index.js')
  let builtAt: number
  try {
    builtAt = statSync(built).mtimeMs
  } catch {
    return `${path.relative(ROOT, built)} is missing: run \`npm run build\` (\`npm run bench\` does)`
  }
  const sources = ['index.ts', ...readdirSync(path.join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.ts'))
    .map(file => path.join('lib', file))]
  const newer = sources.find(file => statSync(path.join(ROOT, file)).mtimeMs > builtAt)
  return newer === undefined ? null : `${newer} changed after the last build: run \`npm run build\` (\`npm run bench\` does)`
}

async function main (pinned: boolean): Promise<number> {
  const stale = staleBuild()
  if (stale !== null) throw new Error(stale)
  const settings = readSettings()
  const secret = randomBytes(32).toString('base64url')
  const skipped = new Map<Variant, string>()
  let redisPid: number | undefined
  if (settings.variants.includes('guard-redis-denylist')) {
    const redis = await probeRedis(settings.redisUrl)
    if (redis.unreachable !== undefined) skipped.set('guard-redis-denylist', `skipped: ${redis.unreachable}`)
    redisPid = redis.pid
  }
  const variants = settings.variants.filter(variant => !skipped.has(variant))

  const cpus = os.cpus()
  console.log(`fastify-jwt-auth benchmark: node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}`)
  console.log(pinned
    ? 'Pinned: load generator on CPU 0, servers on CPU 1 (taskset).'
    : 'Not pinned (no taskset, fewer than two CPUs, or BENCH_PIN=0): load generator and server share the CPUs.')
  console.log(`${settings.rounds} rounds × ${settings.duration} s per run (+ ${settings.warmup} s warm-up), ${settings.connections} connections, ${settings.freshTokens} fresh tokens.`)
  const loadBefore = os.loadavg()[0]
  console.log(`Load average before: ${loadBefore.toFixed(2)}${busy(loadBefore, cpus.length) ? ' — the machine is busy: expect noisy numbers' : ''}`)
  for (const reason of skipped.values()) console.log(`guard-redis-denylist ${reason}`)

  const tokens = await createTokens(secret, settings.freshTokens)
  // New server processes for every round. Two processes running the same
  // code can differ in speed by 10 to 20 % for their whole life (where the
  // JIT put things, how memory was laid out): with one process per variant
  // for the whole benchmark, that difference would be in every round, and no
  // median could remove it. Seen here with variants whose preHandlers did
  // next to nothing: they came out up to 20 % apart, in a different order
  // from one benchmark to the next.
  async function startAll (): Promise<Map<Variant, Server>> {
    const running = new Map<Variant, Server>()
    for (const variant of variants) {
      const server = await startServer(variant, secret, settings, pinned)
      running.set(variant, server)
      await checkServer(server, tokens)
      // Also warms up the canaries, and gives a first idea of the CPUs' full speed.
      for (let i = 0; i < 3; i++) {
        await canaryMicros(server)
        runnerCanaryMicros()
      }
    }
    return running
  }

  const plan = variants.flatMap(variant => MODES[variant].filter(mode => settings.modes.includes(mode)).map(mode => ({ variant, mode })))
  const measurements: Measurement[] = []
  let running = new Map<Variant, Server>()
  for (let round = 1; round <= settings.rounds; round++) {
    await stopServers()
    running = await startAll()
    if (round === 1) console.log(`Servers up and checked: ${variants.join(', ')} (new processes for each round).`)
    const order = round % 2 === 1 ? plan : [...plan].reverse()
    for (const { variant, mode } of order) {
      const m = await measure(running.get(variant) as Server, mode, round, tokens, settings, redisPid)
      measurements.push(m)
      console.log(`  round ${round}: ${variant} (${mode}) ${m.requestsPerSecond.toFixed(0)} req/s, ` +
        `server CPU ${m.serverCpuPercent.toFixed(0)} %, ${m.serverCpuMicrosPerRequest.toFixed(1)} µs/request, ` +
        `load generator CPU ${m.runnerCpuPercent.toFixed(0)} %` +
        (m.otherCpuPercent === null ? '' : `, other processes ${m.otherCpuPercent.toFixed(0)} %`))
    }
  }
  // A run measured before any better run of its variant and mode had nothing
  // to be compared with: now that each has its best, measure again the runs
  // that cost much more, and keep the better measurement.
  for (const [index, m] of measurements.entries()) {
    const rise = m.serverCpuMicrosPerRequest / (bestCost.get(`${m.variant} ${m.mode}`) ?? Infinity)
    if (rise <= settings.maxSlowdown) continue
    console.log(`  round ${m.round}: ${m.variant} (${m.mode}) cost ${rise.toFixed(2)} × the best of its variant and mode; measuring again`)
    const again = await measure(running.get(m.variant) as Server, m.mode, m.round, tokens, settings, redisPid)
    if (again.serverCpuMicrosPerRequest < m.serverCpuMicrosPerRequest) measurements[index] = { ...again, attempts: m.attempts + again.attempts }
  }
  for (const m of measurements) m.costRise = m.serverCpuMicrosPerRequest / (bestCost.get(`${m.variant} ${m.mode}`) as number)
  await stopServers()
  const loadAfter = os.loadavg()[0]

  const results = ratios(measurements, settings, skipped)
  report(measurements, results, settings)
  console.log(`\nLoad average before: ${loadBefore.toFixed(2)}, after: ${loadAfter.toFixed(2)} (1 min; the benchmark itself adds about 2).`)
  const disturbed = measurements.filter(m => isDisturbed(m, settings))
  if (disturbed.length > 0) {
    console.log(`${disturbed.length} of ${measurements.length} runs (marked !) stayed disturbed after ${settings.retries} more attempts ` +
      `(other processes above ${settings.maxOtherCpu} % of a CPU, a CPU over ${settings.maxSlowdown} × slower than at its best, ` +
      `or a cost per request over ${settings.maxSlowdown} × the best of its variant and mode): ` +
      'their numbers are unreliable.')
  }
  const unsaturated = measurements.filter(m => m.serverCpuPercent < SATURATED_CPU_PERCENT)
  if (unsaturated.length > 0) {
    console.log(`${unsaturated.length} of ${measurements.length} runs left the server below ${SATURATED_CPU_PERCENT} % CPU: there the load generator ` +
      '(see its CPU) was the bottleneck, and the ratios that use them understate the cost of authentication; the CPU-based ratios do not.')
  }

  const file = path.join(os.tmpdir(), `fastify-jwt-auth-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus.map(cpu => cpu.model),
    pinned,
    loadAverage: { before: loadBefore, after: loadAfter },
    settings,
    skipped: Object.fromEntries(skipped),
    measurements,
    ratios: results
  }, null, 2) + '\n')
  console.log(`\nResults written to ${file}`)
  if (settings.cpuProfileDir !== undefined) console.log(`CPU profiles of the servers in ${settings.cpuProfileDir}`)

  const missed = results.filter(r => r.verdict === 'MISS')
  if (missed.length > 0) console.log(`\n${missed.length} target(s) missed.`)
  return settings.strict && missed.length > 0 ? 1 : 0
}

function start (): void {
  const pin = canPin()
  if (pin && process.env.BENCH_PINNED !== '1') return reexecPinned()

  const abort = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping the servers`)
    stopServers().finally(() => process.exit(130))
  }
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
  // Last resort: whatever happens, no server outlives the runner.
  process.once('exit', () => { for (const child of servers) child.kill('SIGKILL') })

  main(pin).then(code => { process.exitCode = code }, async (error: unknown) => {
    console.error(`\nBenchmark aborted: ${error instanceof Error ? error.message : String(error)}`)
    await stopServers()
    process.exitCode = 1
  })
}

start()
