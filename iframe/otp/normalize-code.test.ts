import { describe, expect, it } from 'vitest'
import { checkCode, isWellFormedCode, normalizeCode } from './normalize-code.js'

describe('normalizeCode', () => {
  it('strips spaces and dashes as pasted, keeping leading zeros', () => {
    expect(normalizeCode('012 345', 'digits')).toBe('012345')
    expect(normalizeCode('012-345', 'digits')).toBe('012345')
    expect(normalizeCode(' 012\u2013345\t', 'digits')).toBe('012345')
    expect(normalizeCode('000000', 'digits')).toBe('000000')
  })

  it('upper-cases alphanumeric codes', () => {
    expect(normalizeCode('ab3-k9q', 'alphanumeric')).toBe('AB3K9Q')
  })
})

describe('isWellFormedCode', () => {
  it('checks length and alphabet', () => {
    expect(isWellFormedCode('012345', 'digits', 6)).toBe(true)
    expect(isWellFormedCode('01234', 'digits', 6)).toBe(false)
    expect(isWellFormedCode('01234A', 'digits', 6)).toBe(false)
    expect(isWellFormedCode('AB3K9Q', 'alphanumeric', 6)).toBe(true)
    expect(isWellFormedCode('AB3K9!', 'alphanumeric', 6)).toBe(false)
  })
})

describe('checkCode', () => {
  const digits = { codeFormat: 'digits' as const, codeLength: 6 }
  it('returns the normalized string', () => {
    expect(checkCode('012 345', digits)).toBe('012345')
  })
  it.each([[12345], [null], ['12345'], ['1234567'], ['12a456']])('refuses %j with INVALID_REQUEST field code', (raw) => {
    expect(() => checkCode(raw, digits)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', details: { field: 'code' } }))
  })
})
