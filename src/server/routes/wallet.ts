/** `GET /wallet` → `WalletResponse`: the user's address, creating the wallet on first sight. */
import type { WalletResponse } from '../../protocol/backend.js'
import type { RouteInput } from '../context.js'
import { jsonResponse } from '../http.js'
import { ensureWallet } from '../wallets.js'

export async function getWallet({ ctx, user }: RouteInput): Promise<Response> {
  const wallet = await ensureWallet(ctx, user.userId, user.email)
  const body: WalletResponse = { address: wallet.address }
  return jsonResponse(200, body)
}
