-- The store's send (run → run), done the way a Redis user would: one script, atomic on the server.
-- Same work as PoolHandle.send's transaction, minus what has no Redis counterpart (the deadline
-- probe, registered-wake evaluation):
--   dedupe by idempotency key and by message id; sender and recipient must be members;
--   `accepted` record appended to the pool's log stream; message hash written;
--   `delivered` record appended; message hash updated; key entry; recipient's inbox entry.
--
-- KEYS[1] the pool's log (stream)   KEYS[2] members (set)   KEYS[3] idempotency keys (hash)
-- ARGV[1] message id (also its idempotency key, as in agentpool-bench's fixtures)
-- ARGV[2] from   ARGV[3] to   ARGV[4] the message's JSON
-- Returns the `delivered` record's stream id, or the earlier one for a repeated key.
--
-- The message hash and the inbox are keys built here from the pool's prefix: fine on a single
-- server (this benchmark); Redis Cluster would want them declared or hash-tagged.
local log, members, keys = KEYS[1], KEYS[2], KEYS[3]
local id, from, to, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = string.sub(log, 1, -4)  -- "pool:p:log" → "pool:p:"
local hash = prefix .. 'msg:' .. id

local earlier = redis.call('HGET', keys, id)
if earlier then return earlier end
if redis.call('EXISTS', hash) == 1 then return redis.call('HGET', hash, 'seq') end
if redis.call('SISMEMBER', members, from) == 0 then return redis.error_reply('NOT_MEMBER ' .. from) end
if redis.call('SISMEMBER', members, to) == 0 then return redis.error_reply('NOT_MEMBER ' .. to) end

local accepted = redis.call('XADD', log, '*', 'kind', 'run_message', 'status', 'accepted', 'message', message)
redis.call('HSET', hash, 'status', 'accepted', 'seq', accepted, 'message', message)
local delivered = redis.call('XADD', log, '*', 'kind', 'run_message', 'status', 'delivered',
                             'delivered_to', to, 'message', message)
redis.call('HSET', hash, 'status', 'delivered', 'seq', delivered, 'delivered_to', to)
redis.call('HSET', keys, id, delivered)
redis.call('RPUSH', prefix .. 'inbox:' .. to, id)
return delivered
