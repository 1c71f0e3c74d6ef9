// examples/jwks: an issuer and a resource service, each in a process of its
// own on 127.0.0.1, as they are deployed. The resource knows the issuer only
// by the URL of its JWKS: its tokens are accepted there, through a key
// rotation (old tokens keep working, new ones are accepted at once), until an
// old key is retired; tokens of keys the issuer never published are refused.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { ISSUER } from '../../examples/jwks/issuer'
import type { KeyOption } from '../../index'
import { keys } from '../fixtures/keys'
import { bearer, buildApp } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { withEnvironment } from '../helpers/environment'
import { peek } from '../helpers/forge'

const EXAMPLES = join(__dirname, '..', '..', 'examples', 'jwks')

interface Service {
  /** Where it listens: http://127.0.0.1:<port>. */
  base: string
  /** Stops it and waits until it has exited. */
  stop: () => Promise<void>
}

/**
 * Starts examples/jwks/<example>.ts in a child process, in `directory`, with
 * `variables` and no AUTHJWT_* variable of this machine, and resolves once it
 * listens. The child runs with this process's own TypeScript loader (and,
 * under the test runner, its coverage hooks); it is stopped when `t` ends.
 */
async function startExample (t: Test, directory: string, example: 'issuer' | 'resource',
  variables: Record<string, string>): Promise<Service> {
  const environment = { ...process.env }
  for (const name of Object.keys(environment)) {
    if (name.startsWith('AUTHJWT_')) delete environment[name]
  }
  const child = spawn(process.execPath, [...process.execArgv, join(EXAMPLES, `${example}.ts`)], {
    cwd: directory,
    env: { ...environment, LOG_LEVEL: 'info', ...variables },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill()
    await exited
  }
  t.teardown(stop)
  // Fastify logs the address it listens on; the port is chosen by the system.
  const listening = new Promise<string>(resolve => {
    createInterface({ input: child.stdout }).on('line', line => {
      const address = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(line)?.[1]
      if (address !== undefined) resolve(address)
    })
  })
  const failed = exited.then(([code, signal]) => {
    throw new Error(`examples/jwks/${example}.ts stopped (${code ?? signal}) before listening:\n${stderr}`)
  })
  return { base: await Promise.race([listening, failed]), stop }
}

/** A fetch answer in the shape expectAuthError reads. */
async function answer (response: Response): Promise<{ statusCode: number, headers: Record<string, string>, json: () => unknown }> {
  const body = await response.text()
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), json: () => JSON.parse(body) }
}

async function post (url: string, { token, body }: { token?: string, body?: object } = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      ...(token === undefined ? {} : bearer(token)),
      ...(body === undefined ? {} : { 'content-type': 'application/json' })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
}

const kidOf = (token: string): unknown => peek(token).header.kid

/** A token the resource would accept, but for its key: signed by `key` under `kid`, which the issuer never published. */
async function tokenOfAnotherKey (t: Test, kid: string): Promise<string> {
  const key: KeyOption = { kid, algorithm: 'ES256', privateKey: keys.ecP256.privateKey }
  const impostor = await buildApp(t, { keys: [key], encodeIssuer: ISSUER })
  return impostor.authJwt.createAccessToken({ subject: 'mallory' })
}

