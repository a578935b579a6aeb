import { z } from 'zod';

/** zod schemas for the config sections that every vigil process shares. */

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port');

export const kafkaSection = z
  .object({
    brokers: z.array(hostPort).min(1, 'needs at least one broker').default(['127.0.0.1:19092']),
    clientId: z.string().min(1).default('vigil'),
    ssl: z.boolean().default(false),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

export const schemaRegistrySection = z
  .object({
    url: z.string().url('expected a URL such as http://127.0.0.1:18081/apis/ccompat/v7').default('http://127.0.0.1:18081/apis/ccompat/v7'),
    username: z.string().optional(),
    password: z.string().optional(),
  })
  .strict()
  .default({});

export const redisSection = z
  .object({
    url: z.string().regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://host:port').default('redis://127.0.0.1:16379'),
    clusterNodes: z.array(hostPort).optional(),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected 1-32 letters, digits, _ . or -')
      .default('vigil'),
  })
  .strict()
  .default({});

export const logSection = z
  .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
  .strict()
  .default({});

export const httpSection = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9464),
  })
  .strict()
  .default({});

/** Fields of a service's `topics` section: creating the topics it uses when they are missing. */
export const topicCreationFields = {
  /** Partitions of the topics the service creates when they are missing. */
  partitions: z.number().int().min(1).max(1000).default(12),
  create: z.boolean().default(true),
};

/** Fields of a service's `consumer` section: its group, and where a new group starts. */
export function consumerFields(defaultGroupId: string) {
  return {
    groupId: z.string().min(1).default(defaultGroupId),
    /** Start of a new group: 'earliest' reads the topic's history, 'latest' only what arrives from now on. */
    start: z.enum(['earliest', 'latest']).default('latest'),
  };
}

export const commonSchemas = Object.freeze({
  kafka: kafkaSection,
  schemaRegistry: schemaRegistrySection,
  redis: redisSection,
  log: logSection,
  http: httpSection,
});
