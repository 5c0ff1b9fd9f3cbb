export * from './gateway';
export * from './compose';
