/** @clinic/central: the central server app (wiring only). */
export * from './start-central';
