export * from './settings';
export { projectTags } from './pushbutton-stack';
export { NetworkStack } from './network-stack';
export { buildStack, synthesize, STACK_NAMES } from './synthesize';
