import { describe, expect, it } from 'vitest'
import {
  ALPHANUMERIC_ALPHABET,
  DIGITS_ALPHABET,
  generateCode,
  isWellFormedCode,
  normalizeCode,
} from '../../../src/server/otp-code.js'

/** Pearson's chi-square statistic of observed counts against a uniform distribution. */
function chiSquare(counts: Map<string, number>, symbols: string, total: number): number {
  const expected = total / symbols.length
  let x2 = 0
  for (const s of symbols) x2 += ((counts.get(s) ?? 0) - expected) ** 2 / expected
  return x2
}

function tally(codes: string[]): { counts: Map<string, number>; total: number } {
  const counts = new Map<string, number>()
  let total = 0
  for (const code of codes) {
    for (const c of code) {
      counts.set(c, (counts.get(c) ?? 0) + 1)
      total++
    }
  }
  return { counts, total }
}

/** A fake RNG that replays fixed bytes (then 0xff, which both alphabets reject). */
function replay(bytes: number[]): (n: number) => Uint8Array {
  let i = 0
  return (n) => Uint8Array.from({ length: n }, () => (i < bytes.length ? bytes[i++]! : 0xff))
}

describe('generateCode', () => {
  it('produces codes of the requested length over the right alphabet', () => {
    for (const length of [6, 8, 12]) {
      for (let i = 0; i < 200; i++) {
        expect(generateCode('digits', length)).toMatch(new RegExp(`^[0-9]{${length}}$`))
        expect(generateCode('alphanumeric', length)).toMatch(new RegExp(`^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{${length}}$`))
      }
    }
  })

  it('never emits look-alike characters in alphanumeric codes', () => {
    expect(ALPHANUMERIC_ALPHABET).toBe('ABCDEFGHJKMNPQRSTUVWXYZ23456789')
    expect(ALPHANUMERIC_ALPHABET).toHaveLength(31)
    const all = Array.from({ length: 2000 }, () => generateCode('alphanumeric', 12)).join('')
    expect(all).not.toMatch(/[01ILO]/)
  })

  it('keeps leading zeros: codes are strings', () => {
    const code = generateCode('digits', 6, replay([0, 0, 0, 0, 0, 7]))
    expect(code).toBe('000007')
    expect(typeof code).toBe('string')
  })

  it('uses rejection sampling: bytes at or above the largest multiple of the alphabet size are discarded', () => {
    // digits: limit 250. 250..255 must be skipped, 249 → '9', 10 → '0'.
    expect(generateCode('digits', 6, replay([250, 255, 249, 10, 1, 2, 3, 4]))).toBe('901234')
    // alphanumeric: 31 symbols, limit 248. 248..255 skipped, 247 → index 247 % 31 = 30 → '9'.
    expect(generateCode('alphanumeric', 6, replay([248, 255, 247, 0, 31, 62, 1, 32]))).toBe('9AAABB')
  })

  it('digits are uniform (chi-square, 9 degrees of freedom, fixed bound at p = 1e-6)', () => {
    const { counts, total } = tally(Array.from({ length: 100_000 }, () => generateCode('digits', 6)))
    expect(total).toBe(600_000)
    // 44.81 is the 1 − 1e-6 quantile of chi-square(9). A modulo-biased generator (b % 10 on raw
    // bytes: 0–5 with p = 26/256, 6–9 with 25/256) scores about 220 at this sample size.
    expect(chiSquare(counts, DIGITS_ALPHABET, total)).toBeLessThan(44.81)
  })

  it('alphanumerics are uniform (chi-square, 30 degrees of freedom, fixed bound at p = 1e-6)', () => {
    const { counts, total } = tally(Array.from({ length: 10_000 }, () => generateCode('alphanumeric', 12)))
    expect(chiSquare(counts, ALPHANUMERIC_ALPHABET, total)).toBeLessThan(82.04)
  })

  it('the chi-square check would catch modulo bias (control)', () => {
    const biased: string[] = []
    for (let i = 0; i < 100_000; i++) {
      biased.push(Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => String(b % 10)).join(''))
    }
    const { counts, total } = tally(biased)
    expect(chiSquare(counts, DIGITS_ALPHABET, total)).toBeGreaterThan(44.81)
  })
})

describe('normalizeCode / isWellFormedCode', () => {
  it('strips spaces and dashes (ASCII and Unicode) and upper-cases', () => {
    expect(normalizeCode(' 012 345 ')).toBe('012345')
    expect(normalizeCode('012-345')).toBe('012345')
    expect(normalizeCode('012\u2013345')).toBe('012345')
    expect(normalizeCode('ab3k-9x\tq')).toBe('AB3K9XQ')
  })

  it('checks length and alphabet', () => {
    expect(isWellFormedCode('012345', 'digits', 6)).toBe(true)
    expect(isWellFormedCode('01234', 'digits', 6)).toBe(false)
    expect(isWellFormedCode('01234A', 'digits', 6)).toBe(false)
    expect(isWellFormedCode('AB3K9X', 'alphanumeric', 6)).toBe(true)
    expect(isWellFormedCode('AB3K9O', 'alphanumeric', 6)).toBe(false) // O is a look-alike, never issued
    expect(isWellFormedCode('AB3K91', 'alphanumeric', 6)).toBe(false)
  })
})
