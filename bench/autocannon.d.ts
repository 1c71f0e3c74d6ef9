// The part of autocannon's programmatic API the benchmark uses (autocannon
// ships no types).
declare module 'autocannon' {
  function autocannon (options: autocannon.Options): Promise<autocannon.Result>

  namespace autocannon {
    interface Request {
      method: string
      path: string
      headers: Record<string, string>
      /** Sent as is, with its Content-Length. */
      body?: string
    }

    interface Client {
      /** Replaces the requests this connection sends in turn (each built once, by `requestIterator.requestBuilder`). */
      setRequests: (requests: Request[]) => void
      /**
       * Not in autocannon's documentation (its lib/requestIterator.js, in
       * autocannon 9): what turns a request into the bytes it sends.
       * bench/requests.ts replaces the builder with a lookup of prebuilt bytes.
       */
      requestIterator: { requestBuilder: (request: Request) => Buffer }
    }

    interface Options {
      url: string
      connections: number
      /** Seconds. */
      duration: number
      headers?: Record<string, string>
      /** Called once for each connection, when it is created. */
      setupClient?: (client: Client) => void
    }

    interface Result {
      /** Seconds. */
      duration: number
      errors: number
      timeouts: number
      /** Responses by status code. */
      statusCodeStats: Record<string, { count: number }>
      /** `total`: the requests completed. */
      requests: { total: number }
    }
  }

  export = autocannon
}
