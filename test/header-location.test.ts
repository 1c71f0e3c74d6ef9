import t from 'tap'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildGuardedApp, bearer } from './helpers/app'

t.test('the Authorization header', async t => {
  const app = await buildGuardedApp(t)
  t.teardown(() => app.close())
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const call = (authorization: string) => app.inject({ url: '/required', headers: { authorization } })

  t.test('the scheme word is matched case-insensitively', async t => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      t.equal((await call(`${scheme} ${token}`)).statusCode, 200, scheme)
    }
  })

  t.test('surrounding and repeated spaces are tolerated', async t => {
    t.equal((await call(`  Bearer   ${token}  `)).statusCode, 200)
  })

  t.test('malformed headers are a 400 naming the expected form', async t => {
    for (const value of ['', 'Bearer', 'Bearer ', `Basic ${token}`, `Bearer ${token} ${token}`, token, `Bearer\t${token}`]) {
      const response = await call(value)
      t.equal(response.statusCode, 400, JSON.stringify(value.slice(0, 12)))
      t.same(response.json(), {
        statusCode: 400,
        code: 'FST_JWT_AUTH_BAD_HEADER',
        error: 'Bad Request',
        message: "Bad Authorization header. Expected value 'Bearer <JWT>'"
      })
      t.notOk(response.headers['www-authenticate'], 'a 400 carries no challenge')
      t.notMatch(response.body, token)
    }
  })
})

t.test('custom headerName and headerType', async t => {
  const app = await buildGuardedApp(t, { headerName: 'X-Api-Token', headerType: 'JWT' })
  t.teardown(() => app.close())
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  t.equal((await app.inject({ url: '/required', headers: { 'x-api-token': `JWT ${token}` } })).statusCode, 200)
  const missing = await app.inject({ url: '/required', headers: bearer(token) })
  t.equal(missing.json().message, 'Missing X-Api-Token Header', 'the Authorization header is not read')
  const bad = await app.inject({ url: '/required', headers: { 'x-api-token': `Bearer ${token}` } })
  t.equal(bad.json().message, "Bad X-Api-Token header. Expected value 'JWT <JWT>'")
})

t.test('headerType "" means the bare token', async t => {
  const app = await buildGuardedApp(t, { headerType: '' })
  t.teardown(() => app.close())
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  t.equal((await app.inject({ url: '/required', headers: { authorization: token } })).statusCode, 200)
  t.equal((await app.inject({ url: '/required', headers: { authorization: ` ${token} ` } })).statusCode, 200)
  for (const value of [`Bearer ${token}`, '']) {
    const response = await app.inject({ url: '/required', headers: { authorization: value } })
    t.equal(response.statusCode, 400)
    t.equal(response.json().message, "Bad Authorization header. Expected value '<JWT>'")
  }
})

t.test('a header Node keeps as a list is a bad header', async t => {
  // Node keeps Set-Cookie as a list, even when sent once.
  const app = await buildGuardedApp(t, { headerName: 'Set-Cookie' })
  t.teardown(() => app.close())
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const response = await app.inject({ url: '/required', headers: { 'set-cookie': [`Bearer ${token}`] } })
  t.equal(response.statusCode, 400, 'a 400')
  t.equal(response.json().message, "Bad Set-Cookie header. Expected value 'Bearer <JWT>'", 'a bad header, not a repeat')
})

t.test('a repeated custom header is refused as a repeat, not joined', async t => {
  const app = await buildGuardedApp(t, { headerName: 'X-Token' })
  t.teardown(() => app.close())
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/required' }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', chunk => { body += chunk }).on('end', () => resolve({ status: res.statusCode as number, body }))
    })
    req.on('error', reject)
    req.setHeader('X-Token', [`Bearer ${token}`, `Bearer ${token}`])
    req.end()
  })
  t.equal(answer.status, 400, 'a 400')
  t.equal(JSON.parse(answer.body).message, 'X-Token header sent more than once', 'refused as a repeat')
})
