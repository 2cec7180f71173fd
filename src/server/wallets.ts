/**
 * Finding, creating, claiming and pregenerating wallets. The store makes each decision
 * atomically; this module prepares the candidate wallet (key generated and wrapped) first.
 */
import { randomId, type ServerContext } from './context.js'
import type { StoredWallet } from './stores/store.js'
import { addressFromPrivateKey, generateWalletPrivateKey, wrapWalletKey } from './wallet-keys.js'

/** Emails are matched trimmed and case-insensitively. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** A new wallet record; the plaintext key exists only inside this function and is zeroed. */
async function newWallet(ctx: ServerContext, email: string, userId: string | null): Promise<StoredWallet> {
  const { wrapKey } = await ctx.keys()
  const id = randomId()
  const privateKey = generateWalletPrivateKey()
  try {
    return {
      id,
      userId,
      email: normalizeEmail(email),
      address: addressFromPrivateKey(privateKey),
      wrappedKey: await wrapWalletKey(wrapKey, id, privateKey),
      createdAt: ctx.config.now(),
    }
  } finally {
    privateKey.fill(0)
  }
}

/** The user's wallet: existing, else a pregenerated one for the same email (claimed), else new. */
export async function ensureWallet(ctx: ServerContext, userId: string, email: string): Promise<StoredWallet> {
  const existing = await ctx.config.store.findWalletByUserId(userId)
  if (existing !== null) return existing
  const candidate = await newWallet(ctx, email, userId)
  return ctx.config.store.claimOrCreateWallet(userId, candidate)
}

/** A wallet for `email` before its user ever logs in (or the one that already exists). */
export async function pregenerateWallet(ctx: ServerContext, email: string): Promise<StoredWallet> {
  const candidate = await newWallet(ctx, email, null)
  return ctx.config.store.createPregeneratedWallet(candidate)
}
