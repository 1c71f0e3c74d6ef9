// Collects the warnings the plugin emits with process.emitWarning.
import Fastify from 'fastify'
import type { Test } from 'tap'
import fastifyJwtAuth, { type FastifyJwtAuthOptions } from '../../index'
import { WARNING_TYPE } from '../../lib/warnings'

export interface EmittedWarning {
  code: string | undefined
  message: string
}

/** Runs `action` and returns the plugin's warnings it caused, in order. */
export async function warningsDuring (action: () => unknown): Promise<EmittedWarning[]> {
  const seen: EmittedWarning[] = []
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.name === WARNING_TYPE) seen.push({ code: warning.code, message: warning.message })
  }
  process.on('warning', listener)
  try {
    await action()
    // Node delivers warnings on the next tick.
    await new Promise(resolve => setImmediate(resolve))
  } finally {
    process.off('warning', listener)
  }
  return seen
}

/** Registers the plugin with exactly `options` (on an app closed when `t` ends) and returns the warnings it emitted. */
export async function warningsOfRegistration (t: Test, options: object): Promise<EmittedWarning[]> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  return await warningsDuring(async () => {
    await app.register(fastifyJwtAuth, options as FastifyJwtAuthOptions)
    await app.ready()
  })
}
