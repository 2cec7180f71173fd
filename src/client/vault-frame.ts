/**
 * The vault iframe element: hidden while the vault works silently, a full-viewport overlay
 * while the vault shows its own code prompt (`ui:open` … `ui:close`).
 */
const HIDDEN_STYLE =
  'position:fixed;top:0;left:0;width:1px;height:1px;border:0;opacity:0;pointer-events:none;'
// Full viewport and topmost, so the host page cannot place its own elements over the
// vault's prompt while it is open.
const OVERLAY_STYLE =
  'position:fixed;top:0;left:0;width:100vw;height:100vh;border:0;opacity:1;pointer-events:auto;' +
  'z-index:2147483647;background:transparent;color-scheme:normal;'

export interface VaultFrame {
  element: HTMLIFrameElement
  window: Window
  /** Resolves at the iframe's first `load` event. */
  loaded: Promise<void>
  showOverlay(): void
  hideOverlay(): void
  remove(): void
}

export function appendVaultFrame(vaultUrl: URL, container: HTMLElement): VaultFrame {
  const element = document.createElement('iframe')
  element.src = vaultUrl.href
  element.title = 'Wallet vault'
  element.setAttribute('allow', 'publickey-credentials-get; publickey-credentials-create')
  element.setAttribute('referrerpolicy', 'origin')
  element.setAttribute('aria-hidden', 'true')
  element.dataset.otpWalletVault = ''
  element.style.cssText = HIDDEN_STYLE
  const loaded = new Promise<void>((resolve) => element.addEventListener('load', () => resolve(), { once: true }))
  container.appendChild(element)
  const frameWindow = element.contentWindow
  if (!frameWindow) throw new Error('vault iframe has no window after being appended')

  return {
    element,
    window: frameWindow,
    loaded,
    showOverlay() {
      element.style.cssText = OVERLAY_STYLE
      element.removeAttribute('aria-hidden')
      element.focus()
    },
    hideOverlay() {
      element.style.cssText = HIDDEN_STYLE
      element.setAttribute('aria-hidden', 'true')
    },
    remove() {
      element.remove()
    },
  }
}
