/**
 * `GET /wallet` → `WalletResponse`: the user's address, creating the wallet on first sight, and
 * the backend's session limits so the vault can refuse an impossible `ttlSeconds` at init.
 */
import type { WalletResponse } from '../../protocol/backend.js'
import type { RouteInput } from '../context.js'
import { jsonResponse } from '../http.js'
import { ensureWallet } from '../wallets.js'

export async function getWallet({ ctx, user }: RouteInput): Promise<Response> {
  const wallet = await ensureWallet(ctx, user.userId, user.email)
  const { ttlSeconds, maxTtlSeconds } = ctx.config.session
  const body: WalletResponse = { address: wallet.address, session: { ttlSeconds, maxTtlSeconds } }
  return jsonResponse(200, body)
}
