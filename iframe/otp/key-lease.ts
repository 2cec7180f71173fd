/**
 * A KeyLease is how a signing request gets to use the wallet key without holding it: the key
 * is decrypted (session) or handed over (single use) for one call of `use`, and zeroed after.
 */
import { OtpWalletError } from '../../src/protocol/errors.js'
import { withSessionKey, type SessionRecord } from '../session/session-manager.js'

export interface KeyLease {
  use<T>(fn: (walletKey: Uint8Array) => T): Promise<T>
}

/** Decrypts the session blob per call; the session key never leaves WebCrypto. */
export function sessionLease(record: SessionRecord): KeyLease {
  return { use: (fn) => withSessionKey(record, fn) }
}

/** A single-use grant's key: signs exactly once and is zeroed right after. */
export function singleUseLease(walletKey: Uint8Array): KeyLease {
  let used = false
  return {
    async use(fn) {
      if (used) throw new OtpWalletError('INTERNAL', 'single-use key already used')
      used = true
      try {
        return fn(walletKey)
      } finally {
        walletKey.fill(0)
      }
    },
  }
}
