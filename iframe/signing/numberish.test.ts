import { describe, expect, test } from 'vitest'
import { parseQuantity } from './numberish.js'
import { expectInvalid } from './test-utils.js'

const MAX_UINT256 = 2n ** 256n - 1n

describe('parseQuantity', () => {
  test.each([
    [42n, 42n],
    [42, 42n],
    ['42', 42n],
    ['0x2a', 42n],
    ['0x2A', 42n],
    ['0x002a', 42n],
    ['007', 7n],
    [0, 0n],
    ['0', 0n],
    ['0x0', 0n],
    [-0, 0n],
    [Number.MAX_SAFE_INTEGER, 9007199254740991n],
    [MAX_UINT256, MAX_UINT256],
    [MAX_UINT256.toString(), MAX_UINT256],
    ['0x' + 'f'.repeat(64), MAX_UINT256],
  ])('accepts %o as %s', (input, expected) => {
    expect(parseQuantity(input, 'value')).toBe(expected)
  })

  test.each([
    ['42abc'], [''], ['0x'], ['-'], ['1e3'], ['1.5'], ['1.0'], [' 42'], ['42 '], ['4 2'], ['\n42'], ['+42'],
    ['0X2a'], ['0b101'], ['0o17'], ['1_000'], ['0x2g'], ['0x-1'], ['٤٢'], ['Infinity'], ['NaN'],
    [-1], ['-1'], [-1n], ['-0x1'], ['-0'], [1.5], [NaN], [Infinity], [-Infinity], [2 ** 53], [1e20],
    [MAX_UINT256 + 1n], [(MAX_UINT256 + 1n).toString()], ['0x1' + '0'.repeat(64)],
    ['1'.repeat(101)], [true], [false], [null], [undefined], [{}], [[]], [[42]], [new Uint8Array([42])],
  ])('refuses %o naming the field', (input) => {
    expectInvalid(() => parseQuantity(input, 'message.amount'), 'message.amount')
  })

  test('a long zero-padded string within the length cap is fine', () => {
    expect(parseQuantity('0x' + '0'.repeat(90) + '2a', 'value')).toBe(42n)
  })

  test('unsigned widths bound the range', () => {
    expect(parseQuantity(255, 'x', { bits: 8 })).toBe(255n)
    expectInvalid(() => parseQuantity(256, 'x', { bits: 8 }), 'x')
    expect(parseQuantity('0xffffffffffffffff', 'gasLimit', { bits: 64 })).toBe(2n ** 64n - 1n)
    expectInvalid(() => parseQuantity('0x10000000000000000', 'gasLimit', { bits: 64 }), 'gasLimit')
  })

  test('signed values are accepted only with signed: true, in two\'s complement range', () => {
    const int8 = { bits: 8, signed: true }
    expect(parseQuantity(-128, 'x', int8)).toBe(-128n)
    expect(parseQuantity('-128', 'x', int8)).toBe(-128n)
    expect(parseQuantity('-0x80', 'x', int8)).toBe(-128n)
    expect(parseQuantity(-128n, 'x', int8)).toBe(-128n)
    expect(parseQuantity(127, 'x', int8)).toBe(127n)
    expect(parseQuantity('-0', 'x', int8)).toBe(0n)
    expectInvalid(() => parseQuantity(-129, 'x', int8), 'x')
    expectInvalid(() => parseQuantity(128, 'x', int8), 'x')
    expectInvalid(() => parseQuantity('--1', 'x', int8), 'x')
    expectInvalid(() => parseQuantity('- 1', 'x', int8), 'x')
    expect(parseQuantity(-(2n ** 255n), 'x', { signed: true })).toBe(-(2n ** 255n))
    expectInvalid(() => parseQuantity(2n ** 255n, 'x', { signed: true }), 'x')
  })

  test('a bad width is a programming error, not a request error', () => {
    expect(() => parseQuantity(1, 'x', { bits: 0 })).toThrow(RangeError)
    expect(() => parseQuantity(1, 'x', { bits: 257 })).toThrow(RangeError)
  })
})
