// The requests the load generator sends, turned into the bytes that go on the
// wire once per benchmark rather than once per run. autocannon builds every
// request a connection is given whenever it is given them: with 300,000
// new tokens, each run spent over a second of the load generator's CPU on
// it (and as much again collecting the garbage), and the server idled at
// 25–40 % CPU: the load generator set the pace, and a new token every request
// measured nothing but the load generator.
import type autocannon from 'autocannon'

/** A request with the bytes autocannon sends for it. */
export interface PrebuiltRequest extends autocannon.Request {
  bytes: Buffer
}

/**
 * The request as HTTP/1.1 bytes, as autocannon writes them: the request line,
 * Host, Connection: keep-alive, the headers, and Content-Length with a body.
 * Host names no port, so one set of bytes serves every server of the run.
 */
export function prebuiltRequest (method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): PrebuiltRequest {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: keep-alive',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)]
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return { method, path, headers, ...(body === undefined ? {} : { body }), bytes: Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`) }
}

/**
 * Gives `client` its requests (from `first` on, then around), which it sends
 * as their prebuilt bytes: its request builder, which `setRequests` calls on
 * every request, is replaced by one that looks them up.
 */
export function sendPrebuilt (client: autocannon.Client, requests: PrebuiltRequest[], first = 0): void {
  client.requestIterator.requestBuilder = request => (request as PrebuiltRequest).bytes
  client.setRequests(first === 0 ? requests : [...requests.slice(first), ...requests.slice(0, first)])
}
