/**
 * What a person sees who opens the vault page directly (a link, a curious click): one plain
 * sentence, instead of a blank page that looks broken. The vault does nothing else unframed.
 * textContent only: the page enforces Trusted Types and never parses HTML.
 */

export const UNFRAMED_TEXT = 'This is the wallet vault. It works inside an app; there is nothing to do here.'

/**
 * @example
 * if (window.parent === window) return showUnframedNotice(document)
 */
export function showUnframedNotice(doc: Document): void {
  const note = doc.createElement('p')
  note.className = 'vault-unframed'
  note.textContent = UNFRAMED_TEXT
  doc.body.replaceChildren(note)
}
