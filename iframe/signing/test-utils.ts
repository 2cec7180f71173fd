/** Test helper (imported by the *.test.ts beside it only): asserts an INVALID_REQUEST naming `field`. */
import { expect } from 'vitest'
import { OtpWalletError } from '../../src/protocol/errors.js'

export function expectInvalid(fn: () => unknown, field: string): OtpWalletError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught, `expected INVALID_REQUEST for ${field}`).toBeInstanceOf(OtpWalletError)
  const error = caught as OtpWalletError
  expect(error.code).toBe('INVALID_REQUEST')
  expect(error.details?.field).toBe(field)
  return error
}

export function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(OtpWalletError)
  expect((caught as OtpWalletError).code).toBe(code)
}
