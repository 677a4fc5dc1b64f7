/** @clinic/server: the wiring both apps share (runtime assembly, admin bootstrap, HTTP). */
export * from './node-runtime';
export * from './bootstrap-admin';
export * from './http-server';
export * from './start-node';
export * from './data-dir';
export * from './client-address';
