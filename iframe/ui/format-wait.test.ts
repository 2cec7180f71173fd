import { describe, expect, it } from 'vitest'
import { formatWait } from './format-wait.js'

describe('formatWait', () => {
  it('seconds below two minutes, then minutes below two hours, then hours; always rounded up', () => {
    expect(formatWait(0)).toBe('0s')
    expect(formatWait(26.2)).toBe('27s')
    expect(formatWait(119)).toBe('119s')
    expect(formatWait(120)).toBe('2 min')
    expect(formatWait(721)).toBe('13 min')
    expect(formatWait(7199)).toBe('120 min')
    expect(formatWait(7200)).toBe('2 h')
    expect(formatWait(86_398)).toBe('24 h')
    expect(formatWait(-5)).toBe('0s')
  })
})
