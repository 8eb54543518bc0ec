/** A small typed listener set: add returns its own remover. */
export class Listeners<T> {
  private readonly items = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.items.add(listener);
    return () => {
      this.items.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.items]) {
      try {
        listener(value);
      } catch (error) {
        // one failing listener must not starve the others
        console.error('realtime listener failed', error);
      }
    }
  }
}

/** Topic -> handlers, reference counted: the first handler subscribes, the last unsubscribes. */
export class TopicHandlers<H> {
  private readonly topics = new Map<string, Set<H>>();

  add(topic: string, handler: H): { first: boolean; remove: () => { last: boolean } } {
    let set = this.topics.get(topic);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.topics.set(topic, set);
    }
    set.add(handler);
    return {
      first,
      remove: () => {
        const current = this.topics.get(topic);
        if (current === undefined || !current.delete(handler)) return { last: false };
        if (current.size > 0) return { last: false };
        this.topics.delete(topic);
        return { last: true };
      },
    };
  }

  handlers(topic: string): H[] {
    return [...(this.topics.get(topic) ?? [])];
  }

  names(): string[] {
    return [...this.topics.keys()];
  }
}
