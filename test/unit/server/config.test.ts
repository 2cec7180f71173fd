import { describe, expect, it } from 'vitest'
import { guessOddsPerDay, MAX_GUESS_ODDS_PER_DAY, OTP_DEFAULTS, resolveConfig, SESSION_DEFAULTS, type OtpWalletServerConfig } from '../../../src/server/config.js'
import { parseMasterKey } from '../../../src/server/server-keys.js'
import { createMemoryStore } from '../../../src/server/stores/memory-store.js'
import { capturingMailer, MASTER_KEY, testAuthenticate, VAULT_ORIGIN } from './helpers.js'

const base = (): OtpWalletServerConfig => ({
  authenticate: testAuthenticate,
  store: createMemoryStore(),
  mailer: capturingMailer(),
  masterKey: MASTER_KEY,
  vaultOrigin: VAULT_ORIGIN,
})

function configError(overrides: Record<string, unknown>): { code: string; field: unknown; message: string } {
  try {
    resolveConfig({ ...base(), ...overrides } as OtpWalletServerConfig)
  } catch (e) {
    const err = e as { code: string; details?: { field?: unknown }; message: string }
    return { code: err.code, field: err.details?.field, message: err.message }
  }
  throw new Error('expected INVALID_CONFIG')
}

describe('guessOddsPerDay', () => {
  it('defaults: 20 challenges · 3 attempts / 10^6 = 6e-5 (≈ 1 in 16,667)', () => {
    expect(OTP_DEFAULTS).toMatchObject({ format: 'digits', length: 6, maxAttempts: 3, maxChallengesPerDay: 20, ttlSeconds: 600, resendSeconds: 30 })
    expect(guessOddsPerDay()).toBeCloseTo(6e-5, 12)
    expect(guessOddsPerDay({})).toBeLessThan(MAX_GUESS_ODDS_PER_DAY)
  })

  it('alphanumeric uses the 31-symbol alphabet', () => {
    expect(guessOddsPerDay({ format: 'alphanumeric', length: 6 })).toBeCloseTo(60 / 31 ** 6, 15)
  })

  it('scales with attempts, challenges and length', () => {
    expect(guessOddsPerDay({ maxAttempts: 5 })).toBeCloseTo(1e-4, 12)
    expect(guessOddsPerDay({ maxChallengesPerDay: 40 })).toBeCloseTo(1.2e-4, 12)
    expect(guessOddsPerDay({ length: 8 })).toBeCloseTo(6e-7, 15)
  })
})

