// The documents @fastify/swagger builds are plain JSON data of no declared
// type: every part is checked for what it is before it is read.

export type JsonObject = Record<string, unknown>

export function isJsonObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
