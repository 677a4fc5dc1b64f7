/** @clinic/sync: the wire protocol, the edge's sync engine and central's sync service. */
export * from './protocol';
export * from './edge/enroll';
export * from './edge/engine';
export * from './edge/outbox-hooks';
export * from './edge/ports';
export * from './central/node-ports';
export * from './central/nodes';
export * from './central/reconciler';
export * from './central/routes';
export * from './edge/puller';
export * from './central/ports';
export * from './central/shape-server';
