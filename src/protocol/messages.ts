/**
 * The host/vault boundary: every message that crosses it is defined here, and nowhere else.
 *
 * Handshake (window.postMessage, host → vault iframe, target origin = the vault's exact origin):
 *   ConnectMessage, with a MessagePort transferred beside it.
 * Everything after the handshake travels on that private port:
 *   host → vault   RpcRequest   { id, method, params, auth }
 *   vault → host   RpcResponse  { id, result } | { id, error }
 *                  RpcProgress  { id, status: 'awaiting_user' }  (stops the host's timeout)
 *                  VaultEvent   { event, data }
 * Values are sent with the structured clone algorithm, so BigInt and Uint8Array survive the hop.
 */
import { isSerializedError, type SerializedError } from './errors.js'

export const PROTOCOL_NAMESPACE = 'otp-wallet'
export const PROTOCOL_VERSION = 1

// ---------------------------------------------------------------------------------------------
// Handshake

export interface ConnectMessage {
  ns: typeof PROTOCOL_NAMESPACE
  type: 'connect'
  v: number
  /** Same for every retry of one handshake, so the vault binds to exactly one of them. */
  channelId: string
}

export function isConnectMessage(m: unknown): m is ConnectMessage {
  return (
    isRecord(m) &&
    m.ns === PROTOCOL_NAMESPACE &&
    m.type === 'connect' &&
    typeof m.v === 'number' &&
    typeof m.channelId === 'string' &&
    m.channelId.length > 0 &&
    m.channelId.length <= 64
  )
}

// ---------------------------------------------------------------------------------------------
// Shared value types

export type UiMode = 'vault' | 'headless'

export interface SessionInfo {
  active: boolean
  /** Milliseconds since the epoch on the vault's clock; null when no session is active. */
  expiresAt: number | null
}

export type StorageKind = 'indexeddb' | 'memory'

/** A message to sign: text is signed as UTF-8, bytes as given (EIP-191 personal_sign both). */
export type SignableMessage = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array }

/** Numbers as dApps send them: bigint, safe integer, decimal string or 0x-hex string. */
export type Numberish = bigint | number | string

export interface TransactionRequest {
  /** Accepted (and dropped) only when it is the wallet's own address, as ethers and eth_sendTransaction send it. */
  from?: string | null
  type?: Numberish | null
  chainId?: Numberish | null
  nonce?: Numberish | null
  to?: string | null
  value?: Numberish | null
  data?: string | null
  gasLimit?: Numberish | null
  /** viem's name for gasLimit. */
  gas?: Numberish | null
  gasPrice?: Numberish | null
  maxFeePerGas?: Numberish | null
  maxPriorityFeePerGas?: Numberish | null
  accessList?: ReadonlyArray<{ address: string; storageKeys: ReadonlyArray<string> }> | null
}

export interface TypedDataField {
  name: string
  type: string
}

export interface TypedDataPayload {
  domain: Record<string, unknown>
  types: Record<string, ReadonlyArray<TypedDataField>>
  /** Optional: when absent, the one type not referenced by another is primary (as in ethers). */
  primaryType?: string
  message: Record<string, unknown>
}

// ---------------------------------------------------------------------------------------------
// RPC methods: params and results

export interface MethodMap {
  /** First call after the handshake: sets options, loads or creates the wallet. */
  init: {
    params: { chainId: number | null; ui: UiMode; sessionTtlSeconds: number | null }
    result: { address: string; session: SessionInfo; storage: StorageKind }
  }
  getSession: { params: Record<string, never>; result: SessionInfo }
  signMessage: { params: { message: SignableMessage }; result: { signature: string } }
  /** `payload` may also be the JSON string of a TypedDataPayload. */
  signTypedData: { params: { payload: TypedDataPayload | string }; result: { signature: string } }
  signTransaction: { params: { transaction: TransactionRequest }; result: { serialized: string } }
  endSession: { params: Record<string, never>; result: null }
  /** Headless mode: answer the pending `otp_required`. */
  'otp.submit': { params: { code: string }; result: null }
  'otp.resend': { params: Record<string, never>; result: { resendAfter: number; expiresAt: number } }
  'otp.cancel': { params: Record<string, never>; result: null }
}

