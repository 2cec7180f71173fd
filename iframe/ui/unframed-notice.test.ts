// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { showUnframedNotice, UNFRAMED_TEXT } from './unframed-notice.js'

describe('showUnframedNotice', () => {
  it('shows one plain sentence, as text', () => {
    document.body.replaceChildren()
    showUnframedNotice(document)
    expect(document.body.textContent).toBe('This is the wallet vault. It works inside an app; there is nothing to do here.')
    expect(document.body.children).toHaveLength(1)
    expect(document.body.firstElementChild?.tagName).toBe('P')
    expect(UNFRAMED_TEXT).not.toMatch(/[<>]/)
  })
})
