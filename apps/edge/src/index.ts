/** @clinic/edge: the clinic node app (wiring only). */
export * from './start-edge';
