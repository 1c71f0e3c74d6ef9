// examples/sessions.ts end to end with inject: login, rotation on refresh,
// a used refresh token coming back (within and after the grace window), two
// refreshes at once, and logging out everywhere. The clock is faked, so the
// grace window passes without waiting and a cut-off falls between two
// tokens to the millisecond.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build } from '../../examples/sessions'
import { bearer } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { fakeClock } from '../helpers/clock'

process.env.LOG_LEVEL = 'silent'
const secretKey = 'an-examples-secret-that-is-long-enough-for-hs256'
const credentials = { username: 'test', password: 'test' }
// The example keeps the plugin's default grace window.
const GRACE_MS = 30_000

interface Pair { access: string, refresh: string }

async function start (t: Test) {
  const app = await build({ secretKey })
  t.teardown(() => app.close())
  return client(app)
}

function client (app: FastifyInstance) {
  const post = (url: string, token?: string, body?: object) => app.inject({
    method: 'POST',
    url,
    ...(body === undefined ? {} : { payload: body }),
    headers: token === undefined ? {} : bearer(token)
  })
  const pairOf = (body: { access_token: string, refresh_token: string }): Pair =>
    ({ access: body.access_token, refresh: body.refresh_token })
  return {
    app,
    post,
    async login (): Promise<Pair> {
      const response = await post('/login', undefined, credentials)
      if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`)
      return pairOf(response.json())
    },
    refresh: (token: string) => post('/refresh', token),
    async rotate (token: string): Promise<Pair> {
      const response = await post('/refresh', token)
      if (response.statusCode !== 200) throw new Error(`refresh failed: ${response.body}`)
      return pairOf(response.json())
    },
    me: (token: string) => app.inject({ url: '/me', headers: bearer(token) }),
    family: (token: string) => app.authJwt.decodeToken(token).fam
  }
}

t.test('login gives an access and a refresh token of one family', async t => {
  const api = await start(t)
  t.equal((await api.post('/login', undefined, { username: 'test', password: 'x' })).statusCode, 401,
    'a wrong password gets no tokens')
  const { access, refresh } = await api.login()
  const claims = api.app.authJwt.decodeToken(access)
  t.match(claims, { sub: 'test', type: 'access', fresh: true }, 'a fresh access token')
  t.match(api.app.authJwt.decodeToken(refresh), { sub: 'test', type: 'refresh' }, 'and a refresh token')
  t.type(claims.fam, 'string', 'the access token has a family')
  t.equal(claims.fam, api.family(refresh), 'the refresh token\'s')
  t.not(api.family((await api.login()).refresh), claims.fam, 'every login starts its own family')
  t.same((await api.me(access)).json(), { user: 'test' }, 'the access token opens /me')
  expectAuthError(t, await api.me(refresh), 'FST_JWT_AUTH_ACCESS_REQUIRED', { what: 'the refresh token does not' })
})

t.test('refresh rotates: a new pair of the same family, the refresh token keeping the login\'s expiry', async t => {
  const api = await start(t)
  const clock = fakeClock(t)
  const login = await api.login()
  clock.advance(60_000)
  const response = await api.refresh(login.refresh)
  t.equal(response.statusCode, 200, 'the refresh passes')
  t.same(Object.keys(response.json()).sort(), ['access_token', 'refresh_token'], 'with both tokens')
  const rotated = { access: response.json().access_token, refresh: response.json().refresh_token }
  const before = api.app.authJwt.decodeToken(login.refresh)
  const after = api.app.authJwt.decodeToken(rotated.refresh)
  t.not(after.jti, before.jti, 'a new refresh token')
  t.equal(after.fam, before.fam, 'of the same family')
  t.equal(after.exp, before.exp, 'ending when the login\'s does, though issued a minute later')
  t.match(api.app.authJwt.decodeToken(rotated.access), { type: 'access', fresh: false, fam: before.fam },
    'the new access token is of the family too, and not fresh')
  t.same((await api.me(rotated.access)).json(), { user: 'test' }, 'it opens /me')
  t.equal((await api.refresh(rotated.refresh)).statusCode, 200, 'the new refresh token refreshes in turn')
  expectAuthError(t, await api.refresh(rotated.access), 'FST_JWT_AUTH_REFRESH_REQUIRED',
    { what: 'an access token cannot refresh' })
})

t.test('a used refresh token presented after the grace window revokes its whole family', async t => {
  const api = await start(t)
  const clock = fakeClock(t)
  const login = await api.login()
  const other = await api.login()
  const rotated = await api.rotate(login.refresh)
  clock.advance(GRACE_MS + 1)

  // The thief (or the client, if the thief refreshed first) sends the old one.
  expectAuthError(t, await api.refresh(login.refresh), 'FST_JWT_AUTH_TOKEN_REUSED',
    { message: 'Refresh token has already been used', what: 'the replayed refresh token' })
  expectAuthError(t, await api.me(rotated.access), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'the family\'s access token from the refresh' })
  expectAuthError(t, await api.me(login.access), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'the family\'s access token from the login' })
  expectAuthError(t, await api.refresh(rotated.refresh), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'the family\'s newest refresh token' })
  expectAuthError(t, await api.refresh(login.refresh), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'the replayed token, presented once more' })

  t.same((await api.me(other.access)).json(), { user: 'test' }, 'another login of the same user goes on')
  t.equal((await api.refresh(other.refresh)).statusCode, 200, 'and refreshes')
  const again = await api.login()
  t.same((await api.me(again.access)).json(), { user: 'test' }, 'a new login works')
})

t.test('within the grace window a used refresh token gets a pair again', async t => {
  const api = await start(t)
  const clock = fakeClock(t)
  const login = await api.login()
  const first = await api.rotate(login.refresh)
  clock.advance(GRACE_MS)
  const second = await api.rotate(login.refresh)
  t.equal(api.family(second.refresh), api.family(login.refresh), 'of the same family')
  t.same((await api.me(first.access)).json(), { user: 'test' }, 'the first pair still works')
  t.same((await api.me(second.access)).json(), { user: 'test' }, 'and so does the second')
})

t.test('two refreshes of one token at once both get a pair', async t => {
  const api = await start(t)
  const { refresh } = await api.login()
  const answers = await Promise.all([api.refresh(refresh), api.refresh(refresh)])
  t.same(answers.map(answer => answer.statusCode), [200, 200], 'both pass (two tabs stay signed in)')
  for (const [index, answer] of answers.entries()) {
    const { access_token: access, refresh_token: next } = answer.json()
    t.same((await api.me(access)).json(), { user: 'test' }, `tab ${index + 1}'s access token works`)
    t.equal(api.family(next), api.family(refresh), `tab ${index + 1}'s refresh token is of the family`)
  }
})

