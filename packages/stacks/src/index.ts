export * from './settings';
export { NetworkStack } from './network-stack';
export { CoreAccountStack } from './core-account-stack';
export { CoreDevicesStack } from './core-devices-stack';
export { WorkflowStack } from './workflow-stack';
export { buildStack, synthesize, STACK_NAMES } from './synthesize';
