// Reads the AUTHJWT_* variables (process environment, then a `.env` file in the
// working directory) with @fastify/env, and turns their text into option values.
import fastifyEnv from '@fastify/env'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from './errors'
import { KEY_MATERIAL_OPTIONS, optionsSetInCode } from './explicit-options'
import { durationSeconds, environmentName, envKindOf, optionsSchema, type EnvKind, type OptionName } from './options'

type RawEnvironment = Partial<Record<string, string>>
export type EnvironmentOptions = Partial<Record<OptionName, unknown>>

const envOptions = (Object.keys(optionsSchema.properties) as OptionName[])
  .filter(name => envKindOf(name) !== 'none')

// `BLACKLIST` is the name the Python originals use.
const ALIASES: Record<string, string> = {
  AUTHJWT_BLACKLIST_ENABLED: environmentName('denylistEnabled')
}

// Every variable is read as text: the conversion below knows each option's
// shape (a duration may be "false", a list is comma separated) and names the
// variable when its value is wrong.
const envSchema = Type.Object(Object.fromEntries(
  [...envOptions.map(environmentName), ...Object.keys(ALIASES)]
    .map(variable => [variable, Type.Optional(Type.String())])
))

// Variables that together make one setting, and so must all come from one
// place. @fastify/env merges the process environment over the .env file
// variable by variable; for these, a group the process environment sets is
// taken from it alone, so that a .env beside the app cannot complete or
// change it (an AUTHJWT_ALGORITHM=RS256 and an attacker's public key next to
// the real AUTHJWT_SECRET_KEY; a BLACKLIST alias overriding the real
// DENYLIST variable).
const ONE_SOURCE_GROUPS: ReadonlyArray<readonly string[]> = [
  KEY_MATERIAL_OPTIONS.map(environmentName),
  [environmentName('denylistEnabled'), ...Object.keys(ALIASES)]
]

/**
 * Reads the environment through @fastify/env, registered in a context of its
 * own so that it decorates nothing the application can see (no
 * `fastify.config`). The options passed in code are checked first: they
 * decide which variables are read at all.
 */
export async function readEnvironment (fastify: FastifyInstance, explicit: object): Promise<EnvironmentOptions> {
  const setInCode = optionsSetInCode(explicit)
  let raw: RawEnvironment = {}
  try {
    await fastify.register(async function readAuthJwtEnvironment (child) {
      await child.register(fastifyEnv, {
        confKey: 'authJwtEnvironment',
        schema: envSchema,
        dotenv: true
      })
      raw = (child as unknown as { authJwtEnvironment: RawEnvironment }).authJwtEnvironment
    })
  } catch (error) {
    // In practice a .env file that exists but cannot be read (a directory, no
    // permission): every variable is optional text, so none can be invalid.
    // The cause says why; its message is not copied into ours.
    throw Object.assign(
      new ConfigError('the AUTHJWT_* environment could not be read: is the .env file in the working directory readable?'),
      { cause: error })
  }
  return parseEnvironment(fromOneSource(raw, process.env), setInCode)
}

/** `merged` with each group the process environment sets taken from the process environment only. */
function fromOneSource (merged: RawEnvironment, processEnvironment: RawEnvironment): RawEnvironment {
  const result = { ...merged }
  for (const group of ONE_SOURCE_GROUPS) {
    if (group.some(variable => processEnvironment[variable] !== undefined)) {
      for (const variable of group) result[variable] = processEnvironment[variable]
    }
  }
  return result
}

/**
 * Turns the variables' text into option values; exported for tests. A variable
 * whose option was set in code is not read at all: it cannot fail.
 */
export function parseEnvironment (raw: RawEnvironment, setInCode: ReadonlySet<OptionName> = new Set()): EnvironmentOptions {
  const env = { ...raw }
  // The variable each value was read from, so that an error names the one the user set.
  const source: Record<string, string> = {}
  for (const [alias, name] of Object.entries(ALIASES)) {
    if (env[name] === undefined && env[alias] !== undefined) {
      env[name] = env[alias]
      source[name] = alias
    }
    delete env[alias]
  }

  const options: EnvironmentOptions = {}
  for (const name of envOptions) {
    const variable = environmentName(name)
    const text = env[variable]
    if (text === undefined || setInCode.has(name)) continue
    options[name] = convert(text, envKindOf(name), source[variable] ?? variable)
  }
  return options
}

function convert (text: string, kind: EnvKind, variable: string): unknown {
  const value = text.trim()
  switch (kind) {
    case 'boolean': {
      const flag = booleanOf(value)
      if (flag === undefined) throw new ConfigError(`${variable} must be true or false`)
      return flag
    }
    case 'integer':
      return wholeNumber(value, variable)
    case 'seconds':
      return seconds(value, variable)
    case 'lifetime':
      return /^false$/i.test(value) ? false : seconds(value, variable)
    case 'list':
      return list(value, variable)
    case 'stringOrList': {
      const items = list(value, variable)
      return items.length === 1 ? items[0] : items
    }
    case 'json':
      try {
        return JSON.parse(text)
      } catch {
        // The parser's message quotes the text, which may hold a key.
        throw new ConfigError(`${variable} must be JSON`)
      }
    case 'booleanOrPath': {
      const flag = value.startsWith('/') ? value : booleanOf(value)
      if (flag === undefined) throw new ConfigError(`${variable} must be true, false, or a path starting with "/"`)
      return flag
    }
    case 'key':
      // A PEM key in a one-line variable usually comes with its newlines escaped.
      return text.includes('\n') ? text : text.replace(/\\n/g, '\n')
    default:
      return text
  }
}

function booleanOf (value: string): boolean | undefined {
  if (/^(true|1|yes|on)$/i.test(value)) return true
  if (/^(false|0|no|off)$/i.test(value)) return false
  return undefined
}

function seconds (value: string, variable: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : durationSeconds(value)
  if (parsed === undefined) {
    throw new ConfigError(`${variable} must be a non-negative whole number of seconds, or a duration such as 15m or 30d`)
  }
  return parsed
}

function wholeNumber (value: string, variable: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${variable} must be a non-negative whole number`)
  return Number(value)
}

// An empty list from the environment is refused rather than taken: a
// variable left blank in a template would otherwise switch checks off
// (AUTHJWT_CSRF_METHODS= would CSRF-check nothing). Options set in code may
// still be empty lists on purpose.
function list (value: string, variable: string): string[] {
  const items = value.split(',').map(item => item.trim()).filter(item => item !== '')
  if (items.length === 0) throw new ConfigError(`${variable} is empty: leave it unset for the default, or list the values`)
  return items
}
