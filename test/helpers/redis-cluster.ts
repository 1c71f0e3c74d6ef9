// A real Redis Cluster of three masters, started for a test from the
// machine's redis-server and redis-cli (Debian's redis-server package) and
// stopped when the test ends. Skipped with the reason when they are missing,
// unless REQUIRE_REDIS=1 (as in CI), which turns that into a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Cluster, Redis, type ClusterOptions } from 'ioredis'
import type { Test } from 'tap'

const NODES = 3
// For the whole start-up, well within tap's timeout for the test file, so
// that a cluster that does not come up fails the test and is still cleaned up.
const START_TIMEOUT_MS = 30_000
// A cluster node also listens on its port + 10000 (the cluster bus). Both
// stay below Linux's ephemeral ports (32768 up), where the other tests' servers
// and clients get theirs, so none of them can take a port between our check
// and redis-server binding it.
const BUS_OFFSET = 10_000
const LOWEST_PORT = 20_000
const PORTS = 32_768 - BUS_OFFSET - LOWEST_PORT

function missingTools (): string | null {
  for (const tool of ['redis-server', 'redis-cli']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`
  }
  return null
}

async function isFree (port: number): Promise<boolean> {
  const server = createServer()
  server.listen(port, '127.0.0.1')
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => { throw error })])
  } catch {
    return false
  }
  server.close()
  await once(server, 'close')
  return true
}

/** A port whose cluster bus port is free too. */
async function freeNodePort (taken: Set<number>): Promise<number> {
  for (;;) {
    const port = LOWEST_PORT + Math.floor(Math.random() * PORTS)
    if (taken.has(port) || taken.has(port + BUS_OFFSET)) continue
    if (await isFree(port) && await isFree(port + BUS_OFFSET)) {
      taken.add(port)
      taken.add(port + BUS_OFFSET)
      return port
    }
  }
}

async function stop (node: ChildProcess): Promise<void> {
  if (exited(node)) return
  const gone = once(node, 'exit')
  node.kill('SIGKILL')
  await gone
}

// Or never started: no pid.
function exited (node: ChildProcess): boolean {
  return node.pid === undefined || node.exitCode !== null || node.signalCode !== null
}

async function waitForAnswer (port: number, node: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (exited(node)) throw new Error(`redis-server on port ${port} exited (${node.exitCode ?? node.signalCode})`)
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise(resolve => setTimeout(resolve, 50))
    } finally {
      client.disconnect()
    }
  }
}

async function waitUntilReady (ports: number[], deadline: number): Promise<void> {
  for (const port of ports) {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 })
    client.on('error', () => {})
    try {
      await client.connect()
      while (!/cluster_state:ok/.test(await client.cluster('INFO'))) {
        if (Date.now() > deadline) throw new Error(`the Redis Cluster node on ${port} did not become ready`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    } finally {
      client.disconnect()
    }
  }
}

/** The cluster's node ports, or null when the test was skipped (or failed, under REQUIRE_REDIS=1). */
export async function realRedisCluster (t: Test): Promise<number[] | null> {
  const missing = missingTools()
  if (missing !== null) {
    if (process.env.REQUIRE_REDIS === '1') t.fail(`Redis Cluster tests: ${missing} (REQUIRE_REDIS=1)`)
    else t.skip(`Redis Cluster tests: ${missing}`, () => {})
    return null
  }

  const deadline = Date.now() + START_TIMEOUT_MS
  const directory = await mkdtemp(path.join(tmpdir(), 'fastify-jwt-auth-cluster-'))
  const nodes: ChildProcess[] = []
  // Should the test process end without its teardown (killed by a timeout),
  // the nodes still go with it.
  const killNodes = (): void => { for (const node of nodes) node.kill('SIGKILL') }
  process.once('exit', killNodes)
  t.teardown(async () => {
    process.removeListener('exit', killNodes)
    await Promise.all(nodes.map(stop))
    await rm(directory, { recursive: true, force: true })
  })

  const taken = new Set<number>()
  const ports: number[] = []
  for (let i = 0; i < NODES; i++) ports.push(await freeNodePort(taken))
  for (const port of ports) {
    const node = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes', '--cluster-config-file', `node-${port}.conf`,
      '--dir', directory, '--save', '', '--appendonly', 'no'
    ], { stdio: 'ignore' })
    node.on('error', () => {}) // a node that could not start has no pid: see exited()
    nodes.push(node)
  }
  // Each node must answer before they can be joined.
  for (const [i, port] of ports.entries()) await waitForAnswer(port, nodes[i], deadline)
  const created = spawnSync('redis-cli', [
    '--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'
  ], { encoding: 'utf8', timeout: Math.max(1, deadline - Date.now()) })
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`)
  await waitUntilReady(ports, deadline)
  return ports
}

/** A Cluster client of the nodes on `ports`, ready, disconnected when `t` ends. */
export async function clusterClient (t: Test, ports: number[], options: ClusterOptions = {}): Promise<Cluster> {
  const client = new Cluster(ports.map(port => ({ host: '127.0.0.1', port })), options)
  client.on('error', () => {}) // reported through the commands' rejections
  t.teardown(() => { client.disconnect() })
  await once(client, 'ready')
  return client
}
