/** @clinic/core: the application services (use cases) over the storage port. */
export * from './store';
export * from './context';
export * from './lock-keys';
export * from './notification-queue';
export * from './appointments';
export * from './directory';
export * from './conflicts';
export * from './sync-records';
export * from './notify-events';
export * from './notifications';
