import type { components } from '@contract/openapi';

type Category = components['schemas']['Category'];

/** The triage categories as every screen names them. */
export const CATEGORY_LABEL: Record<Category, string> = {
  informational: 'Information',
  service_action: 'Service request',
  safety_compliance: 'Safety',
};
