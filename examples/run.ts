// Starts an example app from the command line: `tsx examples/basic.ts`.
import type { FastifyInstance } from 'fastify'

export async function runExample (build: () => Promise<FastifyInstance>, defaultPort: number): Promise<void> {
  const app = await build()
  const port = Number(process.env.PORT ?? defaultPort)
  const host = process.env.HOST ?? '127.0.0.1'
  await app.listen({ port, host })
}
