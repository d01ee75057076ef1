import { ErrorCodes, RunnelError } from './errors.ts';

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
