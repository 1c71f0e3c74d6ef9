export type { DenylistStore, RefreshTokenUse, RefreshTokenUseResult, TokenIdentity } from './store'
export { createMemoryDenylist, type MemoryDenylistOptions } from './memory-store'
export { createRedisDenylist, type RedisDenylistOptions, type RedisLike } from './redis-store'
