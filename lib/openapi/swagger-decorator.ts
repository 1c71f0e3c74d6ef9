// @fastify/swagger builds its document on the first `swagger()` call and
// caches it. Its decorator is replaced, where it is defined, by one that
// secures that document once: every caller, @fastify/swagger-ui included,
// gets it secured. Documents without markers (a static one, one built before
// any guarded route) are returned untouched.
import { isJsonObject } from './json-object'
import { secureDocument } from './document-security'
import { toYaml } from './yaml-text'

type SwaggerDecorator = (this: unknown, options?: { yaml?: boolean }) => unknown

const DECORATOR = 'swagger'

const wrappers = new WeakSet<object>()
const seenDocuments = new WeakSet<object>()
const securedDocuments = new WeakSet<object>()
const yamlTexts = new WeakMap<object, string>()

/**
 * The objects in `instance`'s prototype chain that define a `swagger`
 * decorator: the instance's own and its ancestors' (@fastify/swagger,
 * registered with fastify-plugin, decorates the instance it is registered on).
 */
export function swaggerOwners (instance: object): object[] {
  const owners: object[] = []
  for (let owner: object | null = instance; owner !== null; owner = Object.getPrototypeOf(owner) as object | null) {
    const property = Object.getOwnPropertyDescriptor(owner, DECORATOR)
    if (typeof property?.value === 'function' && property.writable === true) owners.push(owner)
  }
  return owners
}

/** Replaces the owner's `swagger` decorator with the securing one, once. */
export function wrapSwaggerDecorator (owner: object): void {
  const holder = owner as Record<typeof DECORATOR, SwaggerDecorator>
  const original = holder[DECORATOR]
  if (wrappers.has(original)) return
  const swagger: SwaggerDecorator = function swagger (options) {
    if (options?.yaml !== true) return secured(original.call(this, options))
    const document = secured(original.call(this))
    // @fastify/swagger would build the YAML from a new, unsecured document.
    if (!securedDocuments.has(document as object)) return original.call(this, options)
    let text = yamlTexts.get(document as object)
    if (text === undefined) {
      text = toYaml(document as object)
      yamlTexts.set(document as object, text)
    }
    return text
  }
  wrappers.add(swagger)
  holder[DECORATOR] = swagger
}

function secured (document: unknown): unknown {
  if (!isJsonObject(document) || seenDocuments.has(document)) return document
  seenDocuments.add(document)
  if (secureDocument(document)) securedDocuments.add(document)
  return document
}
