// The Redis store's Lua scripts: each runs atomically, so a check and the write it guards are one step.
import type { Redis } from 'ioredis';
import { absoluteDeadlineField } from './store-arguments.ts';

/**
 * KEYS[1] session key; ARGV[1] now, ARGV[2] idle deadline (epoch ms), ARGV[3..] fields.
 * Returns nil, or the absolute deadline followed by the field values. The caller's clock decides
 * the absolute timeout so both stores judge it alike; Redis's clock only runs the expiry.
 */
const readSessionScript = `
local values = redis.call('HMGET', KEYS[1], '${absoluteDeadlineField}', unpack(ARGV, 3))
local absoluteDeadline = tonumber(values[1])
if absoluteDeadline == nil then return nil end
if absoluteDeadline <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return nil
end
local expireAt = ARGV[2]
if absoluteDeadline < tonumber(ARGV[2]) then expireAt = values[1] end
redis.call('PEXPIREAT', KEYS[1], expireAt)
return values`;

/**
 * KEYS[1] session key; ARGV[1] now, ARGV[2..] fields. Read and delete in one step, so two logouts of
 * one session cannot both receive its tokens. Returns nil, or the absolute deadline and the values.
 */
const takeSessionScript = `
local values = redis.call('HMGET', KEYS[1], '${absoluteDeadlineField}', unpack(ARGV, 2))
local absoluteDeadline = tonumber(values[1])
if absoluteDeadline == nil then return nil end
redis.call('DEL', KEYS[1])
if absoluteDeadline <= tonumber(ARGV[1]) then return nil end
return values`;

/**
 * KEYS[1] index set; ARGV[1] member, ARGV[2] time to live (ms). The expiry is only ever extended
 * (PTTL answers -1 for none), relative to Redis's own clock so no two clocks are compared.
 */
const addToIndexScript = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/** KEYS[1] index set. Members and deletion in one step: a session added meanwhile is not lost. */
const takeIndexScript = `
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members`;

/** KEYS[1] session key; ARGV[1] absolute deadline, ARGV[2] expiry, ARGV[3..] field/value pairs. */
const createSessionScript = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${absoluteDeadlineField}', ARGV[1], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`;

/** KEYS[1] session key; ARGV field/value pairs. HSET keeps the key's expiry. */
const updateSessionScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1`;

/**
 * KEYS[1] session key; ARGV[1] expected field, ARGV[2] expected value, ARGV[3] number of fields to
 * set, then their field/value pairs, then the fields to remove. HGET answers false for a missing
 * hash or field, which never equals a string, so nothing is created. HSET and HDEL keep the expiry,
 * and the absolute-deadline field is never named, so the hash never empties (which would delete it).
 */
const replaceSessionFieldsScript = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
local lastSetArgument = 3 + tonumber(ARGV[3]) * 2
if lastSetArgument > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, lastSetArgument)) end
if #ARGV > lastSetArgument then redis.call('HDEL', KEYS[1], unpack(ARGV, lastSetArgument + 1)) end
return 1`;

/**
 * KEYS[1] lock key; ARGV[1] owner, then optionally ARGV[2] outcome value and ARGV[3] its expiry (ms).
 * Compare-and-delete in one step: a GET then a DEL from the client could delete a lock that expired
 * in between and was taken by another process.
 */
const releaseLockScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if #ARGV >= 3 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1`;

/** The commands `defineCommand` adds (EVALSHA, falling back to EVAL when the script is not loaded). */
export interface ScriptCommands {
  readSession(key: string, ...args: string[]): Promise<(string | null)[] | null>;
  createSession(key: string, ...args: string[]): Promise<number>;
  updateSession(key: string, ...args: string[]): Promise<number>;
  replaceSessionFields(key: string, ...args: string[]): Promise<number>;
  releaseLock(key: string, ...args: string[]): Promise<number>;
  takeSession(key: string, ...args: string[]): Promise<(string | null)[] | null>;
  addToIndex(key: string, ...args: string[]): Promise<number>;
  takeIndex(key: string): Promise<string[]>;
}

/** Registers every script on `client`, each taking one key. */
export function defineScripts(client: Redis): Redis & ScriptCommands {
  const scripts: Record<keyof ScriptCommands, string> = {
    readSession: readSessionScript,
    createSession: createSessionScript,
    updateSession: updateSessionScript,
    replaceSessionFields: replaceSessionFieldsScript,
    releaseLock: releaseLockScript,
    takeSession: takeSessionScript,
    addToIndex: addToIndexScript,
    takeIndex: takeIndexScript,
  };
  for (const [name, lua] of Object.entries(scripts)) {
    client.defineCommand(name, { numberOfKeys: 1, lua });
  }
  return client as Redis & ScriptCommands;
}
