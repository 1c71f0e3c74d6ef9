// One benchmark server: `node --import tsx bench/server.ts <variant>`, with
// BENCH_SECRET, BENCH_KEYS (the key pairs, see bench/keys.ts) and REDIS_URL
// set. Serves the measured route behind the variant's preHandler and, where
// the variant can sign, the login route, plus /__bench/* routes for the
// runner's checks and CPU readings, which are never measured. Prints one JSON
// line, `{"port":…}`, once it listens on 127.0.0.1.
import Fastify from 'fastify'
import { decodeKeyPairs, KEYS_VARIABLE } from './keys'
import { isVariant, LOGIN_ROUTE, RESPONSE, ROUTE, VARIANTS } from './variants'

const loginSchema = {
  body: {
    type: 'object',
    properties: { username: { type: 'string', minLength: 1, maxLength: 100 } },
    required: ['username']
  }
}

async function main (): Promise<void> {
  const variant = process.argv[2] ?? ''
  const secret = process.env.BENCH_SECRET ?? ''
  if (!isVariant(variant)) throw new Error(`Usage: bench/server.ts <${Object.keys(VARIANTS).join('|')}>`)
  if (secret === '') throw new Error('BENCH_SECRET is not set')
  const keys = decodeKeyPairs(process.env[KEYS_VARIABLE])

  // The plugin as users run it: compiled by tsc (`npm run bench` builds it
  // first), not transpiled by tsx, whose helpers (`__name` around every named
  // function) would cost time on the measured path.
  const plugin = require('../dist/index.js') as typeof import('../index')
  const app = Fastify({ logger: false })
  const { preHandler, claimsOf, subjectOf, login, verify, revokedToken } = await VARIANTS[variant].setup(app, {
    plugin,
    secret,
    keys,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  })
  const guarded = preHandler === undefined ? {} : { preHandler }

  // Real handlers read who is calling, so the measured one does too. A guard
  // that let a request through without a subject fails the run (a 500).
  app.get(ROUTE, guarded, async request => {
    if (subjectOf !== undefined && (subjectOf(request) ?? null) === null) throw new Error('The verified token has no subject')
    return RESPONSE
  })

  if (login !== undefined) {
    app.post(LOGIN_ROUTE, { schema: loginSchema }, async request => login(request, (request.body as { username: string }).username))
  }

  // The process's CPU time so far: read before and after a run, it gives what
  // a request costs the server, whatever else the machine was doing.
  app.get('/__bench/cpu', async () => {
    const { user, system } = process.cpuUsage()
    return { micros: user + system }
  })
  // Whether this request got the very claims object the previous one got:
  // with one token sent twice, true means the second came from a cache.
  let previousClaims: unknown = null
  app.get('/__bench/claims', guarded, async request => {
    const claims = claimsOf?.(request) ?? null
    const sameAsPrevious = claims !== null && claims === previousClaims
    previousClaims = claims
    return { sameAsPrevious }
  })
  app.get('/__bench/revoked', async () => ({ token: revokedToken ?? null }))
  // The subject the measured route's handler reads.
  app.get('/__bench/subject', guarded, async request => ({ subject: subjectOf?.(request) ?? null }))
  // The claims of the bearer token, as the variant's own verifier reads them:
  // the runner checks the login route's tokens with it.
  app.get('/__bench/verify', async (request, reply) => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
    try {
      return { claims: verify?.(token) ?? null }
    } catch {
      return reply.code(401).send({ claims: null })
    }
  })

  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('The server has no TCP address')
  process.stdout.write(JSON.stringify({ port: address.port }) + '\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`bench server: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exit(1)
})
