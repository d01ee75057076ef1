package dev.runnel.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The peer of runnel's windowed count (bench/kafka-streams.ts): records keyed by author, JSON values with
 * the event time in "ts" (ms); a count per key per 10 s tumbling window, no grace, one final result per
 * window when it closes (suppress until the window closes, like runnel's default emit), written as JSON
 * {key, start, end, n} to the output topic, exactly_once_v2. Runs until SIGTERM; the driver watches the
 * group's committed offsets to know when it has read everything.
 *
 * Usage: java -jar windowed-count.jar BOOTSTRAP INPUT OUTPUT APPLICATION_ID STATE_DIR
 */
public final class WindowedCount {
  /** Event time from the value, parsed as a whole (what a real app's JSON serde would do). */
  public static final class JsonTs implements TimestampExtractor {
    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
      try {
        JsonNode v = mapper.readTree((byte[]) record.value());
        return v.get("ts").asLong();
      } catch (Exception e) {
        return -1; // negative: Kafka Streams skips the record (the driver writes none)
      }
    }
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String input = args[1];
    String output = args[2];
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.STATE_DIR_CONFIG, args[4]);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    String threads = System.getenv("KS_THREADS");
    if (threads != null) p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(threads));

    ObjectMapper mapper = new ObjectMapper();
    StreamsBuilder b = new StreamsBuilder();
    b.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()).withTimestampExtractor(new JsonTs()))
        .groupByKey(Grouped.with(Serdes.String(), Serdes.ByteArray()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ZERO))
        .count()
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((w, n) -> {
          var o = mapper.createObjectNode();
          o.put("key", w.key());
          o.put("start", w.window().start());
          o.put("end", w.window().end());
          o.put("n", n);
          return KeyValue.pair(w.key(), o.toString());
        })
        .to(output, Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(20));
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
    });
    streams.start();
    System.out.println("started");
    stopped.await();
  }
}
