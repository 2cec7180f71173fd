/**
 * The vault page's entry point (bundled to main.js by scripts/build-vault.mjs).
 *
 * Boot: refuse to run unframed (a one-line notice for a person who opened the page) → load
 * config.json and open storage (IndexedDB if it can hold CryptoKeys, memory otherwise) in
 * parallel → open the cross-tab session channel (IndexedDB mode only: memory sessions are per
 * tab) → restore or delete the stored session → listen for the host's handshake (connection.ts). A bad config still listens, to refuse every
 * connect with INVALID_CONFIG instead of letting the host time out.
 */
import { openGrant } from '../src/crypto/hpke.js'
import { OtpWalletError } from '../src/protocol/errors.js'
import { loadVaultConfig } from './config.js'
import { listenForHost } from './connection.js'
import { EventRelay } from './event-relay.js'
import { consoleLog, describeError } from './log.js'
import { systemClock } from './session/clock.js'
import { openSessionChannel } from './session/session-channel.js'
import { openVaultStorage } from './storage/vault-storage.js'
import { showUnframedNotice } from './ui/unframed-notice.js'
import { createVault } from './vault.js'

async function boot(): Promise<void> {
  if (window.parent === window) {
    showUnframedNotice(document)
    return
  }
  const events = new EventRelay()
  const [config, opened] = await Promise.all([
    loadVaultConfig(fetch.bind(globalThis), new URL('./config.json', location.href)).catch(
      (error: unknown) => (error instanceof OtpWalletError ? error : new OtpWalletError('INVALID_CONFIG', 'config.json could not be used')),
    ),
    openVaultStorage((reason) => events.emit('storage_fallback', { reason })),
  ])
  if (opened.fallbackReason !== null) events.emit('storage_fallback', { reason: opened.fallbackReason })

  if (config instanceof OtpWalletError) {
    consoleLog('config.json is unusable; refusing every host', config.message)
    listenForHost({ win: window, config, log: consoleLog, onBind: () => {} })
    return
  }
  const vault = createVault({
    config,
    storage: opened.storage,
    events,
    fetch: fetch.bind(globalThis),
    clock: systemClock,
    document,
    openGrant,
    log: consoleLog,
    channel: opened.storage.kind === 'indexeddb' ? openSessionChannel() : null,
  })
  await vault.restore()
  listenForHost({ win: window, config, log: consoleLog, onBind: (port) => vault.attach(port) })
}

boot().catch((error: unknown) => consoleLog('vault failed to start', describeError(error)))
