/**
 * `otp-wallet/server`: the backend for otp-wallet's key vault.
 *
 * This component is a CUSTODIAN: it generates the users' wallet keys and can decrypt them with
 * the master key. Keep the master key out of the database and out of source control.
 */
export { createOtpWalletServer, type OtpWalletServer } from './handler.js'
export { toNodeHandler } from './node-adapter.js'
export {
  guessOddsPerDay,
  MAX_GUESS_ODDS_PER_DAY,
  OTP_DEFAULTS,
  SESSION_DEFAULTS,
  type AuthenticatedUser,
  type ErrorContext,
  type OtpOptions,
  type OtpWalletServerConfig,
  type SessionOptions,
} from './config.js'
export { createMemoryStore } from './stores/memory-store.js'
export { createSqliteStore } from './stores/sqlite-store.js'
export type {
  AttemptRefusal,
  AttemptResult,
  ChallengeLimits,
  ChallengeStatus,
  InsertChallengeResult,
  OtpWalletStore,
  StoredChallenge,
  StoredWallet,
} from './stores/store.js'
export { createSmtpMailer, renderCodeEmail, type SmtpMailerOptions } from './mailers/smtp-mailer.js'
export type { CodeMessage, Mailer } from './mailers/mailer.js'
export type { CodeFormat } from './otp-code.js'
export { OtpWalletError, ERROR_CODES, type ErrorCode, type SerializedError } from '../protocol/errors.js'