t.test('logout everywhere refuses every earlier token of the user; a new login works', async t => {
  const api = await start(t)
  const clock = fakeClock(t)
  const laptop = await api.login()
  const phone = await api.login()
  const phoneRotated = await api.rotate(phone.refresh)
  clock.advance(1)

  expectAuthError(t, await api.post('/logout-everywhere', laptop.refresh), 'FST_JWT_AUTH_ACCESS_REQUIRED',
    { what: 'a refresh token cannot log out everywhere' })
  const response = await api.post('/logout-everywhere', laptop.access)
  t.equal(response.statusCode, 200, 'the access token logs out everywhere')
  t.same(response.json(), { message: 'Logged out everywhere' }, 'and the route says so')
  clock.advance(1)

  for (const [what, pair] of [['laptop', laptop], ['phone', phone], ['phone, refreshed', phoneRotated]] as const) {
    expectAuthError(t, await api.me(pair.access), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: `${what}: access token` })
    expectAuthError(t, await api.refresh(pair.refresh), 'FST_JWT_AUTH_TOKEN_REVOKED', { what: `${what}: refresh token` })
  }
  expectAuthError(t, await api.post('/logout-everywhere', laptop.access), 'FST_JWT_AUTH_TOKEN_REVOKED',
    { what: 'a second logout everywhere with a refused token' })

  const again = await api.login()
  t.same((await api.me(again.access)).json(), { user: 'test' }, 'a new login\'s access token works')
  const renewed = await api.rotate(again.refresh)
  t.same((await api.me(renewed.access)).json(), { user: 'test' }, 'and its refresh token refreshes')
})
