// The part of autocannon's programmatic API the benchmark uses (autocannon
// ships no types).
declare module 'autocannon' {
  function autocannon (options: autocannon.Options): Promise<autocannon.Result>

  namespace autocannon {
    interface RequestData {
      method: string
      path: string
      headers: Record<string, string>
      [key: string]: unknown
    }

    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      /** Called before every request built from this entry; returns the request to send. */
      setupRequest?: (request: RequestData, context: Record<string, unknown>) => RequestData
    }

    interface Client {
      /** Replaces the requests this connection sends in turn (built once each). */
      setRequests: (requests: Request[]) => void
    }

    interface Options {
      url: string
      /** Called once for each connection, when it is created. */
      setupClient?: (client: Client) => void
      connections?: number
      /** Seconds. */
      duration?: number
      pipelining?: number
      timeout?: number
      headers?: Record<string, string>
      requests?: Request[]
    }

    interface Histogram {
      average: number
      mean: number
      stddev: number
      min: number
      max: number
      total: number
      p50: number
      p90: number
      p99: number
    }

    interface Result {
      /** Seconds. */
      duration: number
      errors: number
      timeouts: number
      mismatches: number
      non2xx: number
      resets: number
      '2xx': number
      statusCodeStats: Record<string, { count: number }>
      /** Milliseconds. */
      latency: Histogram
      /** Per-second samples; `total` is the number of completed requests. */
      requests: Histogram & { sent: number }
      throughput: Histogram
    }
  }

  export = autocannon
}
