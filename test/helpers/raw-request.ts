// Requests written byte by byte over a TCP socket, for attack tests that need
// what ordinary clients refuse to send: a header repeated, cookies repeated.
// HTTP/1.1 as text; HTTP/2 in cleartext (prior knowledge), headers sent as
// HPACK literals so that every field reaches the server exactly as listed.
import { connect } from 'node:net'

/** An answer read off the socket. Over HTTP/2 the status and headers stay compressed: the body only. */
export interface RawResponse {
  body: string
  /** The body parsed as JSON. */
  json: () => any
}

/** An HTTP/1.1 answer, shaped as `app.inject` answers so that the same assertions read it. */
export interface Http1Response extends RawResponse {
  statusCode: number
  /** By lowercased name; a header sent twice is joined with ", ". */
  headers: Record<string, string>
}

function rawResponse (body: string): RawResponse {
  return { body, json: () => JSON.parse(body) }
}

/** Sends `head` (request line and header lines, without the blank line) and reads the whole answer. */
export function sendHttp1 (port: number, head: string[]): Promise<Http1Response> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', chunk => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).toLowerCase()
        const value = line.slice(colon + 1).trim()
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value
      }
      resolve({ ...rawResponse(text.slice(split + 4)), statusCode: Number(statusLine.slice(9, 12)), headers })
    })
    socket.write([...head, 'Connection: close', '', ''].join('\r\n'))
  })
}

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
const DATA = 0x0
const HEADERS = 0x1
const SETTINGS = 0x4
const END_STREAM = 0x1
const END_HEADERS = 0x4
const ACK = 0x1

function frame (type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(stream, 5)
  return Buffer.concat([head, payload])
}

// HPACK (RFC 7541 §5.1): an integer with a 7-bit prefix.
function prefixedInteger (value: number): number[] {
  if (value < 127) return [value]
  const bytes = [127]
  let rest = value - 127
  while (rest >= 128) {
    bytes.push((rest & 127) | 128)
    rest = Math.floor(rest / 128)
  }
  bytes.push(rest)
  return bytes
}

function literalString (text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1')
  return Buffer.concat([Buffer.from(prefixedInteger(bytes.length)), bytes])
}

/**
 * Sends one GET on stream 1 with exactly these header fields (pseudo-headers
 * are added first) and resolves with the response body.
 */
export function sendHttp2 (port: number, path: string, fields: Array<[string, string]>): Promise<RawResponse> {
  const all: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', path], [':authority', '127.0.0.1'], ...fields]
  // A literal header field without indexing, with a new name: 0x00, name, value.
  const block = Buffer.concat(all.map(([name, value]) => Buffer.concat([Buffer.from([0]), literalString(name), literalString(value)])))
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let pending = Buffer.alloc(0)
    let body = ''
    socket.on('error', reject)
    socket.on('data', chunk => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
        const length = pending.readUIntBE(0, 3)
        const [type, flags] = [pending[3], pending[4]]
        const stream = pending.readUInt32BE(5) & 0x7fffffff
        const payload = pending.subarray(9, 9 + length)
        pending = pending.subarray(9 + length)
        if (type === SETTINGS && (flags & ACK) === 0) socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)))
        if (type === DATA && stream === 1) body += payload.toString('utf8')
        if ((type === DATA || type === HEADERS) && stream === 1 && (flags & END_STREAM) !== 0) {
          socket.end()
          resolve(rawResponse(body))
        }
      }
    })
    socket.write(Buffer.concat([
      Buffer.from(PREFACE, 'latin1'),
      frame(SETTINGS, 0, 0, Buffer.alloc(0)),
      frame(HEADERS, END_STREAM | END_HEADERS, 1, block)
    ]))
  })
}
