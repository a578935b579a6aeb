// Smoke test for the local Kafka broker of deploy/local/stack.sh.
// Run with the broker's own jars (Java source-file mode, no build):
//   java -cp "<state>/cache/kafka/libs/*" deploy/local/kafka/Smoke.java 127.0.0.1:19092 [topic] [group]
// Creates the topic if missing, produces one record, consumes it back through a
// consumer group, commits, and prints the group's committed offsets.

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class Smoke {
    public static void main(String[] args) throws Exception {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:19092";
        String topic = args.length > 1 ? args[1] : "vigil-smoke";
        String group = args.length > 2 ? args[2] : "vigil-smoke-group";
        String marker = "smoke-" + UUID.randomUUID();

        Properties common = new Properties();
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);

        try (Admin admin = Admin.create(common)) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
                System.out.println("created topic " + topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw e;
                System.out.println("topic " + topic + " exists");
            }
            int partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get()
                    .get(topic).partitions().size();
            System.out.println("topic " + topic + " has " + partitions + " partitions");
        }

        Properties pp = new Properties();
        pp.putAll(common);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            RecordMetadata md = producer.send(new ProducerRecord<>(topic, "k", marker)).get();
            System.out.println("produced " + marker + " to " + md.topic() + "-" + md.partition() + "@" + md.offset());
        }

        Properties cp = new Properties();
        cp.putAll(common);
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        long t0 = System.nanoTime();
        boolean found = false;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (!found && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (marker.equals(r.value())) found = true;
                }
            }
            if (found) {
                consumer.commitSync();
                System.out.printf("group %s joined and consumed the record in %.1f s; assignment %s%n",
                        group, (System.nanoTime() - t0) / 1e9, consumer.assignment());
            }
        }
        if (!found) {
            System.err.println("FAILED: record not consumed within 30 s");
            System.exit(1);
        }

        try (Admin admin = Admin.create(common)) {
            Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            System.out.println("committed offsets of " + group + ": " + offsets);
        }
        System.out.println("OK");
    }
}
