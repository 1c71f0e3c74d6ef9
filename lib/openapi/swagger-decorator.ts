// @fastify/swagger builds its document on the first `swagger()` call and
// caches it. Its `swagger` decorator is replaced, on the instance it
// decorates, by one that has it build the document from the marked views of
// the routes' schemas, then serves that document secured. It is replaced as
// soon as the plugin sees it: when the plugin is registered, or at the next
// route declared. A reference to @fastify/swagger's own function taken
// before that bypasses it: called first, it builds (and @fastify/swagger
// caches) the document unsecured. A decorator of the same name that is not
// @fastify/swagger's, and one @fastify/swagger registers under another name,
// are left alone.
import { isJsonObject } from './json-object'
import { emitOpenApiWarning } from './openapi-warning'
import { markedBuild } from './route-records'
import { servedDocument, yamlOf } from './served-document'

type Decorator = (this: unknown, ...args: unknown[]) => unknown

const DECORATOR = 'swagger'
const SWAGGER_PLUGIN = '@fastify/swagger'

const wrappers = new WeakSet<object>()

/**
 * The objects in `instance`'s prototype chain (the instance and its
 * ancestors) on which @fastify/swagger defined its `swagger` decorator:
 * registered with fastify-plugin, it decorates the instance it is registered on.
 */
export function swaggerOwners (instance: object): object[] {
  const owners: object[] = []
  for (let owner: object | null = instance; owner !== null; owner = Object.getPrototypeOf(owner) as object | null) {
    const property = Object.getOwnPropertyDescriptor(owner, DECORATOR)
    if (typeof property?.value === 'function' && property.writable === true && hasSwaggerPlugin(owner)) owners.push(owner)
  }
  return owners
}

/** Replaces the owner's `swagger` decorator with the securing one, once. */
export function wrapSwaggerDecorator (owner: object): void {
  const holder = owner as Record<typeof DECORATOR, Decorator>
  const original = holder[DECORATOR]
  if (wrappers.has(original)) return
  let warnedOfFailure = false
  const swagger: Decorator = function swagger (...args) {
    const [options] = args
    const wantsYaml = isJsonObject(options) && options.yaml === true
    // The YAML text is written from the served object: the object is asked for.
    const objectArgs = wantsYaml ? [{ ...options, yaml: false }, ...args.slice(1)] : args
    const build = markedBuild(owner)
    let built: unknown
    try {
      built = build.run(() => original.apply(this, objectArgs))
    } catch (error) {
      if (!warnedOfFailure && build.unmarkableHeads.length > 0) {
        warnedOfFailure = true
        emitOpenApiWarning(`@fastify/swagger could not build its document (${String(error)}). ` +
          `${build.unmarkableHeads.join(', ')} has an operationId and a security requirement of its own naming the ` +
          'plugin\'s schemes: @fastify/swagger documents such a HEAD route from a copy of its schema taken as it is ' +
          'declared, out of the plugin\'s reach, and fails on a scheme missing from its options. If that is the error, ' +
          'define those schemes in @fastify/swagger\'s options')
      }
      throw error
    }
    const document = servedDocument(built, build.routes)
    return wantsYaml && isJsonObject(document) ? yamlOf(document) : document
  }
  wrappers.add(swagger)
  holder[DECORATOR] = swagger
}

function hasSwaggerPlugin (owner: object): boolean {
  const { hasPlugin } = owner as { hasPlugin?: unknown }
  return typeof hasPlugin === 'function' && hasPlugin.call(owner, SWAGGER_PLUGIN) === true
}
