export { bwrapArgv } from './bwrap.js';
export { sandboxMode, type SandboxMode } from './mode.js';
export { placed, INSIDE, type SandboxView, type Bind, type ResourceLimits } from './view.js';
export { openEndpointRelay, type EndpointRelay } from './relay.js';
