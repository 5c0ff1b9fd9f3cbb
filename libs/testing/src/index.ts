/** The test kit: real services, databases, brokers and gateways, and the matrices every service's tests walk. */
export * from './services';
export * from './people';
export * from './gateway';
export * from './demo';
export * from './demo-plant';
export * from './kafka';
export * from './postgres-server';
export * from './events';
export * from './work-events';
export * from './metrics';
export * from './role-matrix';
export * from './proxy';
export * from './logs';
export * from './probes';
export * from './live';
