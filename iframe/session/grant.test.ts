import { describe, expect, it } from 'vitest'
import type { GrantPayload } from '../../src/protocol/backend.js'
import { TEST_ADDRESS, TEST_PRIVATE_KEY } from '../testing/fakes.js'
import { acceptGrant } from './grant.js'

const payload = (overrides: Partial<GrantPayload> = {}): GrantPayload => ({
  v: 1,
  challengeId: 'ch-1',
  address: TEST_ADDRESS.toLowerCase(),
  privateKey: TEST_PRIVATE_KEY,
  issuedAt: 1_000,
  expiresAt: 1_000 + 3_600_000,
  singleUse: false,
  ...overrides,
})
const expected = { challengeId: 'ch-1', address: TEST_ADDRESS, sessionTtlSeconds: null }

describe('acceptGrant', () => {
  it('returns the key bytes, checksummed address and the DURATION of the grant', () => {
    const g = acceptGrant(payload(), expected)
    expect(g.address).toBe(TEST_ADDRESS)
    expect(g.privateKey).toHaveLength(32)
    expect(g.durationMs).toBe(3_600_000)
    expect(g.singleUse).toBe(false)
  })

  it('never keeps a session longer than the vault asked for', () => {
    expect(acceptGrant(payload(), { ...expected, sessionTtlSeconds: 60 }).durationMs).toBe(60_000)
  })

  it('treats ttl 0, a zero-length grant and singleUse as single use', () => {
    expect(acceptGrant(payload(), { ...expected, sessionTtlSeconds: 0 })).toMatchObject({ singleUse: true, durationMs: 0 })
    expect(acceptGrant(payload({ expiresAt: 1_000 }), expected)).toMatchObject({ singleUse: true, durationMs: 0 })
    expect(acceptGrant(payload({ singleUse: true }), expected)).toMatchObject({ singleUse: true, durationMs: 0 })
  })

  it('refuses a grant for another challenge or version as expired', () => {
    expect(() => acceptGrant(payload({ challengeId: 'ch-2' }), expected)).toThrow(expect.objectContaining({ code: 'OTP_EXPIRED' }))
    expect(() => acceptGrant({ ...payload(), v: 2 } as unknown as GrantPayload, expected)).toThrow(
      expect.objectContaining({ code: 'OTP_EXPIRED' }),
    )
  })

  it('refuses a key that does not belong to the address, or another wallet than init reported', () => {
    const other = '0x' + '11'.repeat(32)
    expect(() => acceptGrant(payload({ privateKey: other }), expected)).toThrow(expect.objectContaining({ code: 'BACKEND_ERROR' }))
    expect(() => acceptGrant(payload(), { ...expected, address: '0x' + '22'.repeat(20) })).toThrow(
      expect.objectContaining({ code: 'BACKEND_ERROR' }),
    )
  })
})