t.test('an issuer and a resource service, through a key rotation', async t => {
  withEnvironment(t)
  // An empty working directory: the children read no .env file.
  const directory = t.testdir()
  const issuer = await startExample(t, directory, 'issuer', { ISSUER_PORT: '0' })
  const resource = await startExample(t, directory, 'resource', {
    RESOURCE_PORT: '0',
    ISSUER_URL: issuer.base,
    // The set is used for one second before it is fetched again, and a kid
    // the resource does not know makes it fetch the set at once, every time.
    AUTHJWT_JWKS_CACHE_MAX_AGE: '1',
    AUTHJWT_JWKS_COOLDOWN: '0'
  })
  const login = async (username: string): Promise<string> => {
    const response = await post(`${issuer.base}/login`, { body: { username, password: username } })
    if (response.status !== 200) throw new Error(`${username} could not log in: ${response.status}`)
    return (await response.json() as { access_token: string }).access_token
  }
  const me = async (token: string) => answer(await fetch(`${resource.base}/me`, { headers: bearer(token) }))
  const publishedKids = async (): Promise<unknown[]> => {
    const response = await fetch(`${issuer.base}/.well-known/jwks.json`)
    return (await response.json() as { keys: Array<{ kid: unknown }> }).keys.map(jwk => jwk.kid)
  }

  t.equal((await post(`${issuer.base}/login`, { body: { username: 'test', password: 'nope' } })).status, 401,
    'a wrong password gets no token')
  const first = await login('test')
  const firstKid = kidOf(first)
  t.match(firstKid, /^\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$/, 'the token names its key: the day it was made, and a random part')
  t.same(await publishedKids(), [firstKid], 'the issuer publishes that key')
  t.equal((await fetch(`${issuer.base}/.well-known/jwks.json`)).headers.get('cache-control'), 'public, max-age=300',
    'for anyone to keep five minutes')
  const answered = await me(first)
  t.same({ status: answered.statusCode, body: answered.json() }, { status: 200, body: { subject: 'test' } },
    'the resource accepts the token and reads its subject')
  expectAuthError(t, await me(`${first}x`), 'FST_JWT_AUTH_TOKEN_INVALID', { what: 'a tampered token' })

  await t.test('only an admin rotates or retires the keys', async t => {
    t.equal((await post(`${issuer.base}/rotate`)).status, 401, 'no token')
    t.same(await (await post(`${issuer.base}/rotate`, { token: first })).json(), { message: 'Admins only' },
      'not an admin: 403 Admins only')
    t.equal((await post(`${issuer.base}/retire`, { token: first })).status, 403, 'nor retires them')
    t.same(await publishedKids(), [firstKid], 'the keys have not changed')
  })

  const admin = await login('admin')
  const rotation = await post(`${issuer.base}/rotate`, { token: admin })
  t.equal(rotation.status, 200, 'the admin rotates the keys')
  const { signing: secondKid, verifying } = await rotation.json() as { signing: string, verifying: string[] }
  t.not(secondKid, firstKid, 'a new key signs')
  t.same(verifying, [firstKid], 'the old key only verifies')
  t.same(await publishedKids(), [secondKid, firstKid], 'both are published, the signing key first')

  t.equal((await me(first)).statusCode, 200, 'a token of the old key is still accepted by the resource')
  const second = await login('test')
  t.equal(kidOf(second), secondKid, 'a new token names the new key')
  t.same((await me(second)).json(), { subject: 'test' },
    'and the resource accepts it at once: the unknown kid makes it fetch the JWKS again')

  // The admin's token was signed by the old key, which still verifies.
  const retirement = await post(`${issuer.base}/retire`, { token: admin })
  t.same(await retirement.json(), { signing: secondKid, retired: [firstKid] }, 'the admin retires the old key')
  t.same(await publishedKids(), [secondKid], 'the issuer publishes the new key only')
  t.equal((await post(`${issuer.base}/retire`, { token: admin })).status, 401,
    'the issuer refuses the tokens of the retired key itself at once')

  await t.test('once the resource has fetched the set again, a token of the retired key is refused', async t => {
    // The resource has seen this token before, and has kept the set it
    // fetched for a second: asked again and again, it must notice in the
    // end. Up to 200 tries, 50 ms apart (10 s): far more than the second.
    let last = await me(first)
    for (let tries = 1; tries < 200 && last.statusCode === 200; tries++) {
      await sleep(50)
      last = await me(first)
    }
    expectAuthError(t, last, 'FST_JWT_AUTH_TOKEN_INVALID', { message: 'Unknown "kid" header', what: 'the retired key' })
    t.equal((await me(second)).statusCode, 200, 'a token of the new key is still accepted')
  })

  await t.test('a token signed by a key the issuer never published is refused', async t => {
    expectAuthError(t, await me(await tokenOfAnotherKey(t, 'never-published')), 'FST_JWT_AUTH_TOKEN_INVALID',
      { message: 'Unknown "kid" header', what: 'a kid the issuer does not know' })
    expectAuthError(t, await me(await tokenOfAnotherKey(t, secondKid)), 'FST_JWT_AUTH_TOKEN_INVALID',
      { what: 'another key under the kid of the issuer\'s signing key' })
  })

  await t.test('while the issuer is down, the keys in hand go on verifying', async t => {
    const unseen = await login('test')
    await issuer.stop()
    t.same((await me(unseen)).json(), { subject: 'test' }, 'a token of a known key, new to the resource, is accepted')
    expectAuthError(t, await me(await tokenOfAnotherKey(t, 'unknown-while-down')), 'FST_JWT_AUTH_JWKS_FAILED',
      { what: 'a token of an unknown key cannot be decided: 500' })
  })
})
