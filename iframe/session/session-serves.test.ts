import { describe, expect, it } from 'vitest'
import { sessionServes } from './session-serves.js'

const T0 = 1_700_000_000_000
const ALICE = '0x' + 'a1'.repeat(20)
const lasting = (seconds: number) => ({ address: ALICE, issuedAt: T0, expiresAt: T0 + seconds * 1000 })

describe('sessionServes', () => {
  it("never serves another account's page, or a page with no account yet", () => {
    expect(sessionServes(lasting(600), '0x' + 'b0'.repeat(20), null)).toBe(false)
    expect(sessionServes(lasting(600), null, null)).toBe(false)
  })
  it('a page that left the length to the backend takes any session of its account', () => {
    expect(sessionServes(lasting(86_400), ALICE, null)).toBe(true)
  })
  it('single use (0) never signs under a session', () => {
    expect(sessionServes(lasting(1), ALICE, 0)).toBe(false)
  })
  it('a session no longer than asked for serves; a longer one does not', () => {
    expect(sessionServes(lasting(600), ALICE, 600)).toBe(true)
    expect(sessionServes(lasting(60), ALICE, 600)).toBe(true)
    expect(sessionServes(lasting(601), ALICE, 600)).toBe(false)
  })
})