export type Method = keyof MethodMap
export type MethodParams<M extends Method> = MethodMap[M]['params']
export type MethodResult<M extends Method> = MethodMap[M]['result']

export const METHODS: ReadonlyArray<Method> = [
  'init',
  'getSession',
  'signMessage',
  'signTypedData',
  'signTransaction',
  'endSession',
  'otp.submit',
  'otp.resend',
  'otp.cancel',
]

export function isMethod(value: unknown): value is Method {
  return typeof value === 'string' && (METHODS as ReadonlyArray<string>).includes(value)
}

// ---------------------------------------------------------------------------------------------
// RPC envelopes

export interface RpcRequest<M extends Method = Method> {
  id: number
  method: M
  params: MethodParams<M>
  /** The host's app-login token, fetched through `getAuthToken` for every request. */
  auth: string | null
}

export type RpcResponse =
  | { id: number; result: unknown }
  | { id: number; error: SerializedError }

export interface RpcProgress {
  id: number
  status: 'awaiting_user'
}

/**
 * Checks the envelope only. The method name may be unknown (the vault answers UNKNOWN_METHOD);
 * params are validated by the method's handler, which names the bad field.
 */
export function isRpcRequestEnvelope(m: unknown): m is { id: number; method: string; params: unknown; auth: string | null } {
  return (
    isRecord(m) &&
    isRequestId(m.id) &&
    typeof m.method === 'string' &&
    'params' in m &&
    (m.auth === null || typeof m.auth === 'string')
  )
}

export function isRpcResponse(m: unknown): m is RpcResponse {
  if (!isRecord(m) || !isRequestId(m.id)) return false
  if ('error' in m) return isSerializedError(m.error)
  return 'result' in m
}

export function isRpcProgress(m: unknown): m is RpcProgress {
  return isRecord(m) && isRequestId(m.id) && m.status === 'awaiting_user'
}

// ---------------------------------------------------------------------------------------------
// Events (vault → host)

export interface OtpRequiredData {
  /** Where the code went, masked: `j***@example.com`. */
  emailHint: string
  codeFormat: 'digits' | 'alphanumeric'
  codeLength: number
  attemptsLeft: number
  /** Epoch ms when the code stops working. */
  expiresAt: number
  /** Epoch ms before which `resend()` is refused. */
  resendAfter: number
}

export interface EventMap {
  /** Handshake acknowledgement; the first message on the port. */
  connected: { v: number }
  otp_required: OtpRequiredData
  session_started: { expiresAt: number }
  session_expired: Record<string, never>
  storage_fallback: { reason: string }
  /** The vault wants to show its own UI (code prompt): the SDK makes the iframe a visible overlay. */
  'ui:open': Record<string, never>
  'ui:close': Record<string, never>
}

export type EventName = keyof EventMap

export interface VaultEvent<E extends EventName = EventName> {
  event: E
  data: EventMap[E]
}

export const EVENT_NAMES: ReadonlyArray<EventName> = [
  'connected',
  'otp_required',
  'session_started',
  'session_expired',
  'storage_fallback',
  'ui:open',
  'ui:close',
]

export function isVaultEvent(m: unknown): m is VaultEvent {
  return isRecord(m) && typeof m.event === 'string' && (EVENT_NAMES as ReadonlyArray<string>).includes(m.event) && isRecord(m.data)
}

/** A refusal sent on the handshake port instead of `connected` (wrong origin, wrong version). */
export interface ConnectRefused {
  event: 'connect_refused'
  error: SerializedError
}

export function isConnectRefused(m: unknown): m is ConnectRefused {
  return isRecord(m) && m.event === 'connect_refused' && isSerializedError(m.error)
}

// ---------------------------------------------------------------------------------------------

const MAX_REQUEST_ID = Number.MAX_SAFE_INTEGER

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_REQUEST_ID
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
