/**
 * The prompt's DOM, built node by node (no innerHTML anywhere in the vault: the page runs
 * with Trusted Types enforced, and backend strings are only ever set as textContent).
 */
export interface PromptElements {
  root: HTMLDivElement
  form: HTMLFormElement
  label: HTMLLabelElement
  input: HTMLInputElement
  attempts: HTMLParagraphElement
  status: HTMLParagraphElement
  error: HTMLParagraphElement
  submit: HTMLButtonElement
  resend: HTMLButtonElement
  cancel: HTMLButtonElement
}

export function buildPromptElements(doc: Document): PromptElements {
  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, id: string, className: string): HTMLElementTagNameMap[K] => {
    const node = doc.createElement(tag)
    node.id = id
    node.className = className
    node.dataset.testid = id
    return node
  }

  const root = make('div', 'otp-prompt', 'otp-backdrop')
  root.hidden = true

  const form = make('form', 'otp-form', 'otp-card')
  form.noValidate = true
  form.setAttribute('role', 'dialog')
  form.setAttribute('aria-modal', 'true')
  form.setAttribute('aria-labelledby', 'otp-title')

  const title = make('h1', 'otp-title', 'otp-title')
  title.textContent = 'Confirm it’s you'

  const label = make('label', 'otp-label', 'otp-label')
  label.htmlFor = 'otp-code'

  const input = make('input', 'otp-code', 'otp-input')
  input.type = 'text' // never "number": it would drop leading zeros
  input.name = 'code'
  input.autocomplete = 'one-time-code'
  input.inputMode = 'numeric'
  input.spellcheck = false
  input.required = true
  input.setAttribute('autocorrect', 'off')
  input.setAttribute('aria-describedby', 'otp-attempts otp-status otp-error')

  const attempts = make('p', 'otp-attempts', 'otp-attempts')
  const status = make('p', 'otp-status', 'otp-status')
  status.setAttribute('aria-live', 'polite')
  const error = make('p', 'otp-error', 'otp-error')
  error.setAttribute('role', 'alert')

  const submit = make('button', 'otp-submit', 'otp-button otp-primary')
  submit.type = 'submit'
  submit.textContent = 'Verify'
  const resend = make('button', 'otp-resend', 'otp-button')
  resend.type = 'button'
  resend.textContent = 'Resend code'
  const cancel = make('button', 'otp-cancel', 'otp-button')
  cancel.type = 'button'
  cancel.textContent = 'Cancel'

  const actions = doc.createElement('div')
  actions.className = 'otp-actions'
  actions.append(submit, resend, cancel)
  form.append(title, label, input, attempts, status, error, actions)
  root.append(form)
  return { root, form, label, input, attempts, status, error, submit, resend, cancel }
}
