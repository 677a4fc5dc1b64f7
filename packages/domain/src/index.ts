/** @clinic/domain: the pure rules of clinic scheduling. No I/O, no framework. */
export * from './errors';
export * from './model';
export * from './time';
export * from './ids';
export * from './overlap';
export * from './status';
export * from './appointment-rules';
export * from './hlc';
export * from './merge';
export * from './privacy';
export * from './json-bounds';
export * from './text-rules';
