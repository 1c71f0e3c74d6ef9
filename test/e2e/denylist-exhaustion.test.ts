// One account must not be able to switch revocation off for everyone: with the
// default in-memory denylist, a loop of logins and logouts from one account
// used to fill the store, after which every other user's logout failed (500)
// and left their token working.
import t from 'tap'
import Fastify from 'fastify'
import fastifyJwtAuth from '../../index'

const SECRET = 'an-exhaustion-test-secret-long-enough-for-hs256'
const DEFAULT_MAX_ENTRIES = 100_000

t.test('one account revoking in a loop cannot stop another user\'s logout', async t => {
  const app = Fastify({ logger: false })
  // The default store, with its default options.
  await app.register(fastifyJwtAuth, { secretKey: SECRET, denylistEnabled: true })
  app.get('/me', { preHandler: app.jwtRequired }, async request => ({ user: request.authJwt.getJwtSubject() }))
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, async () => ({ refreshed: true }))
  app.post('/logout', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeToken()
    return { logout: true }
  })
  t.teardown(() => app.close())

  // The attacker: log in (a 30-day refresh token) and revoke it, more times
  // than the store has entries.
  const attackerTokens: string[] = []
  let refusedRevocations = 0
  for (let i = 0; i < DEFAULT_MAX_ENTRIES + 500; i++) {
    const token = app.authJwt.createRefreshToken({ subject: 'mallory' })
    attackerTokens.push(token)
    await app.authJwt.revokeToken(app.authJwt.decodeToken(token)).catch(() => { refusedRevocations++ })
  }
  t.equal(refusedRevocations, 0, 'every one of the attacker\'s revocations was accepted')

  const alice = app.authJwt.createAccessToken({ subject: 'alice' })
  const authorization = `Bearer ${alice}`
  t.equal((await app.inject({ url: '/me', headers: { authorization } })).statusCode, 200, 'alice is logged in')
  const logout = await app.inject({ method: 'POST', url: '/logout', headers: { authorization } })
  t.equal(logout.statusCode, 200, 'alice\'s logout succeeds')
  t.same(logout.json(), { logout: true }, 'and answers the route\'s body')
  const after = await app.inject({ url: '/me', headers: { authorization } })
  t.equal(after.statusCode, 401, 'alice\'s token is refused after the logout')
  t.equal(after.json().code, 'FST_JWT_AUTH_TOKEN_REVOKED', 'as revoked')

  // The attacker's tokens stay revoked: the first ones (folded long ago), the
  // last ones, and every 100th in between, through the real guard.
  const sample = attackerTokens.filter((_, i) => i < 300 || i >= attackerTokens.length - 300 || i % 100 === 0)
  let stillRefused = 0
  for (const token of sample) {
    const response = await app.inject({ method: 'POST', url: '/refresh', headers: { authorization: `Bearer ${token}` } })
    if (response.statusCode === 401 && response.json().code === 'FST_JWT_AUTH_TOKEN_REVOKED') stillRefused++
  }
  t.equal(stillRefused, sample.length, `all ${sample.length} sampled attacker tokens are refused as revoked`)
})
