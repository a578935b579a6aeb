export { benchTraffic } from './bench-traffic.js';
export { cleanDay, type CleanDayOptions } from './clean-day.js';
export { steadyTraffic, type SteadyTrafficOptions } from './steady-traffic.js';
