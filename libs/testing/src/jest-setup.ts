// Quiet logs and kafkajs's partitioner notice in tests; real output comes from assertions.
process.env.LOG_LEVEL ??= 'silent';
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
