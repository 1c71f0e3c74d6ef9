// An issuer that signs with a key set and publishes its public keys, so that
// other services (examples/jwks/resource.ts) verify its tokens without any
// secret of its own. Its key pairs are made in memory (one at start, one per
// rotation) and die with the process: an application keeps them in a secret
// manager and hands them to setKeys.
//
//   npx tsx examples/jwks/issuer.ts       (ISSUER_PORT, default 3001)
//   POST /login    {"username":"test","password":"test"} → an access token
//   GET  /.well-known/jwks.json          the public keys, with their kids
//   POST /rotate   (admin) a new key signs; the old one still verifies
//   POST /retire   (admin) every key but the signing one is dropped
//
// Log in as admin/admin for the two admin routes.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions, type KeyOption } from '../../index'
import { Login, type LoginBody } from '../users'

/** The `iss` of this issuer's tokens: the resource accepts no other. */
export const ISSUER = 'jwks-example-issuer'
/** The audience of the tokens it issues: the resource service accepts only those. */
export const AUDIENCE = 'jwks-example-resource'

const ALGORITHM = 'ES256'
// A demo's users; `admin` may rotate the keys.
const USERS = new Map([
  ['test', { password: 'test', admin: false }],
  ['admin', { password: 'admin', admin: true }]
])
// The admin routes take a token from a password login of the last five
// minutes only: a stolen token of yesterday cannot rotate the keys.
const FRESH_SECONDS = 300

interface KeyPair { kid: string, privateKey: string, publicKey: string }

function newKeyPair (): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' }
  })
  // The date tells how old a key is; the random part keeps apart two keys
  // made on the same day.
  const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`
  return { kid, privateKey, publicKey }
}

export async function build (options: Omit<FastifyJwtAuthOptions, 'keys'> = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })

  // The key that signs, and the public halves of earlier keys, which verify
  // the tokens they signed until those have expired.
  let signing = newKeyPair()
  let verifyingOnly: KeyOption[] = []
  const keySet = (current: KeyPair, older: KeyOption[]): KeyOption[] =>
    [{ kid: current.kid, algorithm: ALGORITHM, privateKey: current.privateKey }, ...older]

  await app.register(fastifyJwtAuth, {
    keys: keySet(signing, verifyingOnly),
    encodeIssuer: ISSUER,
    // Written on every token, and required of the tokens this app verifies.
    decodeAudience: AUDIENCE,
    jwksRoute: true,
    ...options
  })

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    const { username, password } = request.body
    const user = USERS.get(username)
    if (user === undefined || user.password !== password) return reply.code(401).send({ message: 'Bad username or password' })
    const access = request.authJwt.createAccessToken({
      subject: username,
      fresh: FRESH_SECONDS,
      userClaims: user.admin ? { admin: true } : {}
    })
    return { access_token: access }
  })

  // After freshJwtRequired, which has verified the token.
  async function adminOnly (request: FastifyRequest, reply: FastifyReply) {
    if (request.authJwt.getRawJwt()?.admin !== true) return reply.code(403).send({ message: 'Admins only' })
  }
  const admin = { preHandler: [app.freshJwtRequired, adminOnly] }

  // The rotation in one go: the new key signs from now on, and the old one
  // stays in the set as a public key only, so the tokens it signed keep
  // working here and, through the JWKS, everywhere else. A service that
  // fetched the JWKS before the rotation fetches it again when it meets the
  // new kid (at most once per jwksCooldown). With many services, or a long
  // cooldown, add the new key after the current one first and make it sign
  // later (see the README): then every service knows it before it signs.
  app.post('/rotate', admin, async () => {
    const next = newKeyPair()
    const older: KeyOption[] = [{ kid: signing.kid, algorithm: ALGORITHM, publicKey: signing.publicKey }, ...verifyingOnly]
    app.authJwt.setKeys(keySet(next, older))
    signing = next
    verifyingOnly = older
    return { signing: signing.kid, verifying: verifyingOnly.map(key => key.kid) }
  })

  // Drops the old keys: the tokens they signed are refused from now on. An
  // application waits for the longest token lifetime (refreshTokenExpires)
  // after the rotation first; the demo lets you do it at once to see it.
  app.post('/retire', admin, async () => {
    app.authJwt.setKeys(keySet(signing, []))
    const retired = verifyingOnly.map(key => key.kid)
    verifyingOnly = []
    return { signing: signing.kid, retired }
  })

  return app
}

if (require.main === module) {
  build()
    .then(app => app.listen({ port: Number(process.env.ISSUER_PORT ?? 3001), host: '127.0.0.1' }))
    .catch(error => { console.error(error); process.exit(1) })
}
