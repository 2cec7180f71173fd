/**
 * The vault's signing core: pure functions (no DOM, no storage, no network) that validate what
 * the host page sends and sign it with a raw key. See each file's header for its rules.
 */
export { parseQuantity, type QuantityOptions } from './numberish.js'
export { messageBytes } from './normalize-message.js'
export { normalizeTransaction } from './normalize-transaction.js'
export { hashTypedData, normalizeTypedData, type NormalizedTypedData } from './normalize-typed-data.js'
export { signMessageWithKey, signTransactionWithKey, signTypedDataWithKey } from './sign.js'
