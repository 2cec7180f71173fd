/** otp-wallet: the host-side SDK. Server code lives in `otp-wallet/server`. */
export { createWallet } from './client/create-wallet.js'
export type { OtpWallet, OtpRequiredEvent, WalletEvents, WalletEventName } from './client/create-wallet.js'
export type { CreateWalletOptions } from './client/options.js'
export type { MessageInput } from './client/signable-message.js'
export { OtpWalletError, ERROR_CODES } from './protocol/errors.js'
export type { ErrorCode, ErrorDetails, SerializedError } from './protocol/errors.js'
export type {
  Numberish,
  SessionInfo,
  StorageKind,
  TransactionRequest,
  TypedDataField,
  TypedDataPayload,
  UiMode,
} from './protocol/messages.js'
export { PROTOCOL_VERSION } from './protocol/messages.js'
