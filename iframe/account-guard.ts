/**
 * A session signs only for the app user who owns it.
 *
 * The vault's session belongs to the wallet address `init` got from the backend. The host's
 * app-login token arrives with every request, and the user behind it can change under a live
 * session (logout, another login, a forged or stale token in a compromised page). So:
 *
 * - No token (logged out) → UNAUTHENTICATED. The session is kept: the owner logging back in
 *   continues it.
 * - The token the backend last confirmed for the owner → go on, no backend call. That keeps a
 *   live-session signature free of network round trips.
 * - Any other token → `GET /wallet` with it first, once per new token (concurrent requests with
 *   the same new token share the call):
 *     401           → UNAUTHENTICATED, nothing signed (forged or expired token); the same
 *                     token again is refused without another call;
 *     same address  → the new token is remembered (a refreshed login) and the request goes on;
 *     other address → `onAccountChanged` (the vault ends the session everywhere and cancels the
 *                     OTP round), and ACCOUNT_CHANGED from then on, until the next `init`.
 *   Any other failure (backend unreachable) refuses the request with that error: unconfirmed
 *   means not signed.
 */
import type { WalletResponse } from '../src/protocol/backend.js'
import { OtpWalletError } from '../src/protocol/errors.js'

export interface AccountGuardDeps {
  /** `GET /wallet` with this token; addresses come back checksummed (backend-client.ts). */
  getWallet(auth: string): Promise<WalletResponse>
  /** The owner's login was replaced by another user's: end the session, cancel the OTP round. */
  onAccountChanged(): Promise<void>
}

export function accountChangedError(): OtpWalletError {
  return new OtpWalletError('ACCOUNT_CHANGED', "The app's logged-in user changed; call destroy() and create a new wallet")
}

function refusedTokenError(): OtpWalletError {
  return new OtpWalletError('UNAUTHENTICATED', 'The backend refused the app-login token', { details: { status: 401 } })
}

export class AccountGuard {
  private owner: { address: string; token: string } | null = null
  private changed = false
  /** The last token the backend refused (401): sending it again changes nothing. */
  private refused: string | null = null
  /** Token checks in flight, so one new token costs one backend call. */
  private checks = new Map<string, Promise<void>>()
  /** Bumped by confirm(); a check that returns to an older epoch is judged again. */
  private epoch = 0

  constructor(private readonly deps: AccountGuardDeps) {}

  /** True once another user's token was seen, until the next `init`. */
  get accountChanged(): boolean {
    return this.changed
  }

  /** `init`: the backend just confirmed `token` for `address`. Clears an ACCOUNT_CHANGED state. */
  confirm(address: string, token: string): void {
    this.owner = { address, token }
    this.changed = false
    this.refused = null
    this.checks.clear()
    this.epoch++
  }

  /** Throws ACCOUNT_CHANGED if the owner's login was replaced. */
  assertSameAccount(): void {
    if (this.changed) throw accountChangedError()
  }

  /**
   * Resolves when `auth` is a token of the owner; throws UNAUTHENTICATED, ACCOUNT_CHANGED or the
   * backend's error otherwise.
   *
   * @example
   * await guard.check(ctx.auth) // before any use of the session or the OTP flow
   */
  check(auth: string | null): Promise<void> {
    try {
      this.assertSameAccount()
      if (auth === null || auth === '') throw new OtpWalletError('UNAUTHENTICATED', 'No app-login token: the user is logged out of the app')
      if (this.owner === null) throw new OtpWalletError('INVALID_REQUEST', 'Call init first')
    } catch (error) {
      return Promise.reject(error)
    }
    if (auth === this.owner.token) return Promise.resolve()
    if (auth === this.refused) return Promise.reject(refusedTokenError())
    const running = this.checks.get(auth)
    if (running !== undefined) return running
    const check = this.confirmToken(auth).finally(() => {
      if (this.checks.get(auth) === check) this.checks.delete(auth)
    })
    this.checks.set(auth, check)
    return check
  }

  private async confirmToken(auth: string): Promise<void> {
    const epoch = this.epoch
    let address: string
    try {
      ;({ address } = await this.deps.getWallet(auth))
    } catch (error) {
      if (error instanceof OtpWalletError && error.code === 'UNAUTHENTICATED' && epoch === this.epoch) this.refused = auth
      throw error
    }
    if (epoch !== this.epoch) return this.check(auth) // init ran meanwhile: judge against the new owner
    const owner = this.owner!
    if (address === owner.address) {
      owner.token = auth
      return
    }
    if (!this.changed) {
      this.changed = true
      await this.deps.onAccountChanged()
    }
    throw accountChangedError()
  }
}
