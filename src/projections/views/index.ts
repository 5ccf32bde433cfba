import type { Projection } from '../runner.js';
import { auditLogView } from './audit-log.js';
import { backlogsView } from './backlogs.js';
import { configView } from './config.js';
import { hostsView } from './hosts.js';
import { leasesView } from './leases.js';
import { openSendsView } from './open-sends.js';
import { propertiesView } from './properties.js';
import { suspendedView } from './suspended.js';
import { trackingView } from './tracking.js';

export {
  auditLogView,
  backlogsView,
  configView,
  hostsView,
  leasesView,
  openSendsView,
  propertiesView,
  suspendedView,
  trackingView,
};

/** Every read model a node keeps, by name: what `rebuild [view]` and `--as-of` choose from. */
export const allViews: readonly Projection[] = [
  openSendsView,
  trackingView,
  propertiesView,
  suspendedView,
  backlogsView,
  leasesView,
  hostsView,
  configView,
  auditLogView,
];

/** The view of that name, or undefined when there is none. */
export function viewByName(name: string): Projection | undefined {
  return allViews.find((view) => view.name === name);
}
