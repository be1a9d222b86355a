// The stacks' shared parts. Each step's stacks are in its folder, `<step>/<unit>.ts`, each
// exporting its builder as default; the plugin finds them by its step registry.
export * from './settings';
export { PushbuttonStack, trustPolicy } from './pushbutton-stack';
export { buildStack, synthesize, type StackBuilder } from './synthesize';
