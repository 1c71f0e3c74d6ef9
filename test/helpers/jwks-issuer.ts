// An issuer's JWKS endpoint on 127.0.0.1 that a test controls request by
// request: what it answers, and which requests it got.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Test } from 'tap'

export type Handler = (request: IncomingMessage, response: ServerResponse) => void

export interface Issuer {
  /** The JWKS endpoint: /jwks. */
  url: URL
  /** Requests to /jwks so far. */
  requests: () => number
  /** Every path requested, in order. */
  paths: string[]
  /** Answers every request with `handler` from now on (404 until then). */
  handle: (handler: Handler) => void
  /** Serves `document` (JSON-encoded unless a string) at /jwks, 200. */
  serve: (document: unknown) => void
  /** Ends every connection (whatever a fetch left hanging) and stops listening. */
  close: () => Promise<void>
}

export async function openIssuer (): Promise<Issuer> {
  const paths: string[] = []
  let handler: Handler = (_request, response) => { response.writeHead(404).end() }
  const server = createServer((request, response) => {
    paths.push(request.url as string)
    handler(request, response)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const issuer: Issuer = {
    url: new URL(`http://127.0.0.1:${port}/jwks`),
    requests: () => paths.filter(path => path === '/jwks').length,
    paths,
    handle: next => { handler = next },
    serve: document => {
      const body = typeof document === 'string' ? document : JSON.stringify(document)
      issuer.handle((_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end(body) })
    },
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
  return issuer
}

/** An issuer closed when `t` ends. */
export async function startIssuer (t: Test): Promise<Issuer> {
  const issuer = await openIssuer()
  t.teardown(() => issuer.close())
  return issuer
}
