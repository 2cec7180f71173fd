/**
 * Events can happen before a host is bound (storage fell back at start, a timer fired).
 * The relay drops them — except `storage_fallback`, which the host must hear about: it is
 * remembered and sent right after `connected`.
 */
import type { EventMap, EventName } from '../src/protocol/messages.js'
import type { EventSender } from './rpc-server.js'

export class EventRelay implements EventSender {
  private target: EventSender | null = null
  private fallbackReason: string | null = null

  emit<E extends EventName>(event: E, data: EventMap[E]): void {
    if (event === 'storage_fallback') this.fallbackReason = (data as EventMap['storage_fallback']).reason
    this.target?.emit(event, data)
  }

  /** Called once the host is bound; replays a storage fallback that happened before. */
  connect(target: EventSender): void {
    this.target = target
    if (this.fallbackReason !== null) target.emit('storage_fallback', { reason: this.fallbackReason })
  }
}
