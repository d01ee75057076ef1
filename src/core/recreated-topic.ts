import type { ConsumerOptions } from './broker.ts';
import { ErrorCodes, RunnelError } from './errors.ts';
import type { StreamRecord, TopicPartitionOffset } from './record.ts';

export interface RecreatedTopic {
  topic: string;
  /** TopicInfo.id the consumer read (or its caller's output holds). */
  before: string;
  /** TopicInfo.id of the topic now under that name. */
  now: string;
}

/** What a consumer with `onRecreatedTopic: 'fail'` throws from poll; `value` carries the ids. */
export function topicRecreated(r: RecreatedTopic): RunnelError {
  return new RunnelError(
    ErrorCodes.TOPIC_RECREATED,
    `topic ${r.topic} was deleted and created again (id ${r.before}, now ${r.now})`,
    { value: r },
  );
}

/**
 * A consumer's side of ConsumerOptions.onRecreatedTopic, the same on every broker: the id each topic is
 * read by, and the commits that belong to a topic since deleted. Brokers say which id they read by;
 * what follows from a change (a throw, or starting the new topic over from its beginning) is decided here.
 */
export class TopicIdentity {
  readonly #ids: Map<string, string>;
  readonly #fail: boolean;
  /** Recreated topics whose new records are not handed out yet: commits for them are of the old one. */
  readonly #staleCommits = new Set<string>();

  constructor(options: Pick<ConsumerOptions, 'topicIds' | 'onRecreatedTopic'>) {
    this.#ids = new Map(options.topicIds);
    this.#fail = options.onRecreatedTopic === 'fail';
  }

  /**
   * Records that `topic` is now read by id `now`. True when it was read by another one: the caller starts
   * its partitions over at the new topic's beginning, whatever the group says (a commit of the old one
   * may have landed on the name after the delete). With 'fail' this throws TOPIC_RECREATED instead.
   */
  recreated(topic: string, now: string): boolean {
    const before = this.#ids.get(topic);
    if (before !== undefined && before !== now) {
      if (this.#fail) throw topicRecreated({ topic, before, now });
      this.#staleCommits.add(topic);
    }
    this.#ids.set(topic, now);
    return before !== undefined && before !== now;
  }

  /** The offsets worth committing: a batch of the old topic finished after the new one was noticed is not. */
  committable<T extends TopicPartitionOffset>(offsets: T[]): T[] {
    return this.#staleCommits.size === 0 ? offsets : offsets.filter((o) => !this.#staleCommits.has(o.topic));
  }

  /** Records handed out: those of a recreated topic are the new one's, so its commits count again. */
  handedOut(records: StreamRecord[]): void {
    if (this.#staleCommits.size > 0) for (const r of records) this.#staleCommits.delete(r.topic);
  }
}