describe('resolveConfig', () => {
  it('fills in the documented defaults', () => {
    const c = resolveConfig(base())
    expect(c.otp).toEqual(OTP_DEFAULTS)
    expect(c.session).toEqual(SESSION_DEFAULTS)
    expect(c.session).toEqual({ ttlSeconds: 3600, maxTtlSeconds: 86_400 })
    expect(c.siteName).toBe('vault.example')
    expect(c.basePath).toBe('')
    expect(c.masterKey).toHaveLength(32)
  })

  it('refuses weak OTP settings unless allowWeakOtp', () => {
    const e = configError({ otp: { maxChallengesPerDay: 40 } })
    expect(e).toMatchObject({ code: 'INVALID_CONFIG', field: 'otp' })
    expect(e.message).toMatch(/1\.20e-4/)
    expect(resolveConfig({ ...base(), otp: { maxChallengesPerDay: 40 }, allowWeakOtp: true }).otp.maxChallengesPerDay).toBe(40)
    // exactly at the bound is accepted
    expect(resolveConfig({ ...base(), otp: { maxAttempts: 5 } }).otp.maxAttempts).toBe(5)
  })

  it('names the bad field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ authenticate: undefined }, 'authenticate'],
      [{ sessionTtl: 5 }, 'sessionTtl'],
      [{ otp: { lenght: 8 } }, 'otp.lenght'],
      [{ otp: { ttlSecond: 60 } }, 'otp.ttlSecond'],
      [{ session: { maxTtl: 60 } }, 'session.maxTtl'],
      [{ store: {} }, 'store'],
      [{ mailer: {} }, 'mailer'],
      [{ masterKey: '0x1234' }, 'masterKey'],
      [{ masterKey: new Uint8Array(31) }, 'masterKey'],
      [{ masterKey: new Uint8Array(32) }, 'masterKey'],
      [{ masterKey: 'ab'.repeat(31) }, 'masterKey'],
      [{ masterKey: 'ab'.repeat(33) }, 'masterKey'],
      [{ masterKey: `0x${'ab'.repeat(31)}` }, 'masterKey'],
      [{ masterKey: `0x${'g'.repeat(64)}` }, 'masterKey'],
      [{ masterKey: `x${'ab'.repeat(32)}` }, 'masterKey'],
      [{ masterKey: '0'.repeat(64) }, 'masterKey'],
      [{ masterKey: Buffer.alloc(48, 1).toString('base64') }, 'masterKey'],
      [{ vaultOrigin: 'https://vault.example/' }, 'vaultOrigin'],
      [{ vaultOrigin: 'https://vault.example/path' }, 'vaultOrigin'],
      [{ vaultOrigin: 'http://vault.example' }, 'vaultOrigin'],
      [{ vaultOrigin: 'vault.example' }, 'vaultOrigin'],
      [{ siteName: '' }, 'siteName'],
      [{ siteName: 'a\nb' }, 'siteName'],
      [{ basePath: 'api' }, 'basePath'],
      [{ basePath: '/api/' }, 'basePath'],
      [{ otp: { format: 'hex' } }, 'otp.format'],
      [{ otp: { length: 5 } }, 'otp.length'],
      [{ otp: { length: 13 } }, 'otp.length'],
      [{ otp: { length: 6.5 } }, 'otp.length'],
      [{ otp: { ttlSeconds: 0 } }, 'otp.ttlSeconds'],
      [{ otp: { maxAttempts: 0 } }, 'otp.maxAttempts'],
      [{ otp: { resendSeconds: -1 } }, 'otp.resendSeconds'],
      [{ otp: { maxChallengesPerDay: 0 } }, 'otp.maxChallengesPerDay'],
      [{ otp: 'strong' }, 'otp'],
      [{ session: { ttlSeconds: 7200, maxTtlSeconds: 3600 } }, 'session.ttlSeconds'],
      [{ session: { maxTtlSeconds: -1 } }, 'session.maxTtlSeconds'],
      [{ now: 5 }, 'now'],
      [{ allowWeakOtp: 'yes' }, 'allowWeakOtp'],
    ]
    for (const [overrides, field] of cases) {
      const e = configError(overrides)
      expect(e.code, JSON.stringify(overrides)).toBe('INVALID_CONFIG')
      expect(e.field, JSON.stringify(overrides)).toBe(field)
      expect(e.message.startsWith(`${field}:`)).toBe(true)
    }
  })

  it('accepts http only for localhost origins (the demo)', () => {
    expect(resolveConfig({ ...base(), vaultOrigin: 'http://127.0.0.1:5173' }).vaultOrigin).toBe('http://127.0.0.1:5173')
    expect(resolveConfig({ ...base(), vaultOrigin: 'http://localhost:5173' }).siteName).toBe('localhost:5173')
  })

  it('accepts the master key as bytes, 0x-hex or base64, and keeps its own copy', () => {
    const bytes = new Uint8Array(32).map((_, i) => i + 1)
    const hex = `0x${Buffer.from(bytes).toString('hex')}`
    expect(parseMasterKey(bytes)).toEqual(bytes)
    expect(parseMasterKey(hex)).toEqual(bytes)
    expect(parseMasterKey(Buffer.from(bytes).toString('base64'))).toEqual(bytes)
    expect(parseMasterKey(Buffer.from(bytes).toString('base64url'))).toEqual(bytes)
    const copy = parseMasterKey(bytes)
    copy.fill(0)
    expect(bytes[0]).toBe(1)
  })

  it('accepts bare hex as openssl rand -hex 32 prints it (0x optional, any case, trailing newline)', () => {
    const bytes = new Uint8Array(32).map((_, i) => 0xa0 + i)
    const hex = Buffer.from(bytes).toString('hex')
    expect(hex).toHaveLength(64)
    expect(parseMasterKey(hex)).toEqual(bytes)
    expect(parseMasterKey(`${hex.toUpperCase()}\n`)).toEqual(bytes)
    expect(parseMasterKey(`0X${hex}`)).toEqual(bytes)
    expect(resolveConfig({ ...base(), masterKey: hex }).masterKey).toEqual(bytes)
  })

  it('64 hex digits are always hex, never base64 (which would be 48 bytes)', () => {
    const text = 'ab'.repeat(32) // also valid base64 of 48 bytes
    expect(parseMasterKey(text)).toEqual(new Uint8Array(32).fill(0xab))
    const digits = '0123456789'.repeat(6) + '0123'
    expect(parseMasterKey(digits)).toEqual(new Uint8Array(Buffer.from(digits, 'hex')))
  })

  it('a bad masterKey string says which formats work and how to make one', () => {
    const e = configError({ masterKey: 'correct horse battery staple' })
    expect(e.message).toContain('openssl rand -hex 32')
    expect(e.message).toContain('0x optional')
    expect(e.message).toContain('base64')
    expect(e.message).not.toContain('correct horse') // the (wrong) secret is never echoed
  })

  it('a session ttl default above a lowered max is clamped to the max', () => {
    expect(resolveConfig({ ...base(), session: { maxTtlSeconds: 600 } }).session).toEqual({ ttlSeconds: 600, maxTtlSeconds: 600 })
  })
})
