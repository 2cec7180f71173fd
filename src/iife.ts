/** The script-tag build: exposes `window.OtpWallet`. */
export { createWallet, OtpWalletError, ERROR_CODES, PROTOCOL_VERSION } from './index.js'
