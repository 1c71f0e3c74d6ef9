// lib/options.ts: the one schema that types the options, validates them,
// holds their defaults and says how each is read from its AUTHJWT_* variable.
// How the configuration uses it: config.test.ts; the variables themselves:
// environment.test.ts.
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import {
  ALGORITHMS,
  DEFAULTS,
  durationSeconds,
  envKindOf,
  hintOf,
  isSubject,
  environmentName,
  optionsSchema,
  SAMESITE_VALUES,
  TOKEN_LOCATIONS,
  TOKEN_TYPES,
  type EnvKind,
  type OptionName
} from '../lib/options'

interface OptionSchema extends TSchema {
  env: EnvKind
  hint: string
  default?: unknown
}

const options = Object.entries(optionsSchema.properties) as Array<[OptionName, OptionSchema]>

/** Whether the schema, or one branch of its union, is of this JSON type. */
function accepts (schema: TSchema, type: string): boolean {
  return schema.type === type || (schema.anyOf as TSchema[] | undefined)?.some(branch => accepts(branch, type)) === true
}

t.test('environmentName: AUTHJWT_ and the option in UPPER_SNAKE', async (t) => {
  t.equal(environmentName('secretKey'), 'AUTHJWT_SECRET_KEY', 'one capital: one underscore')
  t.equal(environmentName('algorithm'), 'AUTHJWT_ALGORITHM', 'one word')
  t.equal(environmentName('accessCsrfCookiePath'), 'AUTHJWT_ACCESS_CSRF_COOKIE_PATH', 'every capital starts a word')
  t.equal(environmentName('cookieSamesite'), 'AUTHJWT_COOKIE_SAMESITE', 'Samesite is one word')
  const variables = options.map(([name]) => environmentName(name))
  t.ok(variables.every(variable => /^AUTHJWT_[A-Z]+(_[A-Z]+)*$/.test(variable)),
    'every option has a variable of capitals and single underscores')
  t.equal(new Set(variables).size, options.length, 'no two options share a variable')
})

t.test('the schema holds the defaults, and DEFAULTS is read from it', async (t) => {
  const withDefaults = options.filter(([, schema]) => 'default' in schema)
  t.ok(withDefaults.length >= 25, 'most options have their default in the schema')
  t.same(Object.keys(DEFAULTS).sort(), withDefaults.map(([name]) => name).sort(),
    'DEFAULTS has an entry for exactly the options whose schema has a default')
  for (const [name, schema] of withDefaults) {
    t.same(DEFAULTS[name as keyof typeof DEFAULTS], schema.default, `${name}: DEFAULTS holds the schema's default`)
    t.ok(Value.Check(schema, schema.default), `${name}: the default passes its own schema`)
  }
  t.ok(Object.isFrozen(DEFAULTS) && Object.isFrozen(DEFAULTS.csrfMethods), 'the shared defaults cannot be changed')
  t.ok(Object.isFrozen(DEFAULTS.tokenLocation) && Object.isFrozen(DEFAULTS.denylistTokenChecks),
    'nor any of the default lists')
})

t.test("each option's env kind fits its schema, so that a good variable gives a valid value", async (t) => {
  const fits: Record<EnvKind, (schema: TSchema) => boolean> = {
    string: schema => accepts(schema, 'string'),
    key: schema => accepts(schema, 'string'),
    boolean: schema => accepts(schema, 'boolean'),
    integer: schema => accepts(schema, 'integer'),
    // Seconds, or a duration string.
    seconds: schema => accepts(schema, 'integer') && accepts(schema, 'string'),
    // A lifetime is seconds, a duration string, or the literal false.
    lifetime: schema => accepts(schema, 'integer') && accepts(schema, 'string') && accepts(schema, 'boolean'),
    list: schema => accepts(schema, 'array'),
    stringOrList: schema => accepts(schema, 'string') && accepts(schema, 'array'),
    // JSON may hold anything: the option's own parser (the key set's) names what is wrong.
    json: schema => schema.type === undefined && schema.anyOf === undefined,
    booleanOrPath: schema => accepts(schema, 'boolean') && accepts(schema, 'string'),
    // Functions and objects: the schema takes anything, and config.ts checks them.
    none: schema => schema.type === undefined && schema.anyOf === undefined
  }
  for (const [name, schema] of options) {
    t.ok(Object.hasOwn(fits, schema.env), `${name}: a known env kind (${schema.env})`)
    t.ok(fits[schema.env]?.(schema), `${name}: env kind ${schema.env} fits its schema`)
  }
  t.same(options.filter(([, schema]) => schema.env === 'none').map(([name]) => name).sort(),
    ['claimsSchema', 'denylistStore', 'tokenInDenylist', 'userLookup'],
    'only the functions, the store and the schema cannot come from the environment')
  t.same(options.filter(([, schema]) => schema.env === 'key').map(([name]) => name).sort(),
    ['privateKey', 'publicKey'], 'the PEM keys are the values whose escaped newlines are restored')
})

t.test('each hint finishes "<option> must be …" and names the values allowed', async (t) => {
  for (const [name, schema] of options) {
    t.ok(typeof schema.hint === 'string' && /^[a-z"]/.test(schema.hint) && !schema.hint.endsWith('.'),
      `${name}: a hint that continues the sentence (${schema.hint})`)
  }
  const allowed: Array<[OptionName, readonly string[]]> = [
    ['algorithm', ALGORITHMS],
    ['decodeAlgorithms', ALGORITHMS],
    ['tokenLocation', TOKEN_LOCATIONS],
    ['cookieSamesite', SAMESITE_VALUES],
    ['denylistTokenChecks', TOKEN_TYPES]
  ]
  for (const [name, values] of allowed) {
    const hint = (optionsSchema.properties[name] as OptionSchema).hint
    t.ok(values.every(value => hint.includes(value)), `${name}: the hint lists ${values.join(', ')}`)
  }
})

t.test('durationSeconds reads the durations people write', async (t) => {
  const read: Array<[string, number | undefined]> = [
    ['90s', 90], ['15m', 900], ['2h', 7200], ['30d', 2_592_000], ['0s', 0],
    ['15', undefined], ['15 m', undefined], ['1.5h', undefined], ['-5m', undefined], ['15M', undefined],
    ['15min', undefined], ['m', undefined], ['', undefined]
  ]
  for (const [text, seconds] of read) t.equal(durationSeconds(text), seconds, `${JSON.stringify(text)} → ${String(seconds)}`)
})

t.test('isSubject: a non-empty string, or a number within ±2^53', async (t) => {
  for (const value of ['alice', 'x', 0, -1, 1.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
    t.equal(isSubject(value), true, `${typeof value} ${String(value)} is a subject`)
  }
  for (const value of ['', 2 ** 53 + 2, -(2 ** 60), NaN, Infinity, null, undefined, true, {}, ['a'], 10n]) {
    t.equal(isSubject(value), false, `${typeof value} ${String(value)} is not`)
  }
})

t.test('envKindOf and hintOf read the option schema', async (t) => {
  t.equal(envKindOf('accessTokenExpires'), 'lifetime', 'a token lifetime')
  t.equal(envKindOf('decodeLeeway'), 'seconds', 'seconds')
  t.equal(envKindOf('tokenInDenylist'), 'none', 'never from the environment')
  t.equal(hintOf('cookieSamesite'), 'one of strict, lax, none', "the end of 'cookieSamesite must be …'")
})
