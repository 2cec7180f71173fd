/**
 * Keyboard and focus behaviour of the modal code prompt (WAI-ARIA APG, "Dialog (Modal)"):
 *
 * - Tab / Shift+Tab cycle through the prompt's enabled controls and never leave it. The vault
 *   document has nothing else to focus, and focus that escapes the frame lands on the host page
 *   behind the overlay, where a keyboard user can no longer reach the prompt.
 * - Escape cancels, wherever focus is in the vault document (listened for on the document, so it
 *   works even when focus fell back to <body>).
 * - A click on the backdrop does not drop focus to nowhere: focus goes back to the first control.
 *
 * Tab is handled by hand rather than left to the browser, so the order is exactly `controls()`.
 */

export interface FocusTrap {
  /** Focuses the frame's window, then the first enabled control (the code input when it is enabled). */
  focusFirst(): void
}

/**
 * @example
 * const trap = trapFocus(document, root, () => [input, submit, resend, cancel], () => actions.cancel())
 * trap.focusFirst()
 */
export function trapFocus(doc: Document, root: HTMLElement, controls: () => HTMLElement[], onEscape: () => void): FocusTrap {
  const enabled = (): HTMLElement[] => controls().filter((el) => !el.hidden && !(el as HTMLInputElement | HTMLButtonElement).disabled)

  const focusFirst = (): void => {
    // The iframe's window must have focus for its elements' focus to reach the keyboard.
    doc.defaultView?.focus()
    enabled()[0]?.focus()
  }

  doc.addEventListener('keydown', (event) => {
    if (root.hidden || !root.isConnected) return
    if (event.key === 'Escape') {
      event.preventDefault()
      onEscape()
      return
    }
    if (event.key !== 'Tab') return
    event.preventDefault()
    const items = enabled()
    if (items.length === 0) return
    const at = items.indexOf(doc.activeElement as HTMLElement)
    const next = at === -1 ? (event.shiftKey ? items.length - 1 : 0) : (at + (event.shiftKey ? -1 : 1) + items.length) % items.length
    items[next]!.focus()
  })

  // mousedown on the backdrop would blur the focused control; keep focus in the dialog instead.
  const keepFocus = (event: Event): void => {
    if (event.target !== root) return
    event.preventDefault()
    focusFirst()
  }
  root.addEventListener('mousedown', keepFocus)
  root.addEventListener('click', keepFocus)

  return { focusFirst }
}
