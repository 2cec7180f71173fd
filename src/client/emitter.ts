/** A small typed event emitter; a throwing listener never breaks the others. */
export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<(data: never) => void>>()

  on<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (data: never) => void)
  }

  off<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): void {
    this.#listeners.get(event)?.delete(listener as (data: never) => void)
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  emit<E extends keyof Events>(event: E, data: Events[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        ;(listener as (data: Events[E]) => void)(data)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  clear(): void {
    this.#listeners.clear()
  }
}
