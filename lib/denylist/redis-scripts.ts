// The Lua scripts of the Redis denylist. Redis runs a script to the end
// before it serves any other command, so each is one atomic step for every
// app instance sharing the Redis. Both name all their keys in KEYS (on a
// Cluster they must share a hash slot: a family's keys carry it as a hash tag).
//
// A TTL argument is a whole number of milliseconds, or '' for no expiry. A
// key that is written again keeps the longer of its own time left and the new
// TTL: shortening it could free tokens that an earlier call covered.
// Numbers are written from strings only (string.format('%.0f') for a PTTL):
// Redis turns a Lua number into text that may be in exponent form.

// `ttl` extended to `key`'s time left, if longer; '' when either is for ever.
const LONGER_TTL = `
local function longerTtl (key, ttl)
  local left = redis.call('PTTL', key)
  if left == -1 then return '' end
  if ttl ~= '' and left > tonumber(ttl) then return string.format('%.0f', left) end
  return ttl
end
`

/**
 * Revokes every token of a subject issued before a cut-off.
 * KEYS[1]: the subject's cut-off key. ARGV[1]: the cut-off (epoch ms, a
 * decimal integer); ARGV[2]: its TTL. The larger cut-off stays: a later one
 * covers every token an earlier one does. A value that is not a cut-off is
 * replaced. Replies OK.
 */
export const REVOKE_SUBJECT_SCRIPT = `${LONGER_TTL}
local cutoff = ARGV[1]
local ttl = ARGV[2]
local current = redis.call('GET', KEYS[1])
if current then
  if string.match(current, '^%-?%d+$') and tonumber(current) > tonumber(cutoff) then cutoff = current end
  ttl = longerTtl(KEYS[1], ttl)
end
if ttl == '' then
  redis.call('SET', KEYS[1], cutoff)
else
  redis.call('SET', KEYS[1], cutoff, 'PX', ttl)
end
return redis.status_reply('OK')
`

/**
 * Records the use of a refresh token and decides its outcome.
 * KEYS[1]: the family's revocation key; KEYS[2]: its rotation state, a hash
 * of `current` (the jti of the family's newest refresh token), `previous`
 * (the jti it replaced) and `rotatedAt` (when, epoch ms on Redis's clock).
 * ARGV[1]: the presented jti; ARGV[2]: its successor's jti; ARGV[3]: the
 * grace window in ms; ARGV[4]: the family's TTL.
 * Replies {'revoked'}, {'rotated', successor}, {'grace', successor} or {'reused'}.
 *
 * The time is Redis's own (TIME), so the instances' clocks never enter the
 * grace window. The state lives as long as the family's tokens: a token used
 * after its state expired would rotate again instead of being caught.
 */
export const USE_REFRESH_TOKEN_SCRIPT = `${LONGER_TTL}
if redis.call('EXISTS', KEYS[1]) == 1 then return {'revoked'} end
local jti = ARGV[1]
local successor = ARGV[2]
local ttl = longerTtl(KEYS[2], ARGV[4])
local time = redis.call('TIME')
local now = time[1] .. string.format('%03d', math.floor(tonumber(time[2]) / 1000))
local state = redis.call('HMGET', KEYS[2], 'current', 'previous', 'rotatedAt')
local current = state[1]
if not current or current == jti then
  redis.call('HSET', KEYS[2], 'current', successor, 'previous', jti, 'rotatedAt', now)
  if ttl == '' then
    redis.call('PERSIST', KEYS[2])
  else
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
  return {'rotated', successor}
end
local rotatedAt = tonumber(state[3])
if state[2] == jti and rotatedAt and tonumber(now) - rotatedAt <= tonumber(ARGV[3]) then
  return {'grace', current}
end
-- Used before, outside the grace window: someone holds a copy. The family
-- key outlives every token of the family, as the state did.
if ttl == '' then
  redis.call('SET', KEYS[1], '1')
else
  redis.call('SET', KEYS[1], '1', 'PX', ttl)
end
redis.call('DEL', KEYS[2])
return {'reused'}
`
