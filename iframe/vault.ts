/**
 * Assembles the vault from its parts, with every outside dependency injected (fetch, clock,
 * storage, document, openGrant, the cross-tab channel), so tests can drive a whole vault, or
 * several tabs of one, without a browser. main.ts passes the real ones.
 */
import type { GrantPayload, SealedGrant } from '../src/protocol/backend.js'
import { AccountGuard, accountChangedError } from './account-guard.js'
import { createBackendClient } from './backend-client.js'
import type { VaultConfig } from './config.js'
import type { EventRelay } from './event-relay.js'
import { targetKeyProvider } from './keys/target-key.js'
import type { Log } from './log.js'
import { createHandlers, type VaultState } from './methods.js'
import { OpenChallenges } from './otp/open-challenge.js'
import { OtpFlow } from './otp/otp-flow.js'
import { serveRpc, type Handlers } from './rpc-server.js'
import type { Clock } from './session/clock.js'
import type { SessionChannel } from './session/session-channel.js'
import { sessionServes } from './session/session-serves.js'
import { SessionManager, type SessionRecord } from './session/session-manager.js'
import type { VaultStorage } from './storage/vault-storage.js'
import { createCodePrompt } from './ui/code-prompt.js'
import { createHeadlessUi, createVaultUi } from './ui/vault-ui.js'

export interface VaultDeps {
  config: VaultConfig
  storage: VaultStorage
  events: EventRelay
  fetch: typeof fetch
  clock: Clock
  document: Document
  openGrant: (recipient: CryptoKeyPair, targetPublicKey: Uint8Array, challengeId: string, sealed: SealedGrant) => Promise<GrantPayload>
  log: Log
  /** BroadcastChannel to the vault's other tabs (session-channel.ts); null where there is none. */
  channel?: SessionChannel | null
}

export interface Vault {
  /** At start, before any host connects: load a stored session, or delete a stale one. */
  restore(): Promise<void>
  /** Serve the bound host's port. */
  attach(port: MessagePort): void
  readonly handlers: Handlers
}

export function createVault(deps: VaultDeps): Vault {
  const { events, log } = deps
  const state: VaultState = { options: null, address: null }
  const backend = createBackendClient(deps.config.apiUrl, deps.fetch, () => deps.clock.now())
  /** The host hears only of sessions that serve this page: its user, its length (session-serves.ts). */
  const ownSession = (record: SessionRecord): boolean => sessionServes(record, state.address, state.options?.sessionTtlSeconds ?? null)
  const session: SessionManager = new SessionManager({
    storage: deps.storage,
    clock: deps.clock,
    log,
    channel: deps.channel ?? null,
    onExpired: (record) => {
      if (ownSession(record)) events.emit('session_expired', {})
    },
    onAdopted: (record) => {
      if (!ownSession(record)) return
      events.emit('session_started', { expiresAt: record.expiresAt })
      otp.offerSession(record)
    },
  })

  const guard = new AccountGuard({
    getWallet: (auth) => backend.getWallet(auth),
    onAccountChanged: async () => {
      otp.cancel(accountChangedError())
      await session.end(true)
    },
  })

  // One UI object per mode for the vault's life: the vault UI tracks whether the overlay is open.
  const prompt = createCodePrompt(
    deps.document,
    {
      submit: (code) => otp.submit(code, null, 'prompt'),
      resend: () => otp.resend(null, 'prompt'),
      cancel: () => otp.cancel(),
    },
    deps.clock,
  )
  const uis = { vault: createVaultUi(prompt, events), headless: createHeadlessUi(events) }

  const otp: OtpFlow = new OtpFlow({
    backend,
    targetKey: targetKeyProvider(deps.storage),
    openGrant: deps.openGrant,
    session,
    ui: (mode) => uis[mode],
    options: () => {
      // Rounds start only from methods that ran requireInit, so both are set here.
      if (state.options === null || state.address === null) throw new Error('vault not initialised')
      return { ui: state.options.ui, sessionTtlSeconds: state.options.sessionTtlSeconds, address: state.address }
    },
    onSessionStarted: (expiresAt) => events.emit('session_started', { expiresAt }),
    clock: deps.clock,
    challenges: new OpenChallenges(deps.storage, deps.clock),
  })

  const handlers = createHandlers({ state, config: deps.config, backend, session, otp, guard, storage: deps.storage })

  return {
    restore: () => session.restore(),
    attach(port) {
      events.connect(serveRpc(port, handlers, log))
    },
    handlers,
  }
}
