// The render units: which step's templates each one renders, and with what.
import type { Settings } from '@pushbutton/stacks';
import type { FactsByUnit } from '../facts';
import { coreRenderItems } from './core-render-plan';
import type { RenderItem } from './render-templates';
import { workflowRenderItems } from './workflow-render-plan';

export interface RenderPlan {
  /** The folder under templates/ it renders. */
  step: string;
  items: (settings: Settings, facts: FactsByUnit, rehearsal: boolean) => RenderItem[];
}

export const RENDER_PLANS: Record<string, RenderPlan> = {
  'core-render': { step: 'core', items: coreRenderItems },
  'workflow-render': { step: 'workflow', items: workflowRenderItems },
};
