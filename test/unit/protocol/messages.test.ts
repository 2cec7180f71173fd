import { describe, expect, test } from 'vitest'
import { ERROR_CODES, OtpWalletError, isSerializedError, serializeError } from '../../../src/protocol/errors.js'
import {
  PROTOCOL_NAMESPACE,
  PROTOCOL_VERSION,
  isConnectMessage,
  isConnectRefused,
  isMethod,
  isRpcProgress,
  isRpcRequestEnvelope,
  isRpcResponse,
  isVaultEvent,
} from '../../../src/protocol/messages.js'

const connect = { ns: PROTOCOL_NAMESPACE, type: 'connect', v: PROTOCOL_VERSION, channelId: 'abc123' }

describe('isConnectMessage', () => {
  test('accepts the handshake message', () => expect(isConnectMessage(connect)).toBe(true))
  test.each([
    ['another namespace', { ...connect, ns: 'penpal' }],
    ['another type', { ...connect, type: 'hello' }],
    ['a string version', { ...connect, v: '1' }],
    ['no channel id', { ...connect, channelId: '' }],
    ['an oversized channel id', { ...connect, channelId: 'x'.repeat(65) }],
    ['null', null],
    ['an array', [connect]],
    ['a string', JSON.stringify(connect)],
  ])('refuses %s', (_name, message) => expect(isConnectMessage(message)).toBe(false))
  test('a version mismatch is still a connect message, so the vault can answer it with an error', () => {
    expect(isConnectMessage({ ...connect, v: 2 })).toBe(true)
  })
})

describe('isRpcRequestEnvelope', () => {
  const request = { id: 1, method: 'signMessage', params: { message: { kind: 'text', text: 'hi' } }, auth: 't' }
  test('accepts a request with or without auth', () => {
    expect(isRpcRequestEnvelope(request)).toBe(true)
    expect(isRpcRequestEnvelope({ ...request, auth: null })).toBe(true)
  })
  test.each([
    ['id 0', { ...request, id: 0 }],
    ['a fractional id', { ...request, id: 1.5 }],
    ['a string id', { ...request, id: '1' }],
    ['an unsafe id', { ...request, id: 2 ** 53 }],
    ['a numeric method', { ...request, method: 7 }],
    ['no params', { id: 1, method: 'getSession', auth: null }],
    ['a numeric auth', { ...request, auth: 42 }],
    ['missing auth', { id: 1, method: 'getSession', params: {} }],
  ])('refuses %s', (_name, message) => expect(isRpcRequestEnvelope(message)).toBe(false))
})

test('isMethod knows exactly the listed methods', () => {
  expect(isMethod('signTransaction')).toBe(true)
  expect(isMethod('otp.submit')).toBe(true)
  expect(isMethod('eth_sendTransaction')).toBe(false)
  expect(isMethod('__proto__')).toBe(false)
})

describe('responses, progress and events', () => {
  test('a result response and an error response', () => {
    expect(isRpcResponse({ id: 3, result: null })).toBe(true)
    expect(isRpcResponse({ id: 3, error: { code: 'OTP_INVALID', message: 'wrong', details: { attemptsLeft: 2 } } })).toBe(true)
  })
  test('an error with an unknown code or no message is not a response', () => {
    expect(isRpcResponse({ id: 3, error: { code: 'NOPE', message: 'x' } })).toBe(false)
    expect(isRpcResponse({ id: 3, error: { code: 'INTERNAL' } })).toBe(false)
    expect(isRpcResponse({ result: 1 })).toBe(false)
  })
  test('progress', () => {
    expect(isRpcProgress({ id: 9, status: 'awaiting_user' })).toBe(true)
    expect(isRpcProgress({ id: 9, status: 'done' })).toBe(false)
  })
  test('events must be known and carry an object', () => {
    expect(isVaultEvent({ event: 'session_started', data: { expiresAt: 1 } })).toBe(true)
    expect(isVaultEvent({ event: 'session_started' })).toBe(false)
    expect(isVaultEvent({ event: 'key_exported', data: {} })).toBe(false)
  })
  test('connect_refused carries a serialized error', () => {
    expect(isConnectRefused({ event: 'connect_refused', error: { code: 'ORIGIN_NOT_ALLOWED', message: 'no' } })).toBe(true)
    expect(isConnectRefused({ event: 'connect_refused', error: 'no' })).toBe(false)
  })
})

describe('errors on the wire', () => {
  test('an OtpWalletError serializes to code, message and details, without a stack', () => {
    const error = new OtpWalletError('OTP_INVALID', 'Wrong code', { details: { attemptsLeft: 2 } })
    const wire = serializeError(error)
    expect(wire).toEqual({ code: 'OTP_INVALID', message: 'Wrong code', details: { attemptsLeft: 2 } })
    expect(JSON.stringify(wire)).not.toContain('at ')
    expect(isSerializedError(wire)).toBe(true)
    const back = OtpWalletError.fromSerialized(wire)
    expect(back).toBeInstanceOf(OtpWalletError)
    expect(back.code).toBe('OTP_INVALID')
    expect(back.details?.attemptsLeft).toBe(2)
  })
  test('any other thrown value becomes INTERNAL with a generic message', () => {
    const wire = serializeError(new Error('secret path /home/x and a key 0xabc'))
    expect(wire).toEqual({ code: ERROR_CODES.INTERNAL, message: 'Unexpected error' })
  })
})
