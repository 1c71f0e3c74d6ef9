// A WebSocket echo behind jwtRequired, with @fastify/websocket. The upgrade
// request goes through the guard like any route: without a valid token the
// client gets the normal HTTP error (401 and its JSON body) and no socket.
//
//   npx tsx examples/websocket.ts
//   TOKEN=$(curl -s -X POST localhost:8000/login -H 'content-type: application/json' \
//        -d '{"username":"test","password":"test"}' | node -pe 'JSON.parse(fs.readFileSync(0)).access_token')
//   node -e "const ws = new (require('ws'))('ws://localhost:8000/echo?token=$TOKEN');
//     ws.on('open', () => ws.send('hello')); ws.on('message', m => { console.log(String(m)); ws.close() })"
//
// Browsers cannot set headers on a WebSocket, so they send the token in the
// query string (`?token=`), or rely on the access cookie set by /login; a
// cookie always needs its CSRF value, which the page reads from the
// csrf_access_token cookie and sends as `?csrf_token=`. Node clients may use
// the Authorization header.
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../index'
import { devSecret } from './dev-secret'
import { runExample } from './run'
import { checkPassword, Login, type LoginBody } from './users'

export async function build (options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: process.env.LOG_LEVEL ?? 'info',
      // Request URLs are logged without their query string: it may hold a token.
      serializers: {
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: request.url.split('?')[0],
          host: request.host,
          remoteAddress: request.ip
        })
      }
    }
  })
  await app.register(fastifyJwtAuth, {
    ...devSecret(app.log),
    tokenLocation: ['headers', 'query', 'cookies'],
    ...options
  })
  await app.register(fastifyWebsocket)

  app.post<{ Body: LoginBody }>('/login', { schema: { body: Login } }, async (request, reply) => {
    if (!checkPassword(request.body)) return reply.code(401).send({ message: 'Bad username or password' })
    const accessToken = request.authJwt.createAccessToken({ subject: request.body.username })
    request.authJwt.setAccessCookies(reply, accessToken)
    return { access_token: accessToken }
  })

  // The guard runs on the upgrade request, before the socket opens.
  app.get('/echo', { websocket: true, preHandler: app.jwtRequired }, (socket, request) => {
    const subject = request.authJwt.getJwtSubject()
    socket.on('message', message => socket.send(`${subject}: ${String(message)}`))
  })

  return app
}

if (require.main === module) runExample(build, 8000).catch(error => { console.error(error); process.exit(1) })
