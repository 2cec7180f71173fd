import { describe, expect, it } from 'vitest'
import { sessionFits } from './session-fit.js'

const T0 = 1_700_000_000_000
const lasting = (seconds: number) => ({ issuedAt: T0, expiresAt: T0 + seconds * 1000 })

describe('sessionFits', () => {
  it('a page that left the length to the backend takes any session', () => {
    expect(sessionFits(lasting(86_400), null)).toBe(true)
  })
  it('single use (0) never signs under a session', () => {
    expect(sessionFits(lasting(1), 0)).toBe(false)
  })
  it('a session no longer than asked for fits; a longer one does not', () => {
    expect(sessionFits(lasting(600), 600)).toBe(true)
    expect(sessionFits(lasting(60), 600)).toBe(true)
    expect(sessionFits(lasting(601), 600)).toBe(false)
  })
})
